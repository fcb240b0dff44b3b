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
//
// Unwrapped data keys are cached (data_key_cache.h: bounded LRU, SecretString values) by
// scope, encryption context and wrapped bytes, so reading a value does not unwrap its data key
// again. A hit is served only while the KMS key that wrapped it is still present, not past its
// deletion date, symmetric, still holds that material and is usable (enabled) - read from the
// store on every hit, exactly the checks of an unwrap - and never while sealed; otherwise the
// entry is dropped and the full unwrap answers (with its exact error). Forget() wipes the
// cache: on seal and on dev reset. Generated data keys are cached too (a value is usually
// read soon after it is written).
// Every data key generated or unwrapped (a cache hit too: on AWS each of those services'
// reads is a KMS Decrypt) is noted as a GenerateDataKey or Decrypt use of its KMS key in the
// log set by RecordKeyUsesIn (kms_key_use_log.h), under the API call running on this thread
// (services/common/current_call.h): GetKeyLastUsage shows that call's request and audit
// record.
// Thread-safety: thread-safe (KeyRing, the cache and the log are).
#pragma once

#include <functional>

#include "crypto/envelope.h"
#include "services/kms/data_key_cache.h"
#include "services/kms/key_ring.h"
#include "services/kms/kms_key_use_log.h"

namespace arcana::services::kms {

inline constexpr std::string_view kKmsWrappedDataKeyMarker = "AKMS1:";

class KmsDataKeyProvider : public crypto::DataKeyProvider {
 public:
  // now_ms: the clock (for key deletion dates); defaults to the system clock.
  KmsDataKeyProvider(KeyRing& ring, const crypto::RootKey& legacy_root,
                     std::function<int64_t()> now_ms = {},
                     size_t cache_capacity = DataKeyCache::kDefaultCapacity);

  Result<crypto::DataKey> GenerateDataKey(const crypto::KeyScope& scope, std::string_view key_id,
                                          const crypto::EncryptionContext& ctx) override;
  Result<std::string> DecryptDataKey(const crypto::KeyScope& scope, std::string_view key_id,
                                     std::string_view wrapped,
                                     const crypto::EncryptionContext& ctx) override;
  Status CheckKey(const crypto::KeyScope& scope, std::string_view key_id) override;
  Status KmsKeyError(const crypto::KeyScope& scope, std::string_view key_id) override;

  // Where uses of KMS keys are noted (null: nowhere). Set before serving.
  void RecordKeyUsesIn(KmsKeyUseLog* log) { key_uses_ = log; }

  // Wipes every cached data key (on seal, on dev reset).
  void Forget() { cache_.Clear(); }
  size_t cached() const { return cache_.size(); }

 private:
  // Whether a cached data key may be served now: what an unwrap would check of its key.
  // Also: the caller (scope.caller) may still decrypt with it.
  bool StillUsable(const crypto::KeyScope& scope, const DataKeyCache::Hit& hit,
                   const crypto::EncryptionContext& ctx);
  // Notes that the key served `operation` now, for the API call running on this thread.
  void NoteUse(const crypto::KeyScope& scope, const std::string& key_id,
               std::string_view operation);

  KeyRing& ring_;
  const crypto::RootKey& root_;
  crypto::RootKeyDataKeyProvider legacy_;
  std::function<int64_t()> now_ms_;
  DataKeyCache cache_;
  KmsKeyUseLog* key_uses_ = nullptr;
};

}  // namespace arcana::services::kms
