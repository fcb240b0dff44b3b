#include "domain/kms/grants.h"

#include "crypto/base64.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace arcana::domain::kms {

std::string NewGrantId() { return crypto::HexEncode(crypto::RandomBytes(32)); }

bool IsValidGrantId(std::string_view id) {
  if (id.size() != 64) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string NewGrantToken(std::string_view key_id, std::string_view grant_id) {
  return crypto::Base64UrlEncode("gt1:" + std::string(key_id) + ":" + std::string(grant_id) +
                                 ":" + crypto::HexEncode(crypto::RandomBytes(16)));
}

std::optional<GrantTokenParts> ParseGrantToken(std::string_view token) {
  auto raw = crypto::Base64UrlDecode(token);
  if (!raw || !raw->starts_with("gt1:")) return std::nullopt;
  std::string_view rest = std::string_view(*raw).substr(4);
  size_t a = rest.find(':');
  if (a == std::string_view::npos) return std::nullopt;
  size_t b = rest.find(':', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  GrantTokenParts p{std::string(rest.substr(0, a)), std::string(rest.substr(a + 1, b - a - 1))};
  if (p.key_id.empty() || !IsValidGrantId(p.grant_id)) return std::nullopt;
  return p;
}

}  // namespace arcana::domain::kms
