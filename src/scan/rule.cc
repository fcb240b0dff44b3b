#include "scan/rule.h"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <optional>

namespace arcana::scan {

double ShannonEntropy(std::string_view s) {
  if (s.empty()) return 0;
  std::array<size_t, 256> counts{};
  for (unsigned char c : s) ++counts[c];
  double h = 0;
  const double n = static_cast<double>(s.size());
  for (size_t c : counts) {
    if (c == 0) continue;
    double p = static_cast<double>(c) / n;
    h -= p * std::log2(p);
  }
  return h;
}

namespace {

bool ContainsLower(std::string_view haystack, std::string_view lower_needle) {
  if (lower_needle.empty() || lower_needle.size() > haystack.size()) return false;
  auto it = std::search(haystack.begin(), haystack.end(), lower_needle.begin(),
                        lower_needle.end(), [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) == b;
                        });
  return it != haystack.end();
}

}  // namespace

bool AllowlistAllows(const Allowlist& a, const MatchContext& ctx) {
  if (a.empty()) return false;
  // Each criterion: nullopt when the list is empty (not part of the decision).
  auto any = [](bool configured, auto&& hit) -> std::optional<bool> {
    if (!configured) return std::nullopt;
    return hit();
  };
  std::optional<bool> results[] = {
      any(!a.commits.empty(),
          [&] {
            if (ctx.commit.empty()) return false;
            return std::any_of(a.commits.begin(), a.commits.end(), [&](const std::string& c) {
              return !c.empty() && ctx.commit.substr(0, c.size()) == c;
            });
          }),
      any(!a.paths.empty(),
          [&] {
            return std::any_of(a.paths.begin(), a.paths.end(), [&](const auto& re) {
              return RE2::PartialMatch(ctx.path, *re);
            });
          }),
      any(!a.regexes.empty(),
          [&] {
            std::string_view target = a.regex_target == RegexTarget::kLine    ? ctx.line
                                      : a.regex_target == RegexTarget::kMatch ? ctx.match
                                                                              : ctx.secret;
            return std::any_of(a.regexes.begin(), a.regexes.end(), [&](const auto& re) {
              return RE2::PartialMatch(target, *re);
            });
          }),
      any(!a.stopwords.empty(),
          [&] {
            return std::any_of(a.stopwords.begin(), a.stopwords.end(),
                               [&](const std::string& w) { return ContainsLower(ctx.secret, w); });
          }),
  };
  bool all = true, some = false;
  for (const auto& r : results) {
    if (!r) continue;
    all = all && *r;
    some = some || *r;
  }
  return a.require_all ? all : some;
}

std::shared_ptr<const re2::RE2> CompileRegex(const std::string& pattern, std::string* error) {
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_max_mem(int64_t{8} << 20);
  auto re = std::make_shared<const RE2>(pattern, opts);
  if (!re->ok()) {
    if (error != nullptr) *error = re->error();
    return nullptr;
  }
  return re;
}

}  // namespace arcana::scan
