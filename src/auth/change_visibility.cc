#include "auth/change_visibility.h"

namespace arcana::auth {

bool ChangeVisibleTo(const services::CallContext& caller, const storage::Change& change,
                     const ReadCheck& may_read) {
  if (change.service != "secretsmanager" && change.service != "ssm") return false;
  if (change.account.empty() || change.account != caller.account) return false;
  return !may_read || may_read(caller, change);
}

}  // namespace arcana::auth
