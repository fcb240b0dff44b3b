// KMS grant identifiers: grant ids (64 hex) and grant tokens. A grant token is opaque to
// callers; ours is base64url("gt2:" grant_id ":" 32 hex of randomness ":" key ARN), so
// RetireGrant with only a token finds the grant - also when the key is another account's
// (RetireGrant is "Cross-account use: Yes") - and retires it only if the token's randomness is
// the one stored with the grant (GrantTokenMatches), so a token that was not issued here is
// rejected (InvalidGrantTokenException); the GrantTokens of the other operations are checked
// the same way. A retried CreateGrant answers a further token of the grant, "gt3:" grant_id
// ":" nonce and tag ":" key ARN (ReissueGrantToken), which the stored token verifies. Tokens of
// the earlier form "gt1:" key_id ":" grant_id ":" randomness still parse (they name a key of
// the caller's account). Pure functions.
#pragma once

#include <map>
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
  std::string secret;   // the token's randomness (a gt3 token: its nonce and tag)
  bool reissued = false;  // a gt3 token (ReissueGrantToken)
};
std::optional<GrantTokenParts> ParseGrantToken(std::string_view token);

// Whether `presented` is a token of the grant whose stored token (the one kept with the grant)
// is `stored`: the same grant and key, and the same randomness, or a tag the stored token's
// randomness makes (a reissued token), compared in constant time. False if either does not
// parse (a grant stored without a token matches none).
bool GrantTokenMatches(std::string_view presented, std::string_view stored);

// A new token of the grant whose stored token is `stored`, on the key `key_arn`: a retried
// CreateGrant answers the grant's id with a new token ("the returned grant token is unique with
// every CreateGrant request, even when a duplicate GrantId is returned. All grant tokens for
// the same grant ID can be used interchangeably", CreateGrant's Name). nullopt if `stored`
// is no stored token.
std::optional<std::string> ReissueGrantToken(std::string_view stored, std::string_view key_arn);

// Whether `existing` is the grant a CreateGrant asking for `requested` already made: both
// named, with the same Name, issuing account, grantee, retiring principal, operations and
// constraints. A retried CreateGrant with the same Name answers the existing grant's id
// instead of making another (CreateGrant's Name: "Use this value to prevent the unintended
// creation of duplicate grants when retrying this request"). A retry is the same account's:
// another account sending the same request gets a grant of its own. Unnamed grants are never
// the same.
bool SameNamedGrant(const Grant& existing, const Grant& requested);

// CreateGrant's encryption-context constraints, before the key is read (kValidation):
// - at most one of EncryptionContextEquals and EncryptionContextSubset, an empty map counting
//   as given: AWS answers "More than one constraint supplied" (quoted in aws/aws-sdk-java#328,
//   where an SDK sent an empty EncryptionContextEquals beside a Subset, and in Terraform's
//   aws_kms_grant);
// - "Each constraint value can include up to 8 encryption context pairs. The encryption
//   context value in each constraint cannot exceed 384 characters" (CreateGrant Constraints;
//   characters are Unicode code points). AWS documents no message for these two.
// `equals` / `subset`: the maps, nullptr when the member is absent.
Status CheckGrantConstraints(const std::map<std::string, std::string>* equals,
                             const std::map<std::string, std::string>* subset);

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

// GranteeServicePrincipal / RetiringServicePrincipal must name an AWS service principal
// (<name>.amazonaws.com); ValidationException otherwise, naming the member.
Status CheckServicePrincipal(std::string_view principal, std::string_view member);

// The account of an IAM or STS principal ARN (arn:<partition>:iam|sts::<12 digits>:<resource>),
// or nullopt for anything else (a service principal, a malformed value).
std::optional<std::string> PrincipalAccount(std::string_view principal);

}  // namespace arcana::domain::kms
