// The root identity's access key of a new store, created exactly once even when several
// nodes start on one new store together.
//
// Each node that finds the store uninitialised (meta "initialized" absent) creates an access
// key of its own (or the ARCANA_ROOT_ACCESS_KEY_ID / ARCANA_ROOT_SECRET_ACCESS_KEY pair), then
// claims the store with MetaStore::PutMetaIfAbsent("initialized", <its access key id>). The
// first claim wins: only the winner announces its key; a loser deletes the key it generated
// (its secret was never shown). Nodes given the same ARCANA_ROOT_* pair create the same key
// id: the second finds it present and accepts it when it holds the same secret.
// A crash between the create and the claim leaves an orphan key nobody was shown; the next
// start creates another and claims with it.
#pragma once

#include <optional>
#include <string>

#include "auth/access_keys.h"
#include "common/status.h"
#include "crypto/root_key.h"
#include "storage/access_key_store.h"
#include "storage/meta_store.h"

namespace arcana::app {

inline constexpr const char* kInitializedMeta = "initialized";

struct RootIdentityResult {
  bool initialised_here = false;          // this node's claim won
  std::optional<auth::NewAccessKey> key;  // set when initialised_here
  bool from_environment = false;          // the pair came from ARCANA_ROOT_*
};

// fixed_id / fixed_secret: the ARCANA_ROOT_* values, if given. Errors: the store's, and
// kInvalidParameter when fixed_id names a stored key with another secret.
Result<RootIdentityResult> EnsureRootIdentity(storage::MetaStore& meta,
                                              storage::AccessKeyStore& keys,
                                              const crypto::RootKey& root,
                                              const std::string& account_id,
                                              const std::optional<std::string>& fixed_id,
                                              const std::optional<std::string>& fixed_secret);

}  // namespace arcana::app
