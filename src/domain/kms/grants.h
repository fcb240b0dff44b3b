// KMS grant identifiers: grant ids (64 hex) and grant tokens. A grant token is opaque to
// callers; ours is base64url("gt2:" grant_id ":" 32 hex of randomness ":" key ARN), so
// RetireGrant with only a token finds the grant - also when the key is another account's
// (RetireGrant is "Cross-account use: Yes") - and retires it only if the token's randomness is
// the one stored with the grant (GrantTokenMatches), so a token that was not issued here is
// rejected (InvalidGrantTokenException). The GrantTokens of other operations are checked for
// form only. Tokens of the earlier form "gt1:" key_id ":" grant_id ":" randomness still parse
// (they name a key of the caller's account). Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "domain/kms/key.h"

namespace arcana::domain::kms {

std::string NewGrantId();
std::string NewGrantToken(std::string_view key_arn, std::string_view grant_id);
bool IsValidGrantId(std::string_view grant_id);

struct GrantTokenParts {
  std::string key_id;
  std::string grant_id;
  std::string key_arn;  // "" in a gt1 token
  std::string secret;   // the token's randomness
};
std::optional<GrantTokenParts> ParseGrantToken(std::string_view token);

// Whether `presented` is the grant token `stored` (the one kept with the grant): the same
// grant and key, and the same randomness, compared in constant time. False if either does
// not parse (a grant stored without a token matches none).
bool GrantTokenMatches(std::string_view presented, std::string_view stored);

// CreateGrant's fit with its key: every operation must be one the key supports (developer
// guide, grant-operations: "If you specify an unsupported operation, the CreateGrant request
// fails with a ValidationError exception"), and encryption-context constraints need a
// symmetric encryption key ("You cannot use an encryption context grant constraint for
// cryptographic operations with asymmetric KMS keys or HMAC KMS keys", CreateGrant
// Constraints); a grant of CreateGrant alone is refused ("Grants must not contain only the
// CreateGrant operation."). kValidation otherwise.
Status CheckGrantFitsKey(const Key& key, const std::vector<std::string>& operations,
                         bool has_constraints);

// CreateGrant's GranteePrincipal must name a principal: an IAM or STS ARN
// (arn:<partition>:iam|sts::<12-digit account>:<resource>) or an AWS service principal
// (<name>.amazonaws.com). AWS answers a grantee it cannot resolve with InvalidArnException
// "ARN does not refer to a valid principal: <value>" (its message as recorded by callers that
// retry it while a new IAM role propagates: Terraform's aws_kms_grant, Lambda's
// "KMS Exception: InvalidArnException KMS Message: ARN does not refer to a valid principal:
// arn:aws:sts::...:assumed-role/..."). Whether an IAM ARN names an existing principal is not
// checked here (grants may name principals of other accounts, or ones created later).
Status CheckGranteePrincipal(std::string_view principal);

}  // namespace arcana::domain::kms
