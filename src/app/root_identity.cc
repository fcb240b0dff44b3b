#include "app/root_identity.h"

#include <spdlog/spdlog.h>

#include "crypto/aead.h"

namespace arcana::app {

Result<RootIdentityResult> EnsureRootIdentity(storage::MetaStore& meta,
                                              storage::AccessKeyStore& keys,
                                              const crypto::RootKey& root,
                                              const std::string& account_id,
                                              const std::optional<std::string>& fixed_id,
                                              const std::optional<std::string>& fixed_secret) {
  RootIdentityResult out;
  out.from_environment = fixed_secret.has_value();
  ARCANA_ASSIGN_OR_RETURN(auto marker, meta.GetMeta(kInitializedMeta));
  if (marker) return out;

  auto created = auth::CreateAccessKey(keys, root, account_id, fixed_id, fixed_secret);
  bool mine = created.ok();
  std::string id;
  if (created.ok()) {
    id = created->access_key_id;
  } else if (fixed_id && (created.status().code() == ErrorCode::kResourceExists ||
                          created.status().code() == ErrorCode::kAlreadyExists)) {
    // Another node given the same ARCANA_ROOT_* pair stored it first: it must be that pair.
    ARCANA_ASSIGN_OR_RETURN(auto rec, keys.GetAccessKey(*fixed_id));
    if (!rec) return created.status();
    if (fixed_secret) {
      auto stored = auth::OpenAccessKeySecret(root, *rec);
      const bool same = stored.ok() && *stored == *fixed_secret;
      if (stored.ok()) crypto::SecureWipe(*stored);
      if (!same) {
        return Status(ErrorCode::kInvalidParameter,
                      "ARCANA_ROOT_ACCESS_KEY_ID " + *fixed_id +
                          " names an access key of this store with another secret");
      }
    }
    id = *fixed_id;
  } else {
    return created.status();
  }

  ARCANA_ASSIGN_OR_RETURN(std::string winner, meta.PutMetaIfAbsent(kInitializedMeta, id));
  if (winner == id) {
    out.initialised_here = mine;
    if (mine) out.key = std::move(created).value();
    return out;
  }
  // Another node initialised the store first: its root key is the one; ours was never shown.
  if (mine && id != winner) {
    Status st = keys.DeleteAccessKey(id);
    if (!st.ok()) spdlog::warn("could not delete an unused root access key: {}", st.message());
  }
  spdlog::info("store initialised by another node (root access key {})", winner);
  return out;
}

}  // namespace arcana::app
