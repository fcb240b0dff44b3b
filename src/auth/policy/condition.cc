#include "auth/policy/condition.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <ctime>

#include "auth/policy/evaluator.h"
#include "common/civil_time.h"

namespace arcana::auth::policy {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// The literal text of an escaped pattern (string operators compare literally: a '*' in a
// StringEquals value is a star).
std::string Unescape(std::string_view p) {
  std::string lit;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\' && i + 1 < p.size()) ++i;
    lit.push_back(p[i]);
  }
  return lit;
}

// Text from the policy itself: its wildcards stay wildcards, only '\' needs escaping.
void AppendPolicyText(std::string* out, std::string_view s) {
  for (char c : s) {
    if (c == '\\') out->push_back('\\');
    out->push_back(c);
  }
}

void AppendEscaped(std::string* out, std::string_view s) {
  for (char c : s) {
    if (c == '*' || c == '?' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
}

struct Cidr {
  int family = 0;
  unsigned char addr[16] = {};
  int prefix = 0;
};

std::optional<Cidr> ParseCidr(std::string_view s) {
  if (s.size() > 64) return std::nullopt;
  std::string text(s);
  Cidr c;
  auto slash = text.find('/');
  std::string host = slash == std::string::npos ? text : text.substr(0, slash);
  if (inet_pton(AF_INET, host.c_str(), c.addr) == 1) {
    c.family = AF_INET;
    c.prefix = 32;
  } else if (inet_pton(AF_INET6, host.c_str(), c.addr) == 1) {
    c.family = AF_INET6;
    c.prefix = 128;
  } else {
    return std::nullopt;
  }
  if (slash != std::string::npos) {
    std::string p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3 || !std::all_of(p.begin(), p.end(), ::isdigit)) {
      return std::nullopt;
    }
    int n = std::stoi(p);
    if (n > c.prefix) return std::nullopt;
    c.prefix = n;
  }
  return c;
}

bool InCidr(const Cidr& net, const Cidr& ip) {
  if (net.family != ip.family) return false;
  int full = net.prefix / 8, rest = net.prefix % 8;
  if (std::memcmp(net.addr, ip.addr, full) != 0) return false;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xFF << (8 - rest));
  return (net.addr[full] & mask) == (ip.addr[full] & mask);
}

// ARN comparison: six colon-separated parts, each a glob (the resource part keeps its
// colons). A value that is not a six-part ARN is compared as one glob.
bool ArnMatch(std::string_view pattern, bool escaped, std::string_view arn) {
  auto split = [](std::string_view s, std::string_view parts[6]) {
    for (int i = 0; i < 5; ++i) {
      auto c = s.find(':');
      if (c == std::string_view::npos) return false;
      parts[i] = s.substr(0, c);
      s.remove_prefix(c + 1);
    }
    parts[5] = s;
    return true;
  };
  std::string_view pp[6], ap[6];
  if (!split(pattern, pp) || !split(arn, ap)) {
    return escaped ? GlobMatchEscaped(pattern, arn) : GlobMatch(pattern, arn);
  }
  for (int i = 0; i < 6; ++i) {
    bool m = escaped ? GlobMatchEscaped(pp[i], ap[i]) : GlobMatch(pp[i], ap[i]);
    if (!m) return false;
  }
  return true;
}

enum class Family { kString, kStringIgnoreCase, kStringLike, kNumeric, kDate, kBool, kBinary,
                    kIp, kArn };

struct OpInfo {
  Family family;
  bool negated;
  int cmp;  // numeric/date: 0 eq, -1 lt, -2 le, 1 gt, 2 ge
};

OpInfo Info(Operator op) {
  switch (op) {
    case Operator::kStringEquals: return {Family::kString, false, 0};
    case Operator::kStringNotEquals: return {Family::kString, true, 0};
    case Operator::kStringEqualsIgnoreCase: return {Family::kStringIgnoreCase, false, 0};
    case Operator::kStringNotEqualsIgnoreCase: return {Family::kStringIgnoreCase, true, 0};
    case Operator::kStringLike: return {Family::kStringLike, false, 0};
    case Operator::kStringNotLike: return {Family::kStringLike, true, 0};
    case Operator::kNumericEquals: return {Family::kNumeric, false, 0};
    case Operator::kNumericNotEquals: return {Family::kNumeric, true, 0};
    case Operator::kNumericLessThan: return {Family::kNumeric, false, -1};
    case Operator::kNumericLessThanEquals: return {Family::kNumeric, false, -2};
    case Operator::kNumericGreaterThan: return {Family::kNumeric, false, 1};
    case Operator::kNumericGreaterThanEquals: return {Family::kNumeric, false, 2};
    case Operator::kDateEquals: return {Family::kDate, false, 0};
    case Operator::kDateNotEquals: return {Family::kDate, true, 0};
    case Operator::kDateLessThan: return {Family::kDate, false, -1};
    case Operator::kDateLessThanEquals: return {Family::kDate, false, -2};
    case Operator::kDateGreaterThan: return {Family::kDate, false, 1};
    case Operator::kDateGreaterThanEquals: return {Family::kDate, false, 2};
    case Operator::kBool: return {Family::kBool, false, 0};
    case Operator::kBinaryEquals: return {Family::kBinary, false, 0};
    case Operator::kIpAddress: return {Family::kIp, false, 0};
    case Operator::kNotIpAddress: return {Family::kIp, true, 0};
    case Operator::kArnEquals: return {Family::kArn, false, 0};
    case Operator::kArnLike: return {Family::kArn, false, 0};
    case Operator::kArnNotEquals: return {Family::kArn, true, 0};
    case Operator::kArnNotLike: return {Family::kArn, true, 0};
    case Operator::kNull: return {Family::kString, false, 0};
  }
  return {Family::kString, false, 0};
}

