#include "auth/policy/request_context.h"

#include <cctype>

namespace arcana::auth::policy {

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void ContextKeys::Set(std::string_view key, std::string value) {
  keys_[LowerAscii(key)] = std::vector<std::string>{std::move(value)};
}

void ContextKeys::SetList(std::string_view key, std::vector<std::string> values) {
  keys_[LowerAscii(key)] = std::move(values);
}

const std::vector<std::string>* ContextKeys::Find(std::string_view key) const {
  auto it = keys_.find(LowerAscii(key));
  return it == keys_.end() ? nullptr : &it->second;
}

}  // namespace arcana::auth::policy
