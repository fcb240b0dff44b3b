#include "domain/secretsmanager/password.h"

#include <string_view>
#include <vector>

namespace arcana::domain::sm {
namespace {

constexpr std::string_view kUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr std::string_view kLower = "abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kDigits = "0123456789";
constexpr std::string_view kPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

std::string Without(std::string_view chars, std::string_view excluded) {
  std::string out;
  for (char c : chars) {
    if (excluded.find(c) == std::string_view::npos) out.push_back(c);
  }
  return out;
}

char Pick(const std::string& pool, const std::function<uint32_t(uint32_t)>& uniform) {
  // The modulo only guards against a misbehaving `uniform`; a correct one is in range.
  return pool[uniform(static_cast<uint32_t>(pool.size())) % pool.size()];
}

}  // namespace

Result<std::string> GenerateRandomPassword(const PasswordOptions& options,
                                           const std::function<uint32_t(uint32_t)>& uniform) {
  if (options.length > kMaxPasswordLength) {
    return Status(ErrorCode::kValidation,
                  "1 validation error detected: Value at 'passwordLength' failed to satisfy "
                  "constraint: Member must have value less than or equal to 4096");
  }
  if (options.length < 1) {
    return Status(ErrorCode::kInvalidParameter, "Password length must be between 1 and 4096.");
  }
  if (options.exclude_characters.size() > static_cast<size_t>(kMaxPasswordLength)) {
    return Status(ErrorCode::kValidation,
                  "1 validation error detected: Value at 'excludeCharacters' failed to satisfy "
                  "constraint: Member must have length less than or equal to 4096");
  }

  std::vector<std::string> required;  // one entry per included class
  auto add_class = [&](bool excluded, std::string_view chars) {
    if (excluded) return;
    std::string left = Without(chars, options.exclude_characters);
    if (!left.empty()) required.push_back(std::move(left));
  };
  add_class(options.exclude_uppercase, kUpper);
  add_class(options.exclude_lowercase, kLower);
  add_class(options.exclude_numbers, kDigits);
  add_class(options.exclude_punctuation, kPunctuation);
  if (required.empty()) {
    return Status(ErrorCode::kInvalidParameter,
                  "The password must include at least one character type; all character types "
                  "are excluded.");
  }
  if (options.require_each_included_type &&
      options.length < static_cast<int64_t>(required.size())) {
    return Status(ErrorCode::kInvalidParameter,
                  "Password length is too short based on the required types.");
  }

  std::string pool;
  for (const auto& cls : required) pool += cls;
  if (options.include_space && options.exclude_characters.find(' ') == std::string::npos) {
    pool.push_back(' ');
  }

  std::string password;
  password.reserve(static_cast<size_t>(options.length));
  // Without RequireEachIncludedType the classes only make up the pool (AWS: the switch
  // is what asks for at least one of each), so a 1..3 character password is valid.
  if (options.require_each_included_type) {
    for (const auto& cls : required) password.push_back(Pick(cls, uniform));
  }
  while (password.size() < static_cast<size_t>(options.length)) {
    password.push_back(Pick(pool, uniform));
  }
  // Fisher-Yates: the required characters must not sit at fixed positions.
  for (size_t i = password.size() - 1; i > 0; --i) {
    size_t j = uniform(static_cast<uint32_t>(i + 1)) % (i + 1);
    std::swap(password[i], password[j]);
  }
  return password;
}

}  // namespace arcana::domain::sm
