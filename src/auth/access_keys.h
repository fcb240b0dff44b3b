// Access key pairs of the account's identities, kept in the store with the secret half
// sealed under the root key (SigV4 needs the secret itself, so it is encrypted, not hashed).
#pragma once

#include <optional>
#include <string>

#include "common/status.h"
#include "crypto/root_key.h"
#include "storage/store.h"

namespace arcana::auth {

struct NewAccessKey {
  std::string access_key_id;      // AKIA + 16 upper-case alphanumerics
  std::string secret_access_key;  // 40 characters; shown once
  std::string principal_arn;
};

// Creates a key pair for the account's root identity. With fixed_id/fixed_secret (the
// ARCANA_ROOT_* variables) those become the pair; otherwise both are generated.
Result<NewAccessKey> CreateAccessKey(storage::Store& store, const crypto::RootKey& root,
                                     const std::string& account_id,
                                     const std::optional<std::string>& fixed_id = std::nullopt,
                                     const std::optional<std::string>& fixed_secret = std::nullopt);

// The secret access key of a stored pair.
Result<std::string> OpenAccessKeySecret(const crypto::RootKey& root,
                                        const storage::AccessKeyRecord& record);

}  // namespace arcana::auth