template <typename T>
bool Compare(T a, T b, int cmp) {
  switch (cmp) {
    case -1: return a < b;
    case -2: return a <= b;
    case 1: return a > b;
    case 2: return a >= b;
    default: return a == b;
  }
}

// The positive (un-negated) test of one context value against one policy value. Policy
// values for string/ARN families may carry variables: `pattern` is already substituted.
bool PositiveMatch(const OpInfo& info, std::string_view pattern, bool escaped,
                   std::string_view value) {
  switch (info.family) {
    case Family::kString:
      return escaped ? Unescape(pattern) == value : pattern == value;
    case Family::kStringIgnoreCase:
      return IEquals(escaped ? Unescape(pattern) : std::string(pattern), value);
    case Family::kStringLike:
      return escaped ? GlobMatchEscaped(pattern, value) : GlobMatch(pattern, value);
    case Family::kNumeric: {
      auto a = ParseNumber(value), b = ParseNumber(pattern);
      return a && b && Compare(*a, *b, info.cmp);
    }
    case Family::kDate: {
      auto a = ParseDateSeconds(value), b = ParseDateSeconds(pattern);
      return a && b && Compare(*a, *b, info.cmp);
    }
    case Family::kBool: {
      bool a, b;
      return ParseBool(value, &a) && ParseBool(pattern, &b) && a == b;
    }
    case Family::kBinary:
      return pattern == value;
    case Family::kIp: {
      auto net = ParseCidr(pattern);
      auto ip = ParseCidr(value);
      return net && ip && InCidr(*net, *ip);
    }
    case Family::kArn:
      return ArnMatch(pattern, escaped, value);
  }
  return false;
}

}  // namespace

std::optional<double> ParseNumber(std::string_view s) {
  if (s.empty() || s.size() > 64) return std::nullopt;
  std::string t(s);
  char* end = nullptr;
  double d = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || std::isnan(d) || std::isinf(d)) return std::nullopt;
  if (!std::isdigit(static_cast<unsigned char>(t.back())) && t.back() != '.') return std::nullopt;
  return d;
}

