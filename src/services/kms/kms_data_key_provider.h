// crypto::DataKeyProvider on top of the KMS KeyRing: Secrets Manager (and Parameter Store,
// with default_alias "alias/aws/ssm") get each value's data key from a KMS key, as AWS does
// with GenerateDataKey/Decrypt and the caller's encryption context.
//
// Wrapped data key format (what the envelope stores in its `wrapped` field):
//   "AKMS1:" (6 bytes, the marker) || KMS symmetric ciphertext blob (crypto/kms_ciphertext.h)
// Anything else is a legacy wrap from before KMS (RootKeyDataKeyProvider: the data key
// sealed directly under the root key) and is opened with the root key, so stores created
// before this change stay readable; they move to KMS keys when a value is rewritten.
//
// Errors: GenerateDataKey -> kEncryptionFailure, DecryptDataKey -> kDecryptionFailure, each
// with a message that says which key and why (disabled, pending deletion, not found);
// CheckKey -> kResourceNotFound for a key that does not exist (spec 2.3).
// The AWS-managed key behind scope.default_alias is created on first use.
// Thread-safety: thread-safe (KeyRing is).
#pragma once

#include <functional>

#include "crypto/envelope.h"
#include "services/kms/key_ring.h"

namespace arcana::services::kms {

inline constexpr std::string_view kKmsWrappedDataKeyMarker = "AKMS1:";

class KmsDataKeyProvider : public crypto::DataKeyProvider {
 public:
  // now_ms: the clock (for key deletion dates); defaults to the system clock.
  KmsDataKeyProvider(KeyRing& ring, const crypto::RootKey& legacy_root,
                     std::function<int64_t()> now_ms = {});

  Result<crypto::DataKey> GenerateDataKey(const crypto::KeyScope& scope, std::string_view key_id,
                                          const crypto::EncryptionContext& ctx) override;
  Result<std::string> DecryptDataKey(const crypto::KeyScope& scope, std::string_view key_id,
                                     std::string_view wrapped,
                                     const crypto::EncryptionContext& ctx) override;
  Status CheckKey(const crypto::KeyScope& scope, std::string_view key_id) override;

 private:
  KeyRing& ring_;
  crypto::RootKeyDataKeyProvider legacy_;
  std::function<int64_t()> now_ms_;
};

}  // namespace arcana::services::kms
