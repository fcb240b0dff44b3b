// The account password policy (UpdateAccountPasswordPolicy) and the rules it sets for IAM
// users' console passwords (login profiles), with AWS's default rules when the account has
// no policy, and AWS's words for a password that breaks them. No I/O.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace arcana::domain::iam {

// A password policy as stored: the members AWS answers with, only those it answers.
struct PasswordPolicy {
  int64_t minimum_length = 6;  // AWS's default when the request leaves it out
  bool require_symbols = false;
  bool require_numbers = false;
  bool require_uppercase = false;
  bool require_lowercase = false;
  bool allow_users_to_change = false;
  std::optional<int64_t> max_age;  // days; absent (or 0): passwords never expire
  std::optional<int64_t> reuse_prevention;
  std::optional<bool> hard_expiry;
};

// Why `password` may not be set (PasswordPolicyViolation's message), nullopt when it may.
// With a policy: its first broken rule, the length first, then upper case, lower case,
// numbers and symbols ("Password should have a minimum length of 32", recorded; "Password
// should have at least one uppercase letter", ...). Without one, AWS's default rules (the IAM
// User Guide): at least 8 characters, and three of the four kinds ("Password should meet 1
// more of the following requirements: Password should have at least one uppercase letter,
// Password should have at least one symbol", recorded). Symbols are AWS's set:
// ! @ # $ % ^ & * ( ) _ + - = [ ] { } | '.
std::optional<std::string> PasswordViolation(const std::optional<PasswordPolicy>& policy,
                                             std::string_view password);

// When a password set at `changed_ms` must be changed under `policy` (its MaxPasswordAge), 0
// when it never expires.
int64_t PasswordExpiresMs(const std::optional<PasswordPolicy>& policy, int64_t changed_ms);

}  // namespace arcana::domain::iam
