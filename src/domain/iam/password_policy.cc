#include "domain/iam/password_policy.h"

#include <vector>

namespace arcana::domain::iam {

namespace {

constexpr std::string_view kSymbols = "!@#$%^&*()_+-=[]{}|'";
constexpr int64_t kDefaultMinimumLength = 8;

struct Kinds {
  bool upper = false, lower = false, number = false, symbol = false;
};

Kinds KindsOf(std::string_view password) {
  Kinds k;
  for (char c : password) {
    if (c >= 'A' && c <= 'Z') k.upper = true;
    else if (c >= 'a' && c <= 'z') k.lower = true;
    else if (c >= '0' && c <= '9') k.number = true;
    else if (kSymbols.find(c) != std::string_view::npos) k.symbol = true;
  }
  return k;
}

std::string TooShort(int64_t minimum) {
  return "Password should have a minimum length of " + std::to_string(minimum);
}

constexpr const char* kNeedsUpper = "Password should have at least one uppercase letter";
constexpr const char* kNeedsLower = "Password should have at least one lowercase letter";
constexpr const char* kNeedsNumber = "Password should have at least one number";
constexpr const char* kNeedsSymbol = "Password should have at least one symbol";

}  // namespace

std::optional<std::string> PasswordViolation(const std::optional<PasswordPolicy>& policy,
                                             std::string_view password) {
  const Kinds k = KindsOf(password);
  if (policy) {
    if (static_cast<int64_t>(password.size()) < policy->minimum_length) {
      return TooShort(policy->minimum_length);
    }
    if (policy->require_uppercase && !k.upper) return std::string(kNeedsUpper);
    if (policy->require_lowercase && !k.lower) return std::string(kNeedsLower);
    if (policy->require_numbers && !k.number) return std::string(kNeedsNumber);
    if (policy->require_symbols && !k.symbol) return std::string(kNeedsSymbol);
    return std::nullopt;
  }
  if (static_cast<int64_t>(password.size()) < kDefaultMinimumLength) {
    return TooShort(kDefaultMinimumLength);
  }
  std::vector<const char*> missing;
  if (!k.upper) missing.push_back(kNeedsUpper);
  if (!k.lower) missing.push_back(kNeedsLower);
  if (!k.number) missing.push_back(kNeedsNumber);
  if (!k.symbol) missing.push_back(kNeedsSymbol);
  if (missing.size() <= 1) return std::nullopt;  // three of the four kinds
  std::string out = "Password should meet " + std::to_string(missing.size() - 1) +
                    " more of the following requirements: ";
  for (size_t i = 0; i < missing.size(); ++i) {
    if (i > 0) out += ", ";
    out += missing[i];
  }
  return out;
}

int64_t PasswordExpiresMs(const std::optional<PasswordPolicy>& policy, int64_t changed_ms) {
  if (!policy || !policy->max_age || *policy->max_age <= 0 || changed_ms <= 0) return 0;
  return changed_ms + *policy->max_age * 24 * 3600 * 1000;
}

}  // namespace arcana::domain::iam
