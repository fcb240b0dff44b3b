// The rules of IAM's virtual MFA devices (no I/O): their serial numbers, which codes a device
// accepts and when, and the otpauth:// URI an authenticator app is given. The codes are
// RFC 6238's (crypto/totp.h); the seed is the caller's to open (auth::IdentityResolver).
//
// A code is accepted once: every accepted code moves the device's last_step, and a code of
// that step or an earlier one is refused, so a code seen over someone's shoulder, or replayed
// from a captured request, is worth nothing once used (AWS refuses a reused code likewise).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/iam/identity.h"

namespace arcana::domain::iam {

// The parts of a virtual MFA device's serial number, arn:aws:iam::ACCOUNT:mfa/PATH/NAME.
struct MfaSerial {
  std::string account;
  std::string path;  // "/" or "/a/b/"
  std::string name;
};
// nullopt when `serial` is no virtual MFA device's serial number.
std::optional<MfaSerial> ParseMfaSerial(std::string_view serial);

// How far from now (in 30-second steps) the two consecutive codes of EnableMFADevice may have
// been shown: from 5 minutes back (the codes were read, then typed) to one step ahead (the
// device's clock a little fast). ResyncMFADevice looks a day either way: it exists for a
// device whose clock has drifted.
inline constexpr int64_t kEnableStepsBack = 10;
inline constexpr int64_t kEnableStepsAhead = 1;
inline constexpr int64_t kResyncSteps = 2880;

// The step of `code2` when code1 and code2 are the codes of two consecutive steps within
// [now_step - back, now_step + ahead] (code1's step in that range), the latest such pair;
// nullopt when no pair matches.
std::optional<int64_t> MatchConsecutiveCodes(std::string_view seed, std::string_view code1,
                                             std::string_view code2, int64_t now_step,
                                             int64_t back, int64_t ahead);

// The step of `code` when the device accepts it now: within one step of the device's time
// (our step plus its drift, as the last Enable or Resync measured it) and after the last
// step it accepted; nullopt otherwise.
std::optional<int64_t> AcceptMfaCode(std::string_view seed, const MfaDevice& device,
                                     std::string_view code, int64_t now_ms);

// Wrong codes are bounded per device: after kMaxWrongCodesPerStep wrong codes in a row every
// code is refused, the right one too, for one time step; after the next five in a row for two,
// then four, ... up to kMaxMfaLockSteps (an hour); a code accepted ends the run. Without a
// bound, a caller holding a user's keys but not the device could try all 10^6 codes, three of
// which are valid at any time, at the server's rate (minutes); five per step would still give
// it even odds within about two weeks; with the doubling, five an hour, it takes years. The
// count is kept on the device, so it holds across nodes. (Vault's TOTP engine bounds attempts
// per period, 5 by default.)
inline constexpr int64_t kMaxWrongCodesPerStep = 5;
inline constexpr int64_t kMaxMfaLockSteps = 120;
// Whether the device refuses codes now (a run of wrong codes reached the bound above and its
// lock has not ended).
bool MfaCodesLocked(const MfaDevice& device, int64_t now_ms);
// Counts a wrong code given now.
void CountWrongMfaCode(MfaDevice& device, int64_t now_ms);
// A code was accepted: the run of wrong codes ends.
void ClearWrongMfaCodes(MfaDevice& device);

// The URI an authenticator app reads from the QR code, as AWS writes it:
// otpauth://totp/Amazon%20Web%20Services:NAME@ACCOUNT?secret=SEED&issuer=Amazon%20Web%20Services
// (`account_label`: the account's alias, or its id when it has none).
std::string OtpauthUri(std::string_view device_name, std::string_view account_label,
                       std::string_view base32_seed);

}  // namespace arcana::domain::iam
