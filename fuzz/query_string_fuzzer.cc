// Fuzzes net::SplitQuery (net/query_string.h), which cuts the query of a GET request-target
// (the change stream, the caching agent) into pairs. Input: a request-target such as
//   /_arcana/changes?after=12&wait=5&limit=100
// Checks its contract: every name and value is a view into the input, none holds '&', no
// name holds '='.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "net/query_string.h"

namespace {

bool Inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view target(reinterpret_cast<const char*>(data), size);
  for (const auto& [name, value] : arcana::net::SplitQuery(target)) {
    if (!Inside(name, target) || !Inside(value, target)) std::abort();
    if (name.find('&') != std::string_view::npos || value.find('&') != std::string_view::npos) {
      std::abort();
    }
    if (name.find('=') != std::string_view::npos) std::abort();
  }
  return 0;
}
