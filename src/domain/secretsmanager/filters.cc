#include "domain/secretsmanager/filters.h"

#include <array>
#include <string_view>

namespace arcana::domain::sm {
namespace {

constexpr std::array<std::string_view, 7> kFilterKeys = {
    "description", "name", "tag-key", "tag-value", "primary-region", "owning-service", "all"};

bool IsAsciiAlpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsAsciiLower(char c) { return c >= 'a' && c <= 'z'; }
char ToLower(char c) { return IsAsciiUpper(c) ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsValueChar(char c) {
  if (IsAsciiAlpha(c) || IsAsciiDigit(c)) return true;
  switch (c) {
    case ' ': case ':': case '_': case '@': case '/': case '+': case '=': case '.':
    case '-': case '!':
      return true;
    default:
      return false;
  }
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (prefix.size() > s.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (ToLower(s[i]) != ToLower(prefix[i])) return false;
  }
  return true;
}

// True when every word in `needles` prefixes (case-insensitively) some word in `hay`.
bool AllWordsPrefixSome(const std::vector<std::string>& needles,
                        const std::vector<std::string>& hay) {
  for (const auto& n : needles) {
    bool found = false;
    for (const auto& h : hay) {
      if (StartsWithNoCase(h, n)) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

// description: the value's words must each prefix a word of the description, in any
// order, case-insensitively ("o t" matches "one and two"; AWS-observed).
bool MatchDescription(std::string_view description, std::string_view value) {
  auto needles = SplitFilterWords(value);
  // A value of separators only (or empty) has no words and matches nothing.
  if (needles.empty()) return false;
  return AllWordsPrefixSome(needles, SplitFilterWords(description));
}

bool MatchAll(const FilterSubject& s, std::string_view value) {
  auto needles = SplitFilterWords(value);
  // "+" or "/" alone is no word: it matches nothing (AWS-observed), never everything.
  if (needles.empty()) return false;
  std::vector<std::string> hay = SplitFilterWords(s.name);
  auto append = [&hay](std::string_view text) {
    for (auto& w : SplitFilterWords(text)) hay.push_back(std::move(w));
  };
  append(s.description);
  for (const auto& [k, v] : s.tags) {
    append(k);
    append(v);
  }
  return AllWordsPrefixSome(needles, hay);
}

// Does the (un-negated) value match the subject for this key?
bool MatchOne(const FilterSubject& s, std::string_view key, std::string_view value) {
  if (key == "name") return StartsWith(s.name, value);
  if (key == "description") return MatchDescription(s.description, value);
  if (key == "tag-key") {
    for (const auto& [k, v] : s.tags) {
      if (StartsWith(k, value)) return true;
    }
    return false;
  }
  if (key == "tag-value") {
    for (const auto& [k, v] : s.tags) {
      if (StartsWith(v, value)) return true;
    }
    return false;
  }
  if (key == "primary-region") return StartsWith(s.primary_region, value);
  if (key == "owning-service") return StartsWith(s.owning_service, value);
  if (key == "all") return MatchAll(s, value);
  return false;
}

bool MatchFilter(const FilterSubject& s, const Filter& f) {
  // The values are ORed, and a negated value is one more value: "!x" is "x does not match".
  for (const auto& raw : f.values) {
    std::string_view v = raw;
    bool negated = !v.empty() && v.front() == '!';
    if (negated) v.remove_prefix(1);
    if (MatchOne(s, f.key, v) != negated) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> SplitFilterWords(std::string_view text) {
  std::vector<std::string> words;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) words.push_back(std::move(cur));
    cur.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (!IsAsciiAlpha(c) && !IsAsciiDigit(c)) {
      flush();
      continue;
    }
    if (!cur.empty()) {
      char prev = cur.back();
      bool boundary =
          (!IsAsciiDigit(prev) && IsAsciiDigit(c)) ||             // letter -> digit only
          (IsAsciiLower(prev) && IsAsciiUpper(c)) ||              // camelCase
          (IsAsciiUpper(prev) && IsAsciiUpper(c) && i + 1 < text.size() &&
           IsAsciiLower(text[i + 1]));                            // "HTTPServer" -> HTTP|Server
      if (boundary) flush();
    }
    cur.push_back(c);
  }
  flush();
  return words;
}

bool MatchesFilterValuePattern(std::string_view value) {
  for (char c : value) {
    if (!IsValueChar(c)) return false;
  }
  return true;
}

Status ValidateFilters(const std::vector<Filter>& filters) {
  if (filters.size() > kMaxFilters) {
    return Status(ErrorCode::kInvalidParameter,
                  "Invalid filters: you can specify at most 10 filters.");
  }
  for (const auto& f : filters) {
    // A filter without Key or without Values passes the model (neither is required): AWS
    // answers these two in its own words (as moto recorded them).
    if (f.key.empty()) return Status(ErrorCode::kInvalidParameter, "Invalid filter key");
    if (f.values.empty()) {
      return Status(ErrorCode::kInvalidParameter, "Invalid filter values for key: " + f.key);
    }
    bool known = false;
    for (auto k : kFilterKeys) known = known || f.key == k;
    if (!known) {
      return Status(ErrorCode::kInvalidParameter,
                    "Invalid filter key: " + f.key +
                        ". Valid keys are description, name, tag-key, tag-value, "
                        "primary-region, owning-service, all.");
    }
    if (f.values.empty() || f.values.size() > kMaxFilterValues) {
      return Status(ErrorCode::kInvalidParameter,
                    "Invalid filter values for key " + f.key +
                        ": a filter must have between 1 and 10 values.");
    }
    for (const auto& v : f.values) {
      if (v.size() > kMaxFilterValueLength || !MatchesFilterValuePattern(v)) {
        return Status(ErrorCode::kInvalidParameter,
                      "Invalid filter value for key " + f.key +
                          ": values can be at most 512 characters and contain only "
                          "alphanumeric characters, spaces, or :_@/+=.-!");
      }
    }
  }
  return Status::Ok();
}

bool MatchesFilters(const FilterSubject& subject, const std::vector<Filter>& filters) {
  for (const auto& f : filters) {
    if (!MatchFilter(subject, f)) return false;
  }
  return true;
}

}  // namespace arcana::domain::sm
