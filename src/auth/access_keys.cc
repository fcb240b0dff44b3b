#include "auth/access_keys.h"

#include <chrono>

#include "crypto/random.h"

namespace arcana::auth {
namespace {

std::string RandomFrom(std::string_view alphabet, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i)
    out.push_back(alphabet[crypto::RandomUniform(static_cast<uint32_t>(alphabet.size()))]);
  return out;
}

std::string Aad(const std::string& id) { return "arcana:access-key:" + id; }

}  // namespace

Result<NewAccessKey> CreateAccessKey(storage::Store& store, const crypto::RootKey& root,
                                     const std::string& account_id,
                                     const std::optional<std::string>& fixed_id,
                                     const std::optional<std::string>& fixed_secret) {
  NewAccessKey k;
  k.access_key_id = fixed_id ? *fixed_id : "AKIA" + RandomFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16);
  k.secret_access_key =
      fixed_secret ? *fixed_secret
                   : RandomFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40);
  if (k.access_key_id.size() < 3 || k.secret_access_key.size() < 8) {
    return Status(ErrorCode::kInvalidParameter,
                  "access key id needs at least 3 characters and the secret at least 8");
  }
  k.principal_arn = "arn:aws:iam::" + account_id + ":root";
  ARCANA_ASSIGN_OR_RETURN(std::string sealed, root.Seal(k.secret_access_key, Aad(k.access_key_id)));
  storage::AccessKeyRecord rec;
  rec.access_key_id = k.access_key_id;
  rec.sealed_secret = std::move(sealed);
  rec.account_id = account_id;
  rec.principal_arn = k.principal_arn;
  rec.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  ARCANA_RETURN_IF_ERROR(store.PutAccessKey(rec));
  return k;
}

Result<std::string> OpenAccessKeySecret(const crypto::RootKey& root,
                                        const storage::AccessKeyRecord& record) {
  return root.Open(record.sealed_secret, Aad(record.access_key_id));
}

}  // namespace arcana::auth