std::optional<int64_t> ParseDateSeconds(std::string_view s) {
  if (s.empty() || s.size() > 40) return std::nullopt;
  bool digits = std::all_of(s.begin(), s.end(), ::isdigit);
  if (digits) {
    if (s.size() > 12) return std::nullopt;
    return std::stoll(std::string(s));
  }
  std::string t(s);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, n = 0;
  if (std::sscanf(t.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) {
    return std::nullopt;
  }
  size_t i = 10;
  int64_t offset = 0;
  if (i < t.size() && (t[i] == 'T' || t[i] == 't')) {
    int m = 0;
    if (std::sscanf(t.c_str() + i + 1, "%2d:%2d%n", &h, &mi, &m) != 2 || m != 5) {
      return std::nullopt;
    }
    i += 1 + 5;
    if (i < t.size() && t[i] == ':') {
      if (std::sscanf(t.c_str() + i + 1, "%2d%n", &sec, &m) != 1 || m != 2) return std::nullopt;
      i += 3;
      if (i < t.size() && t[i] == '.') {
        ++i;
        while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
      }
    }
    if (i < t.size()) {
      if (t[i] == 'Z' || t[i] == 'z') {
        ++i;
      } else if (t[i] == '+' || t[i] == '-') {
        int oh = 0, om = 0;
        if (std::sscanf(t.c_str() + i + 1, "%2d:%2d%n", &oh, &om, &m) != 2 || m != 5) {
          return std::nullopt;
        }
        offset = (t[i] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
        i += 6;
      }
    }
  }
  if (i != t.size()) return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  return EpochSecondsUtc(y, mo, d, h, mi, sec) - offset;
}

bool ParseBool(std::string_view s, bool* out) {
  if (IEquals(s, "true")) return *out = true, true;
  if (IEquals(s, "false")) return *out = false, true;
  return false;
}

bool IsIpOrCidr(std::string_view s) { return ParseCidr(s).has_value(); }

std::optional<std::string> Substitute(const Template& t, bool variables_enabled,
                                      const ContextKeys& ctx, bool* escaped,
                                      std::vector<std::string>* missing) {
  *escaped = false;
  if (!t.has_variables || !variables_enabled) return t.text;
  *escaped = true;
  std::string out;
  std::string_view s = t.text;
  bool ok = true;
  while (!s.empty()) {
    auto open = s.find("${");
    auto close = open == std::string_view::npos ? open : s.find('}', open);
    if (close == std::string_view::npos) {  // no (complete) variable left
      AppendPolicyText(&out, s);
      break;
    }
    AppendPolicyText(&out, s.substr(0, open));
    std::string_view body = s.substr(open + 2, close - open - 2);
    s.remove_prefix(close + 1);
    if (body == "*" || body == "?" || body == "$") {
      AppendEscaped(&out, body);
      continue;
    }
    std::string_view key = body;
    std::optional<std::string_view> def;
    auto comma = body.find(',');
    if (comma != std::string_view::npos) {
      key = body.substr(0, comma);
      std::string_view d = body.substr(comma + 1);
      while (!d.empty() && d.front() == ' ') d.remove_prefix(1);
      while (!d.empty() && d.back() == ' ') d.remove_suffix(1);
      if (d.size() >= 2 && d.front() == '\'' && d.back() == '\'') def = d.substr(1, d.size() - 2);
    }
    while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
    while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
    const auto* v = ctx.Find(key);
    if (v != nullptr && !v->empty()) {
      AppendEscaped(&out, v->front());
    } else if (def) {
      AppendEscaped(&out, *def);
    } else {
      if (missing != nullptr) missing->emplace_back(key);
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

bool GlobMatchEscaped(std::string_view p, std::string_view t) {
  size_t pi = 0, ti = 0, star_p = std::string_view::npos, star_t = 0;
  while (ti < t.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star_p = pi++;
      star_t = ti;
      continue;
    }
    if (pi < p.size()) {
      bool lit = p[pi] == '\\' && pi + 1 < p.size();
      char pc = lit ? p[pi + 1] : p[pi];
      if ((!lit && pc == '?') || pc == t[ti]) {
        pi += lit ? 2 : 1;
        ++ti;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p + 1;
    ti = ++star_t;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

bool ConditionHolds(const Condition& c, bool variables_enabled, const ContextKeys& ctx,
                    std::vector<std::string>* missing) {
  const std::vector<std::string>* values = ctx.Find(c.key);
  bool absent = values == nullptr || values->empty();
  if (c.op == Operator::kNull) {
    // "Null": "true" holds when the key is absent, "false" when it is present.
    for (const auto& v : c.values) {
      bool b;
      if (ParseBool(v.text, &b) && b == absent) return true;
    }
    return false;
  }
  if (absent) {
    if (missing != nullptr) missing->push_back(c.key_as_written);
    if (c.if_exists) return true;
    if (c.set == SetQualifier::kForAllValues) return true;  // vacuously: no value fails
    if (c.set == SetQualifier::kForAnyValue) return false;
    return Info(c.op).negated;  // StringNotEquals on a missing key holds
  }
  OpInfo info = Info(c.op);
  // Substitute variables once per policy value.
  std::vector<std::pair<std::string, bool>> patterns;
  patterns.reserve(c.values.size());
  for (const auto& t : c.values) {
    bool escaped = false;
    auto p = Substitute(t, variables_enabled, ctx, &escaped, missing);
    if (p) patterns.emplace_back(std::move(*p), escaped);
  }
  auto matches_any = [&](const std::string& v) {
    for (const auto& [p, esc] : patterns) {
      if (PositiveMatch(info, p, esc, v)) return true;
    }
    return false;
  };
  // A negated operator holds for a value matching none of the policy values.
  auto holds_for = [&](const std::string& v) { return matches_any(v) != info.negated; };
  if (c.set == SetQualifier::kForAllValues) {
    for (const auto& v : *values) {
      if (!holds_for(v)) return false;
    }
    return true;
  }
  if (c.set == SetQualifier::kForAnyValue) {
    for (const auto& v : *values) {
      if (holds_for(v)) return true;
    }
    return false;
  }
  // No qualifier: a negated operator holds when no context value matches; a positive one
  // when any does.
  if (info.negated) {
    for (const auto& v : *values) {
      if (matches_any(v)) return false;
    }
    return true;
  }
  for (const auto& v : *values) {
    if (matches_any(v)) return true;
  }
  return false;
}

}  // namespace arcana::auth::policy
