#include "auth/access_keys.h"

#include <chrono>

#include "crypto/aead.h"
#include "crypto/envelope.h"
#include "crypto/random.h"

namespace arcana::auth {
namespace {

std::string RandomFrom(std::string_view alphabet, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i)
    out.push_back(alphabet[crypto::RandomUniform(static_cast<uint32_t>(alphabet.size()))]);
  return out;
}

constexpr std::string_view kBoundMarker = "AKv2";

// Rows without the marker (written before the bound format).
std::string LegacyAad(const std::string& id) { return "arcana:access-key:" + id; }

std::string BoundAad(const std::string& id, const std::string& account,
                     const std::string& principal) {
  return "arcana:access-key:v2" +
         crypto::CanonicalContext({{"id", id}, {"account", account}, {"principal", principal}});
}

Result<std::string> SealBound(const crypto::RootKey& root, std::string_view secret,
                              const storage::AccessKeyRecord& r) {
  ARCANA_ASSIGN_OR_RETURN(std::string sealed,
                          root.Seal(secret, BoundAad(r.access_key_id, r.account_id, r.principal_arn)));
  return std::string(kBoundMarker) + sealed;
}

}  // namespace

std::string NewAccessKeyId(std::string_view prefix) {
  return std::string(prefix) + RandomFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16);
}

std::string NewSecretAccessKey() {
  return RandomFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40);
}

Result<std::string> SealAccessKeySecret(const crypto::RootKey& root, std::string_view secret,
                                        const storage::AccessKeyRecord& record) {
  return SealBound(root, secret, record);
}

Result<NewAccessKey> CreateAccessKey(storage::AccessKeyStore& store, const crypto::RootKey& root,
                                     const std::string& account_id,
                                     const std::optional<std::string>& fixed_id,
                                     const std::optional<std::string>& fixed_secret) {
  NewAccessKey k;
  k.access_key_id = fixed_id ? *fixed_id : NewAccessKeyId("AKIA");
  k.secret_access_key = fixed_secret ? *fixed_secret : NewSecretAccessKey();
  if (k.access_key_id.size() < 3 || k.secret_access_key.size() < 8) {
    return Status(ErrorCode::kInvalidParameter,
                  "access key id needs at least 3 characters and the secret at least 8");
  }
  k.principal_arn = "arn:aws:iam::" + account_id + ":root";
  storage::AccessKeyRecord rec;
  rec.access_key_id = k.access_key_id;
  rec.account_id = account_id;
  rec.principal_arn = k.principal_arn;
  ARCANA_ASSIGN_OR_RETURN(rec.sealed_secret, SealBound(root, k.secret_access_key, rec));
  rec.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  ARCANA_RETURN_IF_ERROR(store.PutAccessKey(rec));
  return k;
}

Result<std::string> OpenAccessKeySecret(const crypto::RootKey& root,
                                        const storage::AccessKeyRecord& r) {
  std::string_view sealed = r.sealed_secret;
  if (sealed.starts_with(kBoundMarker)) {
    sealed.remove_prefix(kBoundMarker.size());
    return root.Open(sealed, BoundAad(r.access_key_id, r.account_id, r.principal_arn));
  }
  return root.Open(sealed, LegacyAad(r.access_key_id));
}

Result<std::optional<std::string>> RewrapAccessKeySecret(const crypto::RootKey& root,
                                                         const storage::AccessKeyRecord& r) {
  std::string_view sealed = r.sealed_secret;
  const bool bound = sealed.starts_with(kBoundMarker);
  if (bound && root.IsCurrent(sealed.substr(kBoundMarker.size()))) {
    return std::optional<std::string>();
  }
  auto secret = OpenAccessKeySecret(root, r);
  if (!secret.ok()) return std::optional<std::string>();  // not under a root key held
  auto out = SealBound(root, *secret, r);
  crypto::SecureWipe(*secret);
  if (!out.ok()) return out.status();
  return std::optional<std::string>(std::move(out).value());
}

}  // namespace arcana::auth
