// Envelope encryption of secret values: each value gets a fresh 256-bit data key, is
// sealed with AES-256-GCM under it with the encryption context as AAD, and the data key
// is stored only wrapped by a DataKeyProvider (the root key now, KMS keys later).
//
// Sealed value byte format, all lengths big-endian:
//   u8  format = 0x02 (0x01: written before version 2, see below)
//   u16 key_id length, key_id bytes      (the provider's key that wrapped the data key)
//   u16 wrapped length, wrapped data key (provider-specific, opaque)
//   AEAD blob: nonce(12) | ciphertext | tag(16)   (see aead.h),
//              AAD = the header bytes above || CanonicalContext(ctx)
// Format 0x02 opens only that way, under exactly the caller's current context. Format 0x01
// values (every earlier release) may have been sealed under a context the caller has since
// widened (Parameter Store added the version) and, from the first releases, with AAD =
// CanonicalContext(ctx) alone: OpenValue opens them with the caller's legacy context and
// accepts both AADs. The format byte is authenticated, so a value cannot be downgraded.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "crypto/root_key.h"

namespace arcana::crypto {

// Non-secret key/value pairs bound to a ciphertext (KMS EncryptionContext semantics:
// exactly the same map must be presented to decrypt).
using EncryptionContext = std::map<std::string, std::string>;

// Unambiguous serialization used as AAD: for each pair in key order,
// u32 len(key) | key | u32 len(value) | value.
std::string CanonicalContext(const EncryptionContext& ctx);

struct DataKey {
  std::string plaintext;  // 32 bytes; wiped by the envelope after use
  std::string wrapped;
  std::string key_id;     // resolved key id that wrapped it
};

// A grant on a KMS key, as a KeyUseAuthorizer reads it (domain/kms's Grant, in plain terms).
struct KeyGrant {
  std::string grantee_principal;  // ARN
  std::vector<std::string> operations;
  std::map<std::string, std::string> ec_equals;  // Constraints.EncryptionContextEquals
  std::map<std::string, std::string> ec_subset;  // Constraints.EncryptionContextSubset
  // Constraints.SourceArn ("" none) and a grant to a service principal: carried so a use on
  // a caller's behalf is judged as the caller's own KMS call would be (auth::policy's
  // KmsGrantView: such a grant allows neither, the use carrying no aws:SourceArn).
  std::string source_arn;
  bool grantee_is_service = false;
};

// A key's grants a page at a time: the page after grant id `after` ("" first), setting
// *last_grant_id to the page's last id; an empty page when all were listed.
using KeyGrantPage = std::function<Result<std::vector<KeyGrant>>(const std::string& after,
                                                                 std::string* last_grant_id)>;

// A KMS key about to be used on a caller's behalf (a service sealing or opening a value
// under the key the caller chose, or under the service's AWS managed key).
struct KeyUse {
  std::string_view action;   // "kms:GenerateDataKey", "kms:Decrypt"
  std::string_view key_arn;
  std::string_view key_account;
  std::string_view key_policy;
  const std::map<std::string, std::string>* key_tags = nullptr;
  const EncryptionContext* context = nullptr;
  // Condition keys that describe the key (kms:KeySpec, kms:KeyUsage, kms:KeyOrigin, ...), as
  // KMS itself offers them to policies deciding a use of the key.
  std::vector<std::pair<std::string, std::string>> key_condition_keys;
  // An AWS managed key (alias/aws/...): it serves every principal of its own account through
  // the service, and no other account (its key policy cannot be changed to name one).
  bool aws_managed = false;
  // The key's grants, read when its key policy and the caller's policies do not allow: grants
  // allow their grantees through the services as through KMS. Unset: none.
  KeyGrantPage grants;
};

// Who a data key is used for: a KMS-backed provider asks before using any key. Implemented
// by auth (auth/authorizer.h) so that this layer knows nothing of policies.
class KeyUseAuthorizer {
 public:
  virtual ~KeyUseAuthorizer() = default;
  virtual Status AllowKeyUse(const KeyUse& use) const = 0;  // OK or kAccessDenied
};

// Where a data key is wanted: keys are per account and region, and each service has
// its own default key (alias/aws/secretsmanager, alias/aws/ssm).
struct KeyScope {
  std::string account;
  std::string region;
  std::string default_alias;  // used when key_id is ""
  // The caller on whose behalf the key is used; null: the service itself (no check).
  const KeyUseAuthorizer* caller = nullptr;
};

// The KMS seam: where data keys come from and how they are unwrapped.
class DataKeyProvider {
 public:
  virtual ~DataKeyProvider() = default;
  // key_id: key id, key ARN, alias name or alias ARN; "" means scope.default_alias.
  // Errors: kEncryptionFailure (or the KMS error that explains it).
  virtual Result<DataKey> GenerateDataKey(const KeyScope& scope, std::string_view key_id,
                                          const EncryptionContext& ctx) = 0;
  // Errors: kDecryptionFailure (or the KMS error that explains it).
  virtual Result<std::string> DecryptDataKey(const KeyScope& scope, std::string_view key_id,
                                             std::string_view wrapped,
                                             const EncryptionContext& ctx) = 0;
  // Whether key_id names a usable key, checked when a caller sets a KmsKeyId.
  virtual Status CheckKey(const KeyScope& scope, std::string_view key_id) { return Status::Ok(); }
  // Why key_id ("" = scope.default_alias) cannot encrypt now, as KMS itself answers it (its
  // own code and message: not found, disabled, pending deletion, wrong key usage), or OK. For
  // a service that words a failed key use in KMS's terms (Parameter Store's InvalidKeyId).
  // No caller check: only asked after a use failed.
  virtual Status KmsKeyError(const KeyScope& scope, std::string_view key_id) {
    return Status::Ok();
  }
};

// Wraps data keys directly with the root key (until KMS keys exist).
class RootKeyDataKeyProvider : public DataKeyProvider {
 public:
  explicit RootKeyDataKeyProvider(const RootKey& root) : root_(root) {}
  Result<DataKey> GenerateDataKey(const KeyScope& scope, std::string_view key_id,
                                  const EncryptionContext& ctx) override;
  Result<std::string> DecryptDataKey(const KeyScope& scope, std::string_view key_id,
                                     std::string_view wrapped,
                                     const EncryptionContext& ctx) override;

 private:
  const RootKey& root_;
};

Result<std::string> SealValue(DataKeyProvider& keys, const KeyScope& scope,
                              std::string_view key_id, const EncryptionContext& ctx,
                              std::string_view plaintext);
// ctx: the context values are sealed with now. legacy_ctx: the context format 0x01 values
// were sealed with, when it differs from ctx (nullptr: the same).
Result<std::string> OpenValue(DataKeyProvider& keys, const KeyScope& scope,
                              const EncryptionContext& ctx, std::string_view sealed,
                              const EncryptionContext* legacy_ctx = nullptr);
// The format byte of a sealed value (0 when empty).
unsigned char ValueFormat(std::string_view sealed);
inline constexpr unsigned char kValueFormatV1 = 0x01;
inline constexpr unsigned char kValueFormatV2 = 0x02;

}  // namespace arcana::crypto
