#include "services/sts/mfa_check.h"

#include "domain/iam/mfa.h"
#include "services/common/write_retry.h"
#include "storage/identity_codec.h"

namespace arcana::services::sts {

Result<int64_t> CheckMfaCode(storage::IdentityStore& store, const auth::IdentityResolver& resolver,
                             const auth::Principal& caller, const json::Input& in,
                             int64_t now_ms) {
  const auto serial = in.Str("SerialNumber");
  const auto code = in.Str("TokenCode");
  if (!serial && !code) return int64_t{0};
  if (!serial || !code) {
    return Status(ErrorCode::kAccessDenied,
                  "MultiFactorAuthentication failed, must provide both MFA serial number and "
                  "one time pass code.");
  }
  // Two spaces after "code.", as AWS answers it.
  const Status unknown_device(ErrorCode::kAccessDenied,
                              "MultiFactorAuthentication failed, unable to validate MFA code.  "
                              "Please verify your MFA serial number is valid and associated "
                              "with this user.");
  const Status invalid_code(ErrorCode::kAccessDenied,
                            "MultiFactorAuthentication failed with invalid MFA one time pass "
                            "code.");
  // A user's device: its long-term keys, or a GetSessionToken session of it (kFederated)
  // assuming a role. The root's and roles' sessions have no virtual device here.
  const bool user = caller.type == auth::Principal::Type::kUser ||
                    caller.type == auth::Principal::Type::kFederated;
  auto parsed = domain::iam::ParseMfaSerial(*serial);
  if (!user || caller.user_id.empty() || !parsed || parsed->account != caller.account) {
    return unknown_device;
  }
  bool accepted = false;
  Status st = RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(auto entity, store.GetEntity(caller.account, storage::kMfaDeviceKind,
                                                         parsed->name));
    if (!entity || entity->id != *serial) return unknown_device;
    ARCANA_ASSIGN_OR_RETURN(auto device, storage::MfaDeviceFromEntity(*entity));
    if (device.user_id != caller.user_id) return unknown_device;
    // Past the bound on wrong codes, nothing is tried (and nothing written) until the lock ends.
    if (domain::iam::MfaCodesLocked(device, now_ms)) return invalid_code;
    ARCANA_ASSIGN_OR_RETURN(crypto::SecretString seed, resolver.OpenEntitySecret(*entity));
    auto step = domain::iam::AcceptMfaCode(seed.view(), device, *code, now_ms);
    accepted = step.has_value();
    if (accepted) {
      device.last_step = *step;
      domain::iam::ClearWrongMfaCodes(device);
    } else {
      domain::iam::CountWrongMfaCode(device, now_ms);
    }
    return store.WriteEntities({{storage::EntityWrite::Op::kPut, storage::ToEntity(device)}},
                               accepted ? "UseMFADevice" : "RefuseMFACode");
  });
  ARCANA_RETURN_IF_ERROR(st);
  if (!accepted) return invalid_code;
  return now_ms;
}

}  // namespace arcana::services::sts
