// An ARN's fields: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, split at its first five
// colons (the resource keeps any colons and slashes of its own). What each field must hold
// (an empty region for IAM, a 12-digit account, a resource type prefix) is the caller's rule.
#pragma once

#include <optional>
#include <string_view>

namespace arcana {

struct ArnFields {
  std::string_view partition, service, region, account, resource;  // views into the text
};

// nullopt when text does not begin with "arn:" or has fewer than five colons.
inline std::optional<ArnFields> SplitArn(std::string_view text) {
  std::string_view f[5];
  for (auto& field : f) {
    const size_t colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    field = text.substr(0, colon);
    text.remove_prefix(colon + 1);
  }
  if (f[0] != "arn") return std::nullopt;
  return ArnFields{f[1], f[2], f[3], f[4], text};
}

}  // namespace arcana
