// KMS grant identifiers: grant ids (64 hex) and grant tokens. A grant token is opaque to
// callers; ours is base64url("gt1:" key_id ":" grant_id ":" 32 hex of randomness), so
// RetireGrant with only a token finds the grant, and a token that was not issued here
// is rejected (InvalidGrantTokenException). Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "domain/kms/key.h"

namespace arcana::domain::kms {

std::string NewGrantId();
std::string NewGrantToken(std::string_view key_id, std::string_view grant_id);
bool IsValidGrantId(std::string_view grant_id);

struct GrantTokenParts {
  std::string key_id;
  std::string grant_id;
};
std::optional<GrantTokenParts> ParseGrantToken(std::string_view token);

// CreateGrant's fit with its key: every operation must be one the key supports (developer
// guide, grant-operations: "If you specify an unsupported operation, the CreateGrant request
// fails with a ValidationError exception"), and encryption-context constraints need a
// symmetric encryption key ("You cannot use an encryption context grant constraint for
// cryptographic operations with asymmetric KMS keys or HMAC KMS keys", CreateGrant
// Constraints); a grant of CreateGrant alone is refused ("Grants must not contain only the
// CreateGrant operation."). kValidation otherwise.
Status CheckGrantFitsKey(const Key& key, const std::vector<std::string>& operations,
                         bool has_constraints);

}  // namespace arcana::domain::kms
