// The account that owns an access key id (STS GetAccessKeyInfo), looked up where the
// authenticator finds a SigV4 key: the account root's keys (storage/access_key_store.h), IAM
// users' long-term keys and STS sessions' temporary keys (storage/identity_store.h).
// Only the key's row is read, never its secret, and its state is not judged: as AWS documents
// for GetAccessKeyInfo, the answer does not say whether a key is active, so an inactive user
// key, or a session that has expired but is not purged yet, still names its account.
// A key no store holds (never issued here, deleted, or a session purged after it expired) is
// nullopt. The account is never derived from the id itself: AWS's ids encode their account,
// Arcana's are random, so a foreign key's owner is unknown here.
// Thread-safety: stateless; safe from any thread (the stores are).
#pragma once

#include <optional>
#include <string>

#include "common/status.h"
#include "storage/access_key_store.h"
#include "storage/identity_store.h"

namespace arcana::auth {

// The 12-digit account of the key, or nullopt when no store holds it. Store errors pass
// through.
Result<std::optional<std::string>> AccountOfAccessKey(storage::AccessKeyStore& root_keys,
                                                      storage::IdentityStore& identities,
                                                      const std::string& access_key_id);

}  // namespace arcana::auth
