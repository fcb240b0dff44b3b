#include "auth/access_key_owner.h"

namespace arcana::auth {

Result<std::optional<std::string>> AccountOfAccessKey(storage::AccessKeyStore& root_keys,
                                                      storage::IdentityStore& identities,
                                                      const std::string& access_key_id) {
  // Where the authenticator looks, in its order (auth/authenticator.cc, Read, then
  // IdentityResolver::Resolve): the root's keys, then a session for an ASIA id or a user's
  // key for any other, so the account answered is the one the key signs for.
  ARCANA_ASSIGN_OR_RETURN(auto root_key, root_keys.GetAccessKey(access_key_id));
  if (root_key) return std::optional<std::string>(root_key->account_id);
  if (access_key_id.starts_with("ASIA")) {
    ARCANA_ASSIGN_OR_RETURN(auto session, identities.GetSession(access_key_id));
    if (session) return std::optional<std::string>(session->account);
    return std::optional<std::string>();
  }
  ARCANA_ASSIGN_OR_RETURN(auto user_key, identities.GetUserAccessKey(access_key_id));
  if (user_key) return std::optional<std::string>(user_key->account);
  return std::optional<std::string>();
}

}  // namespace arcana::auth
