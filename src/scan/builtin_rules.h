// Arcana's built-in secret rules: common credential shapes (AWS, GitHub, GitLab, Slack,
// Stripe, Google, Twilio, SendGrid, PEM private keys, JWTs, database and broker URLs with a
// password, and password=/secret=/token= assignments), and the global allowlist that keeps
// well-known decoys out (AWS's documented example keys, lock-file integrity strings,
// placeholders). Rule ids starting with "generic" are the least specific: when a specific rule
// reports the same secret, the generic finding is dropped (engine.h).
#pragma once

#include <vector>

#include "scan/rule.h"

namespace arcana::scan {

std::vector<Rule> BuiltinRules();
// The allowlist applied to every rule when the built-in rules are in use.
Allowlist BuiltinGlobalAllowlist();

// True when the secret is a value people write in docs and fixtures rather than a credential:
// placeholders, templating and environment references (shared with migrate's checks).
bool LooksLikePlaceholder(std::string_view secret);

}  // namespace arcana::scan
