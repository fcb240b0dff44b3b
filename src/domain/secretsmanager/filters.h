// ListSecrets / BatchGetSecretValue filters (spec 2.4).
//
// Contract:
//  - ValidateFilters: at most 10 filters; key one of description, name, tag-key,
//    tag-value, primary-region, owning-service, all; 1..10 values per filter (the model
//    applies this to `all` too); each value <= 512 chars matching
//    ^\!?[a-zA-Z0-9 :_@\/\+\=\.\-\!]*$. Failures are kInvalidParameter.
//  - MatchesFilters: filters are ANDed; the values of one filter are ORed (spec 2.4), and a
//    negated value ("!x") is one more value, true for every subject x does not match: so
//    {"one", "!two"} keeps what matches one or does not match two. For tag filters "match"
//    means "some tag matches", so "!foo" on tag-key keeps only secrets with no tag key
//    starting with foo.
//  - Per key: name, tag-key, tag-value, primary-region, owning-service are case-sensitive
//    prefix matches (owning-service follows the model, not the guide). description and all
//    split the value and the fields into words (SplitFilterWords) and need every value
//    word to prefix some field word, case-insensitively (all: words of the name,
//    description, tag keys and tag values). A value with no words (only separators, or
//    empty) matches nothing.
//  - SplitFilterWords: words are runs of ASCII letters and digits; anything else (the name
//    characters / _ + = . @ - and space, :, !) separates. A word also ends at a
//    lower-to-upper change ("AppBeta" = App + Beta), before the last capital of a capital
//    run followed by a lower-case letter ("COMPANYthings" = COMPAN + Ythings, as AWS
//    splits it) and where a letter is followed by a digit ("creds892" = creds + 892, per
//    the guide), not where a digit is followed by a letter: "6c8d2e" = 6c + 8d + 2e, so a
//    hex suffix yields no one-letter words (moto's AWS-verified test_with_all_filter finds
//    "d" only in a description, whatever the names' random suffixes).
//  - An empty filter list matches everything.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace arcana::domain::sm {

inline constexpr size_t kMaxFilters = 10;
inline constexpr size_t kMaxFilterValues = 10;
inline constexpr size_t kMaxFilterValueLength = 512;

struct Filter {
  std::string key;
  std::vector<std::string> values;
};

Status ValidateFilters(const std::vector<Filter>& filters);

// Whether a filter value matches the model's FilterValueStringType pattern
// ^\!?[a-zA-Z0-9 :_@\/\+\=\.\-\!]*$ (the optional leading '!' is in the class too, so
// the class alone decides). The request validator checks it with the model's wording.
bool MatchesFilterValuePattern(std::string_view value);

struct FilterSubject {
  std::string name;
  std::string description;
  std::string primary_region;
  std::string owning_service;
  std::vector<std::pair<std::string, std::string>> tags;  // (key, value)
};

// Assumes the filters passed ValidateFilters; unknown keys never match.
bool MatchesFilters(const FilterSubject& subject, const std::vector<Filter>& filters);

// Exposed for tests: the word splitter used by the `all` key.
std::vector<std::string> SplitFilterWords(std::string_view text);

}  // namespace arcana::domain::sm
