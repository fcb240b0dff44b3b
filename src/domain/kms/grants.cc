#include "domain/kms/grants.h"

#include <algorithm>

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

}  // namespace arcana::domain::kms
