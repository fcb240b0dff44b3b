// Which changes of the store's change sequence (storage/change_log.h) a caller may see on the
// change stream (net/change_stream_api.h). One decision in one place, so the access-control
// policy engine plugs in here and nowhere else.
// Thread-safety: a pure function of its arguments.
#pragma once

#include "services/common/service.h"
#include "storage/change_log.h"

namespace arcana::auth {

// True when `change` is a secret or parameter change in the caller's own account. Changes to
// KMS keys, access keys and the root of trust are never streamed: an agent caches only secret
// and parameter values, and those other resources name credentials and keys.
bool ChangeVisibleTo(const services::CallContext& caller, const storage::Change& change);

}  // namespace arcana::auth
