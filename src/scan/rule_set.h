// The rules one scan runs with: the built-in set, a gitleaks-format TOML file, or both.
//
// gitleaks' configuration format (https://github.com/gitleaks/gitleaks, config/gitleaks.toml)
// is read as is: [[rules]] with id, description, regex, secretGroup, entropy, keywords, path,
// tags and an allowlist ([rules.allowlist], or the newer [[rules.allowlists]]); a global
// [allowlist] / [[allowlists]] (optionally narrowed by targetRules); [extend] useDefault = true
// keeps the built-in rules (Arcana's own, which stand in for gitleaks' defaults) and
// disabledRules drops some of them. A file without [extend] useDefault replaces the built-ins,
// as it does in gitleaks. Composite rules ([[rules.required]]) and [extend] path are refused
// by name rather than half-applied.
// Thread-safety: a loaded RuleSet is immutable.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "scan/rule.h"

namespace arcana::scan {

struct RuleSet {
  std::vector<Rule> rules;
  std::vector<Allowlist> global_allowlists;
};

// The built-in rules and their global allowlist.
RuleSet BuiltinRuleSet();

// Parses a gitleaks TOML text. `origin` names it in errors. Errors: kValidation with the
// problem (TOML syntax and line, a rule without id, a regex RE2 cannot compile with the rule
// id, an unsupported feature).
Result<RuleSet> ParseGitleaksToml(std::string_view text, const std::string& origin);
// Reads and parses FILE (at most 4 MiB). Errors as above, or kValidation when unreadable.
Result<RuleSet> LoadGitleaksFile(const std::string& path);

}  // namespace arcana::scan
