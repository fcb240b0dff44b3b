// Which changes of the store's change sequence (storage/change_log.h) a caller may see on the
// change stream (net/change_stream_api.h). One decision in one place.
// Thread-safety: a pure function of its arguments (may_read must be safe to call
// concurrently).
#pragma once

#include <functional>

#include "services/common/service.h"
#include "storage/change_log.h"

namespace arcana::auth {

// Whether the caller may read the value of the resource a change names, as the service that
// owns it decides with the policy engine (Secrets Manager: secretsmanager:GetSecretValue on
// the secret with its tags and resource policy; Parameter Store: ssm:GetParameter on the
// parameter with its tags and resource policies). The caller's context carries the
// authorizer. For a resource of another account it must decide as a read by full ARN
// would, with that resource's policy (AWS's cross-account rule: the caller's policies and
// the resource's must both allow), and answer false once the resource is gone: with no
// resource policy left to ask, nothing says the owner lets the caller see it.
using ReadCheck = std::function<bool(const services::CallContext& caller,
                                     const storage::Change& change)>;

// True when `change` is a secret or parameter change that the caller may read (may_read):
// one of its own account, or one of another account whose resource policy lets the caller
// read it (a secret or shared parameter read by ARN across accounts, which an agent caches
// like its own). Changes to KMS keys, access keys, identities and the root of trust are never
// streamed: an agent caches only secret and parameter values, and those other resources name
// credentials and keys. A change the caller may not read is skipped, never reported: even
// its ARN and timing tell something. An empty may_read allows every change of the caller's
// own account and none of another's (the server always passes one).
bool ChangeVisibleTo(const services::CallContext& caller, const storage::Change& change,
                     const ReadCheck& may_read);

}  // namespace arcana::auth
