#include "domain/kms/grants.h"

#include <algorithm>
#include <array>
#include <vector>

#include "common/arn.h"
#include "crypto/base64.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "domain/kms/specs.h"

namespace arcana::domain::kms {

std::string NewGrantId() { return crypto::HexEncode(crypto::RandomBytes(32)); }

bool IsValidGrantId(std::string_view id) {
  if (id.size() != 64) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string NewGrantToken(std::string_view key_arn, std::string_view grant_id) {
  // The key ARN goes last: it holds colons, the other fields none.
  return crypto::Base64UrlEncode("gt2:" + std::string(grant_id) + ":" +
                                 crypto::HexEncode(crypto::RandomBytes(16)) + ":" +
                                 std::string(key_arn));
}

namespace {
// "<a>:<b>:<rest>", split at its first two colons (rest may hold more).
std::optional<std::array<std::string_view, 3>> SplitTwoColons(std::string_view text) {
  size_t a = text.find(':');
  if (a == std::string_view::npos) return std::nullopt;
  size_t b = text.find(':', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  return std::array<std::string_view, 3>{text.substr(0, a), text.substr(a + 1, b - a - 1),
                                         text.substr(b + 1)};
}

constexpr size_t kNonceHex = 32;  // a reissued token's nonce; its tag has as many digits

// The tag of a reissued token: HMAC-SHA-256 under the stored token's randomness, cut to 16
// bytes, of the grant id and the nonce.
std::string ReissueTag(std::string_view stored_secret, std::string_view grant_id,
                       std::string_view nonce) {
  return crypto::HexEncode(crypto::HmacSha256(stored_secret, "arcana:kms-grant-token|" +
                                                                 std::string(grant_id) + "|" +
                                                                 std::string(nonce))
                               .substr(0, kNonceHex / 2));
}
}  // namespace

std::optional<GrantTokenParts> ParseGrantToken(std::string_view token) {
  auto raw = crypto::Base64UrlDecode(token);
  if (!raw) return std::nullopt;
  std::string_view text(*raw);
  GrantTokenParts p;
  if (text.starts_with("gt1:")) {
    // gt1:<key id>:<grant id>:<random> (tokens issued before the key ARN was in them).
    auto f = SplitTwoColons(text.substr(4));
    if (!f) return std::nullopt;
    p.key_id = std::string((*f)[0]);
    p.grant_id = std::string((*f)[1]);
    p.secret = std::string((*f)[2]);
  } else if (text.starts_with("gt2:") || text.starts_with("gt3:")) {
    // gt2:<grant id>:<random>:<key ARN> (the ARN last: it holds colons); gt3 (reissued):
    // <nonce><tag> in place of <random>.
    auto f = SplitTwoColons(text.substr(4));
    if (!f) return std::nullopt;
    p.grant_id = std::string((*f)[0]);
    p.secret = std::string((*f)[1]);
    p.key_arn = std::string((*f)[2]);
    p.reissued = text.starts_with("gt3:");
    if (p.reissued && p.secret.size() != 2 * kNonceHex) return std::nullopt;
    size_t slash = p.key_arn.rfind('/');
    if (!p.key_arn.starts_with("arn:") || slash == std::string::npos) return std::nullopt;
    p.key_id = p.key_arn.substr(slash + 1);
  } else {
    return std::nullopt;
  }
  if (p.key_id.empty() || !IsValidGrantId(p.grant_id)) return std::nullopt;
  return p;
}

bool GrantTokenMatches(std::string_view presented, std::string_view stored) {
  auto a = ParseGrantToken(presented);
  auto b = ParseGrantToken(stored);
  if (!a || !b || a->secret.empty() || b->reissued) return false;
  // Grant and key are no secret (ListGrants shows them); compared plainly.
  if (a->grant_id != b->grant_id || a->key_id != b->key_id) return false;
  if (!a->reissued) return crypto::ConstantTimeEquals(a->secret, b->secret);
  const std::string_view nonce = std::string_view(a->secret).substr(0, kNonceHex);
  return crypto::ConstantTimeEquals(std::string_view(a->secret).substr(kNonceHex),
                                    ReissueTag(b->secret, b->grant_id, nonce));
}

std::optional<std::string> ReissueGrantToken(std::string_view stored, std::string_view key_arn) {
  auto s = ParseGrantToken(stored);
  if (!s || s->secret.empty() || s->reissued) return std::nullopt;
  const std::string nonce = crypto::HexEncode(crypto::RandomBytes(kNonceHex / 2));
  return crypto::Base64UrlEncode("gt3:" + s->grant_id + ":" + nonce +
                                 ReissueTag(s->secret, s->grant_id, nonce) + ":" +
                                 std::string(key_arn));
}

}  // namespace arcana::domain::kms

namespace arcana::domain::kms {

namespace {

// The grant operations a key supports, by its spec and usage (developer guide,
// grant-operations). DescribeKey, CreateGrant and RetireGrant fit every key.
std::vector<std::string_view> GrantOperationsOf(const Key& key) {
  std::vector<std::string_view> ops = {"CreateGrant", "DescribeKey", "RetireGrant"};
  auto add = [&](std::initializer_list<std::string_view> more) {
    ops.insert(ops.end(), more.begin(), more.end());
  };
  if (IsSymmetricSpec(key.key_spec)) {
    add({"Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey",
         "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
         "GenerateDataKeyPairWithoutPlaintext"});
  } else if (IsHmacSpec(key.key_spec)) {
    add({"GenerateMac", "VerifyMac"});
  } else if (key.key_usage == "ENCRYPT_DECRYPT") {
    add({"Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey"});
  } else if (key.key_usage == "SIGN_VERIFY") {
    add({"Sign", "Verify", "GetPublicKey"});
  } else if (key.key_usage == "KEY_AGREEMENT") {
    add({"DeriveSharedSecret", "GetPublicKey"});
  }
  return ops;
}

}  // namespace

namespace {

// The Unicode code points of UTF-8 text (its bytes that do not continue a sequence).
size_t CodePoints(std::string_view utf8) {
  return static_cast<size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

}  // namespace

Status CheckGrantConstraints(const std::map<std::string, std::string>* equals,
                             const std::map<std::string, std::string>* subset) {
  if (equals != nullptr && subset != nullptr) {
    return Status(ErrorCode::kValidation, "More than one constraint supplied");
  }
  constexpr size_t kMaxPairs = 8;
  constexpr size_t kMaxValueChars = 384;
  const char* name = equals != nullptr ? "EncryptionContextEquals" : "EncryptionContextSubset";
  const auto* pairs = equals != nullptr ? equals : subset;
  if (pairs == nullptr) return Status::Ok();
  if (pairs->size() > kMaxPairs) {
    return Status(ErrorCode::kValidation,
                  std::string("The grant constraint ") + name + " has " +
                      std::to_string(pairs->size()) +
                      " encryption context pairs; a constraint can include up to 8.");
  }
  for (const auto& [k, v] : *pairs) {
    if (CodePoints(v) > kMaxValueChars) {
      return Status(ErrorCode::kValidation,
                    std::string("The value of encryption context key '") + k +
                        "' in the grant constraint " + name +
                        " exceeds 384 characters, the limit of an encryption context value in "
                        "a grant constraint.");
    }
  }
  return Status::Ok();
}

Status CheckGrantFitsKey(const Key& key, const std::vector<std::string>& operations,
                         bool has_constraints) {
  // A grant that would allow nothing but creating more grants: AWS refuses it in these words
  // (an AWS response quoted in ansible/ansible#31960).
  if (!operations.empty() &&
      std::all_of(operations.begin(), operations.end(),
                  [](const std::string& op) { return op == "CreateGrant"; })) {
    return Status(ErrorCode::kValidation, "Grants must not contain only the CreateGrant operation.");
  }
  const auto supported = GrantOperationsOf(key);
  std::string unsupported;
  for (const auto& op : operations) {
    if (std::find(supported.begin(), supported.end(), op) != supported.end()) continue;
    unsupported += (unsupported.empty() ? "" : ", ") + op;
  }
  // AWS documents the exception (ValidationException) but not its message for either refusal.
  if (!unsupported.empty()) {
    return Status(ErrorCode::kValidation,
                  "The grant operations [" + unsupported + "] are not supported by the KMS key " +
                      key.arn + " (key spec " + key.key_spec + ", key usage " + key.key_usage +
                      ").");
  }
  if (has_constraints && !IsSymmetricSpec(key.key_spec)) {
    return Status(ErrorCode::kValidation,
                  "Encryption context grant constraints are supported only on symmetric "
                  "encryption KMS keys; " + key.arn + " has key spec " + key.key_spec + ".");
  }
  return Status::Ok();
}

std::optional<std::string> PrincipalAccount(std::string_view p) {
  // arn : partition : iam|sts : (empty region) : account : resource
  auto arn = SplitArn(p);
  if (!arn) return std::nullopt;
  const std::string_view account = arn->account;
  if (!arn->partition.empty() && (arn->service == "iam" || arn->service == "sts") &&
      arn->region.empty() && account.size() == 12 &&
      std::all_of(account.begin(), account.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
      !arn->resource.empty()) {
    return std::string(account);
  }
  return std::nullopt;
}

namespace {

bool IsServicePrincipal(std::string_view p) {
  if (!p.ends_with(".amazonaws.com") || p.size() == 14) return false;
  return std::all_of(p.begin(), p.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

}  // namespace

Status CheckServicePrincipal(std::string_view principal, std::string_view member) {
  if (IsServicePrincipal(principal)) return Status::Ok();
  return Status(ErrorCode::kValidation,
                std::string(member) + " must be an AWS service principal: " +
                    std::string(principal));
}

Status CheckGranteePrincipal(std::string_view principal) {
  if (IsServicePrincipal(principal) || PrincipalAccount(principal)) return Status::Ok();
  return Status(ErrorCode::kInvalidArn,
                "ARN does not refer to a valid principal: " + std::string(principal));
}

bool SameNamedGrant(const Grant& existing, const Grant& requested) {
  return !requested.name.empty() && existing.name == requested.name &&
         existing.issuing_account == requested.issuing_account &&
         existing.grantee_principal == requested.grantee_principal &&
         existing.grantee_is_service == requested.grantee_is_service &&
         existing.retiring_principal == requested.retiring_principal &&
         existing.retiring_is_service == requested.retiring_is_service &&
         existing.operations == requested.operations &&
         existing.ec_equals == requested.ec_equals && existing.ec_subset == requested.ec_subset &&
         existing.source_arn == requested.source_arn;
}

}  // namespace arcana::domain::kms
