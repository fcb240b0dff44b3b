// Condition operators (one Condition block entry) and policy-variable substitution: the
// parts of evaluation that read the request context. Internal to auth/policy (evaluator.cc,
// fuzz/policy_fuzzer.cc).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/policy/policy.h"
#include "auth/policy/request_context.h"

namespace arcana::auth::policy {

// The template with its ${...} variables replaced from the context, as a glob pattern in
// which characters that came from the context (and ${*} ${?} ${$}) are escaped with '\'.
// nullopt when a variable is absent from the context and has no default (the value then
// matches nothing). Templates without variables (or with variables disabled) are returned
// as written, unescaped. Keys read are appended to *read_keys when given.
std::optional<std::string> Substitute(const Template& t, bool variables_enabled,
                                      const ContextKeys& ctx, bool* escaped,
                                      std::vector<std::string>* missing);

// Glob match with '\' escapes (patterns produced by Substitute with *escaped set).
bool GlobMatchEscaped(std::string_view pattern, std::string_view text);

// One condition: true when it holds. Keys the condition reads that are absent are appended
// to *missing (as written in the policy).
bool ConditionHolds(const Condition& c, bool variables_enabled, const ContextKeys& ctx,
                    std::vector<std::string>* missing);

// Parsers for typed context values (also used to validate simulator context entries).
std::optional<double> ParseNumber(std::string_view s);
std::optional<int64_t> ParseDateSeconds(std::string_view s);  // ISO 8601 or epoch seconds
bool ParseBool(std::string_view s, bool* out);
bool IsIpOrCidr(std::string_view s);

}  // namespace arcana::auth::policy
