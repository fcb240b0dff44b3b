// Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP): what a virtual MFA device
// (an authenticator app given the device's seed) shows, and how IAM's MFA calls check it.
// HMAC-SHA-1, 30-second steps, 6 digits: the parameters every authenticator app assumes when
// a seed is given as a bare otpauth://totp URI, and the ones AWS's virtual MFA devices use.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace arcana::crypto {

inline constexpr int64_t kTotpStepSeconds = 30;
inline constexpr size_t kTotpDigits = 6;

// The time step of a Unix time in seconds (floor(t / 30)).
inline int64_t TotpStep(int64_t unix_seconds) {
  return unix_seconds >= 0 ? unix_seconds / kTotpStepSeconds
                           : (unix_seconds - kTotpStepSeconds + 1) / kTotpStepSeconds;
}

// The 6-digit code (with leading zeros) of `seed` at time step `step`.
std::string TotpCode(std::string_view seed, int64_t step);

// The step in [first, last] (searched from `last` down, so the latest match wins) whose code
// is `code`, compared in constant time per step; nullopt when none is, or `code` is not six
// ASCII digits.
std::optional<int64_t> FindTotpStep(std::string_view seed, std::string_view code, int64_t first,
                                    int64_t last);

// Base32 (RFC 4648 section 6, upper case, without '=' padding): how an authenticator app is
// given a seed (the otpauth URI's `secret`, IAM's Base32StringSeed).
std::string Base32Encode(std::string_view raw);

}  // namespace arcana::crypto
