#include "services/kms/kms_data_key_provider.h"

#include <chrono>

#include "crypto/aead.h"
#include "crypto/random.h"
#include "domain/kms/rules.h"
#include "domain/kms/specs.h"
#include "services/common/current_call.h"
#include "services/kms/kms_access.h"

namespace arcana::services::kms {
namespace {

// Asks the caller (if any) before a key is used on its behalf.
// The key's grants from the store, a page at a time, for the caller's authorizer.
crypto::KeyGrantPage KeyGrantPagesOf(storage::KmsStore& store, const Key& key) {
  return [&store, scope = storage::Scope{key.account, key.region}, key_id = key.key_id](
             const std::string& after,
             std::string* last) -> Result<std::vector<crypto::KeyGrant>> {
    ARCANA_ASSIGN_OR_RETURN(auto page,
                            store.ListKmsGrants(scope, key_id, after, storage::kMaxListLimit));
    std::vector<crypto::KeyGrant> out;
    out.reserve(page.size());
    for (auto& g : page) {
      out.push_back({std::move(g.grantee_principal), std::move(g.operations),
                     std::move(g.ec_equals), std::move(g.ec_subset), std::move(g.source_arn),
                     g.grantee_is_service});
    }
    if (!page.empty()) *last = page.back().grant_id;
    return out;
  };
}

Status AllowUse(storage::KmsStore& store, const crypto::KeyScope& scope, std::string_view action,
                const Key& key, const crypto::EncryptionContext& ctx) {
  if (scope.caller == nullptr) return Status::Ok();
  crypto::KeyUse use;
  use.aws_managed = key.aws_managed();
  use.action = action;
  use.key_arn = key.arn;
  use.key_account = key.account;
  use.key_policy = key.policy;
  use.key_tags = &key.tags;
  use.context = &ctx;
  use.key_condition_keys = KeyPropertyKeys(key);
  use.grants = KeyGrantPagesOf(store, key);
  return scope.caller->AllowKeyUse(use);
}

}  // namespace


namespace dk = domain::kms;

namespace {
int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Why a key cannot be used, in words (never key material).
std::string Why(const Status& s) {
  switch (s.code()) {
    case ErrorCode::kDisabled: return "the KMS key is disabled (" + s.message() + ")";
    case ErrorCode::kKmsInvalidState:
      return "the KMS key is not in a usable state (" + s.message() + ")";
    case ErrorCode::kKmsNotFound: return "the KMS key was not found (" + s.message() + ")";
    case ErrorCode::kInvalidKeyUsage:
      return "the KMS key is not a symmetric encryption key (" + s.message() + ")";
    case ErrorCode::kInvalidCiphertext:
      return "the encrypted data key or its encryption context does not match";
    default: return s.message();
  }
}
}  // namespace

KmsDataKeyProvider::KmsDataKeyProvider(KeyRing& ring, const crypto::RootKey& legacy_root,
                                       std::function<int64_t()> now_ms,
                                       size_t cache_capacity)
    : ring_(ring),
      root_(legacy_root),
      legacy_(legacy_root),
      now_ms_(now_ms ? std::move(now_ms) : SystemNowMs),
      cache_(cache_capacity) {}

bool KmsDataKeyProvider::StillUsable(const crypto::KeyScope& scope, const DataKeyCache::Hit& hit,
                                     const crypto::EncryptionContext& ctx) {
  if (root_.sealed()) return false;
  auto key = ring_.store().GetKmsKey({scope.account, scope.region}, hit.key_id);
  if (!key.ok() || !key->has_value()) return false;
  const Key& k = **key;
  if (k.deletion_ms && *k.deletion_ms <= now_ms_()) return false;
  if (!dk::IsSymmetricSpec(k.key_spec) || k.FindMaterial(hit.material_id) == nullptr) return false;
  // A caller the key's policy refuses gets the full unwrap's exact AccessDenied.
  return dk::CheckUsable(k).ok() && AllowUse(ring_.store(), scope, "kms:Decrypt", k, ctx).ok();
}

void KmsDataKeyProvider::NoteUse(const crypto::KeyScope& scope, const std::string& key_id,
                                 std::string_view operation) {
  if (key_uses_ == nullptr) return;
  const CallContext* call = CurrentCall::Get();
  key_uses_->Note(scope.account, scope.region, key_id, now_ms_(), operation,
                  call != nullptr ? std::string_view(call->request_id) : std::string_view(),
                  call != nullptr ? std::string_view(call->event_id) : std::string_view());
}

Result<crypto::DataKey> KmsDataKeyProvider::GenerateDataKey(const crypto::KeyScope& scope,
                                                            std::string_view key_id,
                                                            const crypto::EncryptionContext& ctx) {
  std::string ref(key_id.empty() ? std::string_view(scope.default_alias) : key_id);
  auto fail = [&](const Status& s) {
    return Status(ErrorCode::kEncryptionFailure,
                  "Unable to encrypt the value with the KMS key " + ref + ": " + Why(s) + ".");
  };
  KeyRing::ResolveOptions o;
  o.create_aws_managed = true;
  auto key = ring_.Resolve({scope.account, scope.region}, ref, now_ms_(), o);
  if (!key.ok()) return fail(key.status());
  Status usable = dk::CheckUsable(*key);
  if (usable.ok()) usable = dk::CheckKeyUsage(*key, "ENCRYPT_DECRYPT", "GenerateDataKey");
  if (usable.ok() && !dk::IsSymmetricSpec(key->key_spec)) {
    usable = Status(ErrorCode::kInvalidKeyUsage, key->arn + " is not a symmetric key");
  }
  if (!usable.ok()) return fail(usable);
  ARCANA_RETURN_IF_ERROR(AllowUse(ring_.store(), scope, "kms:GenerateDataKey", *key, ctx));
  crypto::DataKey dk;
  dk.plaintext = crypto::RandomBytes(32);
  auto blob = ring_.Encrypt(*key, ctx, dk.plaintext);
  if (!blob.ok()) {
    crypto::SecureWipe(dk.plaintext);
    return fail(blob.status());
  }
  dk.wrapped = std::string(kKmsWrappedDataKeyMarker) + *blob;
  dk.key_id = key->arn;
  NoteUse(scope, key->key_id, "GenerateDataKey");
  if (const auto* m = key->current_material()) {
    cache_.Put(DataKeyCache::EntryKey(scope.account, scope.region, ctx, dk.wrapped), key->key_id,
               m->id, dk.plaintext);
  }
  return dk;
}

Result<std::string> KmsDataKeyProvider::DecryptDataKey(const crypto::KeyScope& scope,
                                                       std::string_view key_id,
                                                       std::string_view wrapped,
                                                       const crypto::EncryptionContext& ctx) {
  if (!wrapped.starts_with(kKmsWrappedDataKeyMarker)) {
    // Sealed before KMS existed: the data key is wrapped by the root key itself.
    return legacy_.DecryptDataKey(scope, key_id, wrapped, ctx);
  }
  const std::string entry = DataKeyCache::EntryKey(scope.account, scope.region, ctx, wrapped);
  if (auto hit = cache_.Get(entry)) {
    if (StillUsable(scope, *hit, ctx)) {
      NoteUse(scope, hit->key_id, "Decrypt");
      return std::move(hit->plaintext);
    }
    crypto::SecureWipe(hit->plaintext);
    cache_.Erase(entry);  // the unwrap below gives the exact error (or re-caches)
  }
  wrapped.remove_prefix(kKmsWrappedDataKeyMarker.size());
  auto d = ring_.Decrypt({scope.account, scope.region}, wrapped, ctx, now_ms_());
  if (!d.ok()) {
    return Status(ErrorCode::kDecryptionFailure,
                  "Unable to decrypt the value with its KMS key " +
                      (key_id.empty() ? scope.default_alias : std::string(key_id)) + ": " +
                      Why(d.status()) + ".");
  }
  if (Status allowed = AllowUse(ring_.store(), scope, "kms:Decrypt", d->key, ctx); !allowed.ok()) {
    crypto::SecureWipe(d->plaintext);
    return allowed;
  }
  cache_.Put(entry, d->key.key_id, d->material_id, d->plaintext);
  NoteUse(scope, d->key.key_id, "Decrypt");
  return std::move(d->plaintext);
}

Status KmsDataKeyProvider::CheckKey(const crypto::KeyScope& scope, std::string_view key_id) {
  KeyRing::ResolveOptions o;
  o.create_aws_managed = true;
  auto key = ring_.Resolve({scope.account, scope.region}, key_id, now_ms_(), o);
  if (key.ok()) return Status::Ok();
  if (key.status().code() == ErrorCode::kKmsNotFound ||
      key.status().code() == ErrorCode::kInvalidArn) {
    return Status(ErrorCode::kResourceNotFound,
                  "The KMS key " + std::string(key_id) + " can't be found: " +
                      key.status().message());
  }
  return Status(ErrorCode::kEncryptionFailure, "The KMS key " + std::string(key_id) +
                                                   " cannot be used: " + Why(key.status()));
}

Status KmsDataKeyProvider::KmsKeyError(const crypto::KeyScope& scope, std::string_view key_id) {
  KeyRing::ResolveOptions o;
  o.create_aws_managed = true;
  auto key = ring_.Resolve({scope.account, scope.region},
                           key_id.empty() ? std::string_view(scope.default_alias) : key_id,
                           now_ms_(), o);
  if (!key.ok()) return key.status();
  ARCANA_RETURN_IF_ERROR(dk::CheckUsable(*key));
  ARCANA_RETURN_IF_ERROR(dk::CheckKeyUsage(*key, "ENCRYPT_DECRYPT", "GenerateDataKey"));
  if (!dk::IsSymmetricSpec(key->key_spec)) {
    return Status(ErrorCode::kInvalidKeyUsage, key->arn + " is not a symmetric key");
  }
  return Status::Ok();
}

}  // namespace arcana::services::kms
