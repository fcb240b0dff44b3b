#include "net/http_types.h"

#include <strings.h>

namespace arcana::net {

namespace {

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string_view HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (SameName(k, name)) return v;
  }
  return {};
}

bool HttpRequest::HasHeader(std::string_view name) const {
  for (const auto& h : headers) {
    if (SameName(h.first, name)) return true;
  }
  return false;
}

std::string_view HttpRequest::Path() const {
  std::string_view t = target;
  auto q = t.find('?');
  return q == std::string_view::npos ? t : t.substr(0, q);
}

}  // namespace arcana::net
