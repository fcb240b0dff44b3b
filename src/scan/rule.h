// The rule model of `arcana scan`, shaped like gitleaks' so a team's gitleaks TOML file maps
// onto it one to one (gitleaks_config.h) and the built-in rules (builtin_rules.h) are plain
// data in the same shape.
//
// A rule matches a regular expression (RE2 syntax, which is gitleaks' Go syntax); the secret
// is its `secret_group`-th capture (0 = the first non-empty group, or the whole match when
// the pattern has none). A candidate is kept when a keyword (if any) occurs in the scanned
// fragment, the secret's Shannon entropy exceeds `entropy` (when set), the built-in
// validator (if any) accepts it, and no allowlist of the rule or the global one applies.
// Thread-safety: plain values; compiled regexes are immutable and shared between threads.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace arcana::scan {

// What an allowlist regex is matched against (gitleaks' regexTarget).
enum class RegexTarget { kSecret, kMatch, kLine };

// A gitleaks allowlist: a finding is allowed when ANY of the non-empty criteria hits
// (condition OR, the default) or when ALL of them hit (AND).
struct Allowlist {
  std::string description;
  bool require_all = false;                           // condition = "AND"
  std::vector<std::shared_ptr<const re2::RE2>> paths;   // on the file path
  std::vector<std::shared_ptr<const re2::RE2>> regexes; // on regex_target
  RegexTarget regex_target = RegexTarget::kSecret;
  std::vector<std::string> stopwords;  // lowercase; allowed when the secret contains one
  std::vector<std::string> commits;    // commit ids (full or prefix)
  bool empty() const {
    return paths.empty() && regexes.empty() && stopwords.empty() && commits.empty();
  }
};

// Where a candidate was found, for allowlists and validators.
struct MatchContext {
  std::string_view path;
  std::string_view commit;  // empty outside --git
  std::string_view line;    // the whole line holding the match start
  std::string_view match;   // the whole regex match
  std::string_view secret;
  std::string_view quote;   // the quote before the secret when the rule captures one
};

struct Rule {
  std::string id;
  std::string description;
  std::string regex;                      // RE2 syntax; empty for a path-only rule
  std::shared_ptr<const re2::RE2> re;     // compiled `regex` (null for path-only rules)
  std::shared_ptr<const re2::RE2> path;   // the rule applies only to matching paths
  std::vector<std::string> keywords;      // lowercase; empty = always applies
  double entropy = 0;                     // minimum Shannon entropy (bits/char); 0 = none
  int secret_group = 0;
  std::vector<std::string> tags;
  std::vector<Allowlist> allowlists;
  // Built-in rules only: a cheaper pattern for Vectorscan to find candidates with (large
  // bounded repeats make its compile slow). Each of its matches must end on the line of a
  // rule match, at most 1 KiB after the match ends and 8 KiB after it starts (the window RE2
  // confirms in, engine.cc). Empty: `regex` itself.
  std::string vectorscan;
  // Built-in rules only: a last check on the candidate (false = not a secret).
  std::function<bool(const MatchContext&)> validator;
};

// Shannon entropy in bits per byte of s (0 for empty).
double ShannonEntropy(std::string_view s);

// True when the allowlist allows a candidate at ctx.
bool AllowlistAllows(const Allowlist& a, const MatchContext& ctx);

// Compiles an RE2 pattern the way rules use it (Latin-1 off, never logs). Null on error and
// *error says why.
std::shared_ptr<const re2::RE2> CompileRegex(const std::string& pattern, std::string* error);

}  // namespace arcana::scan
