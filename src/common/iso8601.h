// ISO 8601 timestamps as AWS's documents write them (Parameter Store expiration policies, SAML
// assertions' xs:dateTime): "2030-01-02T03:04:05Z", an optional fraction (milliseconds kept),
// Z or +hh:mm / -hh:mm. Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace arcana {

// Epoch milliseconds, or nullopt when `s` is not such a timestamp (a zone is required).
std::optional<int64_t> ParseIso8601Ms(std::string_view s);

}  // namespace arcana
