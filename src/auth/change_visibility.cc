#include "auth/change_visibility.h"

namespace arcana::auth {

bool ChangeVisibleTo(const services::CallContext& caller, const storage::Change& change,
                     const ReadCheck& may_read) {
  if (change.service != "secretsmanager" && change.service != "ssm") return false;
  if (change.account.empty() || caller.account.empty()) return false;
  // Another account's resource is not hidden by its account alone: a caller its resource
  // policy lets read it caches it too, and must learn of its changes (may_read decides).
  if (!may_read) return change.account == caller.account;
  return may_read(caller, change);
}

}  // namespace arcana::auth
