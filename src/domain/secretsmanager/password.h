// GetRandomPassword: builds a password from the AWS default alphabet
// (A-Z a-z 0-9 and the 32 ASCII punctuation characters, plus ' ' with include_space).
//
// Contract:
//  - length 1..4096; < 1 -> kInvalidParameter, > 4096 -> kValidation (AWS reports the
//    model constraint as ValidationException). exclude_characters > 4096 -> kValidation.
//  - With require_each_included_type (the default, as AWS's when the switch is absent)
//    every non-empty included class among upper/lower/digits/punctuation is represented;
//    without it the included classes only make up the pool and none is required.
//    Space, when included, is allowed but never required.
//  - A class whose characters are all listed in exclude_characters counts as excluded.
//  - No class left -> kInvalidParameter; with require_each_included_type, length < number
//    of included classes -> kInvalidParameter "Password length is too short based on the
//    required types."
//  - `uniform(bound)` must return a uniform value in [0, bound) from a CSPRNG. We pick one
//    character per required class (if any), fill the rest from the whole pool, then
//    Fisher-Yates shuffle, so no position is predictable.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/status.h"

namespace arcana::domain::sm {

inline constexpr int64_t kMaxPasswordLength = 4096;

struct PasswordOptions {
  int64_t length = 32;
  std::string exclude_characters;
  bool exclude_numbers = false;
  bool exclude_punctuation = false;
  bool exclude_uppercase = false;
  bool exclude_lowercase = false;
  bool include_space = false;
  bool require_each_included_type = true;  // AWS's default when the switch is absent
};

Result<std::string> GenerateRandomPassword(const PasswordOptions& options,
                                           const std::function<uint32_t(uint32_t)>& uniform);

}  // namespace arcana::domain::sm
