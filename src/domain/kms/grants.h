// KMS grant identifiers: grant ids (64 hex) and grant tokens. A grant token is opaque to
// callers; ours is base64url("gt1:" key_id ":" grant_id ":" 32 hex of randomness), so
// RetireGrant with only a token finds the grant, and a token that was not issued here
// is rejected (InvalidGrantTokenException). Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace arcana::domain::kms {

std::string NewGrantId();
std::string NewGrantToken(std::string_view key_id, std::string_view grant_id);
bool IsValidGrantId(std::string_view grant_id);

struct GrantTokenParts {
  std::string key_id;
  std::string grant_id;
};
std::optional<GrantTokenParts> ParseGrantToken(std::string_view token);

}  // namespace arcana::domain::kms
