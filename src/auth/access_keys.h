// Access key pairs of the account's identities, kept in the store with the secret half
// sealed under the root key (SigV4 needs the secret itself, so it is encrypted, not hashed).
//
// Stored secret format: "AKv2" || RootKey::Seal(secret, AAD) with
//   AAD = "arcana:access-key:v2" || CanonicalContext({access key id, account, principal})
// so a sealed secret only opens for the key id, account and principal it was issued to: a
// row edited to name another account or principal, or copied to another key id, fails.
// Rows written before this format (no "AKv2" marker) were sealed with AAD
// "arcana:access-key:" + id alone; they still open (by that rule only, decided by the
// marker, never by trying both) and move to the bound format at the next root rotation.
#pragma once

#include <optional>
#include <string>

#include "common/status.h"
#include "crypto/root_key.h"
#include "storage/access_key_store.h"

namespace arcana::auth {

struct NewAccessKey {
  std::string access_key_id;      // AKIA + 16 upper-case alphanumerics
  std::string secret_access_key;  // 40 characters; shown once
  std::string principal_arn;
};

// Creates a key pair for the account's root identity. With fixed_id/fixed_secret (the
// ARCANA_ROOT_* variables) those become the pair; otherwise both are generated.
Result<NewAccessKey> CreateAccessKey(storage::AccessKeyStore& store, const crypto::RootKey& root,
                                     const std::string& account_id,
                                     const std::optional<std::string>& fixed_id = std::nullopt,
                                     const std::optional<std::string>& fixed_secret = std::nullopt);

// Key material for other identities (IAM users: prefix "AKIA"; STS sessions: "ASIA").
std::string NewAccessKeyId(std::string_view prefix);
std::string NewSecretAccessKey();
// `secret` sealed in the bound format for record's id, account and principal (the value of
// record.sealed_secret that OpenAccessKeySecret opens).
Result<std::string> SealAccessKeySecret(const crypto::RootKey& root, std::string_view secret,
                                        const storage::AccessKeyRecord& record);

// The secret access key of a stored pair. kDecryptionFailure when the row's id, account or
// principal is not the one the secret was sealed for.
Result<std::string> OpenAccessKeySecret(const crypto::RootKey& root,
                                        const storage::AccessKeyRecord& record);

// Root rotation: the stored secret re-sealed under the root's current key, in the bound
// format (legacy rows migrate); nullopt when it is current already or opens under no key held.
Result<std::optional<std::string>> RewrapAccessKeySecret(const crypto::RootKey& root,
                                                         const storage::AccessKeyRecord& record);

}  // namespace arcana::auth
