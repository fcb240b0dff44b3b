#include "scan/rule_set.h"

#include <re2/re2.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "scan/builtin_rules.h"

namespace arcana::scan {

namespace {

constexpr size_t kMaxRuleFileBytes = size_t{4} << 20;

Status Invalid(const std::string& origin, const std::string& msg) {
  return Status(ErrorCode::kValidation, origin + ": " + msg);
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> Strings(const toml::node_view<const toml::node>& node) {
  std::vector<std::string> out;
  if (const auto* arr = node.as_array()) {
    for (const auto& v : *arr) {
      if (auto s = v.value<std::string>()) out.push_back(*s);
    }
  }
  return out;
}

Result<std::shared_ptr<const re2::RE2>> Regex(const std::string& origin, const std::string& where,
                                              const std::string& pattern) {
  std::string error;
  auto re = CompileRegex(pattern, &error);
  if (!re) return Invalid(origin, where + ": regex does not compile: " + error);
  return re;
}

Result<Allowlist> ParseAllowlist(const toml::table& t, const std::string& origin,
                                 const std::string& where) {
  Allowlist a;
  a.description = t["description"].value_or(std::string());
  std::string condition = t["condition"].value_or(std::string("OR"));
  if (condition != "OR" && condition != "AND") {
    return Invalid(origin, where + ": condition must be OR or AND");
  }
  a.require_all = condition == "AND";
  std::string target = t["regexTarget"].value_or(std::string("secret"));
  if (target == "secret") {
    a.regex_target = RegexTarget::kSecret;
  } else if (target == "match") {
    a.regex_target = RegexTarget::kMatch;
  } else if (target == "line") {
    a.regex_target = RegexTarget::kLine;
  } else {
    return Invalid(origin, where + ": regexTarget must be secret, match or line");
  }
  for (const auto& p : Strings(t["paths"])) {
    auto re = Regex(origin, where + " paths", p);
    if (!re.ok()) return re.status();
    a.paths.push_back(*re);
  }
  for (const auto& p : Strings(t["regexes"])) {
    auto re = Regex(origin, where + " regexes", p);
    if (!re.ok()) return re.status();
    a.regexes.push_back(*re);
  }
  for (auto& w : Strings(t["stopwords"])) a.stopwords.push_back(Lower(w));
  a.commits = Strings(t["commits"]);
  return a;
}

Result<Rule> ParseRule(const toml::table& t, const std::string& origin, size_t index) {
  Rule r;
  r.id = t["id"].value_or(std::string());
  if (r.id.empty()) return Invalid(origin, "rule #" + std::to_string(index + 1) + " has no id");
  const std::string where = "rule " + r.id;
  if (t.contains("required")) {
    return Invalid(origin, where + ": composite rules ([[rules.required]]) are not supported");
  }
  r.description = t["description"].value_or(std::string());
  r.regex = t["regex"].value_or(std::string());
  std::string path = t["path"].value_or(std::string());
  if (r.regex.empty() && path.empty()) return Invalid(origin, where + ": needs regex or path");
  if (!r.regex.empty()) {
    auto re = Regex(origin, where, r.regex);
    if (!re.ok()) return re.status();
    r.re = *re;
  }
  if (!path.empty()) {
    auto re = Regex(origin, where + " path", path);
    if (!re.ok()) return re.status();
    r.path = *re;
  }
  for (auto& k : Strings(t["keywords"])) r.keywords.push_back(Lower(k));
  r.entropy = t["entropy"].value_or(0.0);
  r.secret_group = static_cast<int>(t["secretGroup"].value_or(int64_t{0}));
  if (r.re && (r.secret_group < 0 || r.secret_group > r.re->NumberOfCapturingGroups())) {
    return Invalid(origin, where + ": secretGroup " + std::to_string(r.secret_group) +
                               " but the regex has " +
                               std::to_string(r.re->NumberOfCapturingGroups()) + " groups");
  }
  r.tags = Strings(t["tags"]);
  if (const auto* al = t["allowlist"].as_table()) {
    auto a = ParseAllowlist(*al, origin, where + " allowlist");
    if (!a.ok()) return a.status();
    r.allowlists.push_back(std::move(*a));
  }
  if (const auto* arr = t["allowlists"].as_array()) {
    for (const auto& n : *arr) {
      if (const auto* al = n.as_table()) {
        auto a = ParseAllowlist(*al, origin, where + " allowlists");
        if (!a.ok()) return a.status();
        r.allowlists.push_back(std::move(*a));
      }
    }
  }
  return r;
}

}  // namespace

RuleSet BuiltinRuleSet() {
  RuleSet set;
  set.rules = BuiltinRules();
  set.global_allowlists.push_back(BuiltinGlobalAllowlist());
  return set;
}

Result<RuleSet> ParseGitleaksToml(std::string_view text, const std::string& origin) {
  toml::table doc;
  try {
    doc = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << e.description() << " at line " << e.source().begin.line;
    return Invalid(origin, msg.str());
  }
  RuleSet set;
  bool use_default = false;
  std::vector<std::string> disabled;
  if (const auto* ext = doc["extend"].as_table()) {
    if (ext->contains("path") || ext->contains("url")) {
      return Invalid(origin, "[extend] path/url is not supported; merge the files instead");
    }
    use_default = (*ext)["useDefault"].value_or(false);
    disabled = Strings((*ext)["disabledRules"]);
  }
  if (use_default) {
    set = BuiltinRuleSet();
    std::erase_if(set.rules, [&](const Rule& r) {
      return std::find(disabled.begin(), disabled.end(), r.id) != disabled.end();
    });
  }
  if (const auto* rules = doc["rules"].as_array()) {
    for (size_t i = 0; i < rules->size(); ++i) {
      const auto* t = (*rules)[i].as_table();
      if (t == nullptr) return Invalid(origin, "[[rules]] entries must be tables");
      auto r = ParseRule(*t, origin, i);
      if (!r.ok()) return r.status();
      // A rule with a built-in's id replaces it (gitleaks' override when extending).
      std::erase_if(set.rules, [&](const Rule& x) { return x.id == r->id; });
      set.rules.push_back(std::move(*r));
    }
  }
  if (const auto* al = doc["allowlist"].as_table()) {
    auto a = ParseAllowlist(*al, origin, "[allowlist]");
    if (!a.ok()) return a.status();
    set.global_allowlists.push_back(std::move(*a));
  }
  if (const auto* arr = doc["allowlists"].as_array()) {
    for (const auto& n : *arr) {
      const auto* al = n.as_table();
      if (al == nullptr) continue;
      auto a = ParseAllowlist(*al, origin, "[[allowlists]]");
      if (!a.ok()) return a.status();
      auto targets = Strings((*al)["targetRules"]);
      if (targets.empty()) {
        set.global_allowlists.push_back(std::move(*a));
        continue;
      }
      for (auto& r : set.rules) {
        if (std::find(targets.begin(), targets.end(), r.id) != targets.end()) {
          r.allowlists.push_back(*a);
        }
      }
    }
  }
  if (set.rules.empty()) return Invalid(origin, "no rules");
  return set;
}

Result<RuleSet> LoadGitleaksFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Invalid(path, "cannot read");
  std::string text;
  text.resize(kMaxRuleFileBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxRuleFileBytes) return Invalid(path, "larger than 4 MiB");
  return ParseGitleaksToml(text, path);
}

}  // namespace arcana::scan
