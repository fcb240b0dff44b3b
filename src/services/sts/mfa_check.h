// An STS call's MFA: GetSessionToken's and AssumeRole's SerialNumber and TokenCode, checked
// against the calling user's virtual MFA device (services/iam/iam_mfa_ops.cc made it;
// domain/iam/mfa.h says which codes it accepts). An accepted code is recorded on the device
// in the same step, so it is accepted once across every node (a replay is refused).
// Refusals are AccessDenied in the words AWS answers them (quoted from its answers in users'
// reports: aws/aws-cli#2279, #6325, lonelyplanet/aws-mfa#21, 99designs/aws-vault#676,
// y13i/sgviz#9).
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <cstdint>

#include "auth/identity_resolver.h"
#include "auth/principal.h"
#include "common/json.h"
#include "common/status.h"
#include "storage/identity_store.h"

namespace arcana::services::sts {

// 0 when the request gives neither SerialNumber nor TokenCode (no MFA); `now_ms` (when the
// caller authenticated with MFA) when the code is a code of the caller's own device the
// device accepts now; AccessDenied otherwise: only one of the two given ("must provide
// both ..."), a serial number that is no device enabled for the calling user ("unable to
// validate MFA code. ..."), a code that is wrong, stale or used before ("invalid MFA one time
// pass code."), and any code once the device had too many wrong ones in the current time step
// (domain/iam/mfa.h; each wrong code is counted on the device).
Result<int64_t> CheckMfaCode(storage::IdentityStore& store, const auth::IdentityResolver& resolver,
                             const auth::Principal& caller, const json::Input& in,
                             int64_t now_ms);

}  // namespace arcana::services::sts
