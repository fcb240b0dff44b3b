// Password hashing for IAM login profiles: scrypt (RFC 7914, OpenSSL's EVP_PBE_scrypt) with a
// random 16-byte salt, so a stored password is never the password, and a stolen store costs
// an attacker scrypt's memory and time per guess. The stored form names its parameters
// ("scrypt$N$r$p$SALT$HASH", base64 salt and hash), so they can be raised later without
// invalidating stored hashes. Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace arcana::crypto {

// The stored form of `password` (kInternalServiceError when the KDF fails).
Result<std::string> HashPassword(std::string_view password);

// Whether `password` is the one `stored` was made from (constant-time comparison); false for
// a stored form this function cannot read.
bool VerifyPassword(std::string_view password, std::string_view stored);

}  // namespace arcana::crypto
