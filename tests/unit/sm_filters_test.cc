#include "domain/secretsmanager/filters.h"

#include <gtest/gtest.h>

namespace arcana::domain::sm {
namespace {

FilterSubject Subject() {
  FilterSubject s;
  s.name = "DatabaseSecret";
  s.description = "Description of my secret";
  s.primary_region = "us-east-1";
  s.owning_service = "rds";
  s.tags = {{"Production", "blue"}, {"team", "Payments-API"}};
  return s;
}

bool M(const FilterSubject& s, std::string key, std::vector<std::string> values) {
  return MatchesFilters(s, {Filter{std::move(key), std::move(values)}});
}

TEST(SmFilters, ValidateAcceptsModelShapes) {
  EXPECT_TRUE(ValidateFilters({}).ok());
  EXPECT_TRUE(ValidateFilters({{"name", {"prod/"}}, {"tag-key", {"!env", "team"}},
                               {"all", {"creds Database 892"}}, {"description", {""}}})
                  .ok());
  EXPECT_TRUE(ValidateFilters({{"name", {std::string(512, 'a')}}}).ok());
}

TEST(SmFilters, ValidateRejects) {
  auto code = [](std::vector<Filter> f) { return ValidateFilters(f).code(); };
  EXPECT_EQ(code({{"Name", {"x"}}}), ErrorCode::kInvalidParameter);
  EXPECT_EQ(code({{"name", {}}}), ErrorCode::kInvalidParameter);
  EXPECT_EQ(code({{"all", {}}}), ErrorCode::kInvalidParameter);
  EXPECT_EQ(code({{"name", std::vector<std::string>(11, "x")}}), ErrorCode::kInvalidParameter);
  EXPECT_EQ(code({{"name", {std::string(513, 'a')}}}), ErrorCode::kInvalidParameter);
  EXPECT_EQ(code({{"name", {"bad#char"}}}), ErrorCode::kInvalidParameter);
  EXPECT_EQ(code({{"name", {"star*"}}}), ErrorCode::kInvalidParameter);
  EXPECT_EQ(code(std::vector<Filter>(11, Filter{"name", {"x"}})), ErrorCode::kInvalidParameter);
  EXPECT_TRUE(ValidateFilters(std::vector<Filter>(10, Filter{"name", {"x"}})).ok());
}

TEST(SmFilters, NamePrefixCaseSensitive) {
  FilterSubject s = Subject();
  EXPECT_TRUE(M(s, "name", {"Data"}));
  EXPECT_FALSE(M(s, "name", {"data"}));
  EXPECT_FALSE(M(s, "name", {"Secret"}));
  EXPECT_TRUE(M(s, "name", {""}));
  s.name = "MyData";
  EXPECT_FALSE(M(s, "name", {"Data"}));
}

TEST(SmFilters, OrWithinFilterAndAcrossFilters) {
  FilterSubject s = Subject();
  EXPECT_TRUE(M(s, "name", {"nope", "Data"}));
  EXPECT_FALSE(M(s, "name", {"nope", "other"}));
  EXPECT_TRUE(MatchesFilters(s, {{"name", {"Data"}}, {"tag-key", {"Prod"}}}));
  EXPECT_FALSE(MatchesFilters(s, {{"name", {"Data"}}, {"tag-key", {"prod"}}}));
}

TEST(SmFilters, DescriptionWordPrefixCaseInsensitive) {
  FilterSubject s = Subject();
  EXPECT_TRUE(M(s, "description", {"My Description"}));
  EXPECT_TRUE(M(s, "description", {"descr"}));
  EXPECT_TRUE(M(s, "description", {"SEC"}));
  EXPECT_FALSE(M(s, "description", {"my password"}));
  EXPECT_FALSE(M(s, "description", {"cret"}));
}

TEST(SmFilters, TagKeyAndValueAnyTag) {
  FilterSubject s = Subject();
  EXPECT_TRUE(M(s, "tag-key", {"Prod"}));
  EXPECT_TRUE(M(s, "tag-key", {"team"}));
  EXPECT_FALSE(M(s, "tag-key", {"prod"}));
  EXPECT_TRUE(M(s, "tag-value", {"Pay"}));
  EXPECT_FALSE(M(s, "tag-value", {"pay"}));
  s.tags.clear();
  EXPECT_FALSE(M(s, "tag-key", {""}));
}

TEST(SmFilters, RegionAndOwningService) {
  FilterSubject s = Subject();
  EXPECT_TRUE(M(s, "primary-region", {"us-"}));
  EXPECT_FALSE(M(s, "primary-region", {"eu-"}));
  EXPECT_TRUE(M(s, "owning-service", {"rd"}));
  EXPECT_FALSE(M(s, "owning-service", {"RDS"}));
}

TEST(SmFilters, Negation) {
  FilterSubject s = Subject();
  EXPECT_FALSE(M(s, "name", {"!Data"}));
  EXPECT_TRUE(M(s, "name", {"!Other"}));
  // !foo on tag-key: no tag key starts with foo.
  EXPECT_FALSE(M(s, "tag-key", {"!te"}));  // "team" starts with te
  EXPECT_TRUE(M(s, "tag-key", {"!env"}));
  // Positive and negated values in one filter are all ORed: a negated value is true for
  // whatever it does not match.
  EXPECT_TRUE(M(s, "tag-key", {"Prod", "!env"}));
  EXPECT_TRUE(M(s, "tag-key", {"Prod", "!team"}));   // Prod matches
  EXPECT_TRUE(M(s, "name", {"Other", "!Nope"}));     // !Nope matches
  EXPECT_FALSE(M(s, "name", {"Other", "!Data"}));    // neither does
  EXPECT_FALSE(M(s, "tag-key", {"!Prod", "!team"}));
  // Negated `all` and description.
  EXPECT_FALSE(M(s, "all", {"!payments"}));
  EXPECT_FALSE(M(s, "description", {"!my"}));
  // A secret with no tags passes a negated tag filter.
  s.tags.clear();
  EXPECT_TRUE(M(s, "tag-key", {"!Prod"}));
}

TEST(SmFilters, SplitWords) {
  EXPECT_EQ(SplitFilterWords("credsDatabase#892"),
            (std::vector<std::string>{"creds", "Database", "892"}));
  EXPECT_EQ(SplitFilterWords("HTTPServer v2-api"),
            (std::vector<std::string>{"HTTP", "Server", "v", "2", "api"}));
  EXPECT_TRUE(SplitFilterWords("--").empty());
  // A letter followed by a digit splits; a digit followed by a letter does not.
  EXPECT_EQ(SplitFilterWords("SecretOne6c8d2e"),
            (std::vector<std::string>{"Secret", "One", "6c", "8d", "2e"}));
  EXPECT_EQ(SplitFilterWords("v2api"), (std::vector<std::string>{"v", "2api"}));
}

TEST(SmFilters, AllSearchesEveryField) {
  FilterSubject s = Subject();
  EXPECT_TRUE(M(s, "all", {"database"}));
  EXPECT_TRUE(M(s, "all", {"secret"}));      // word of the name and of the description
  EXPECT_TRUE(M(s, "all", {"payments api"}));  // tag value words
  EXPECT_TRUE(M(s, "all", {"prod"}));        // tag key, case-insensitive
  EXPECT_TRUE(M(s, "all", {"BLUE"}));
  EXPECT_TRUE(M(s, "all", {"dataSec"}));     // split into data + Sec
  EXPECT_FALSE(M(s, "all", {"tabase"}));     // not a word prefix
  EXPECT_FALSE(M(s, "all", {"database green"}));
  s.name = "creds-database-892";
  EXPECT_TRUE(M(s, "all", {"credsDatabase892"}));
}

// AWS-observed splitting of names (prod/AppBeta/x, uat/COMPANYthings/x) and values.
TEST(SmFilters, SplitWordsAsAws) {
  for (std::string sep : {"/", "_", "+", "=", ".", "@", "-"}) {
    EXPECT_EQ(SplitFilterWords("prod" + sep + "AppBeta" + sep + "a1"),
              (std::vector<std::string>{"prod", "App", "Beta", "a", "1"}))
        << sep;
  }
  EXPECT_EQ(SplitFilterWords("uat/COMPANYthings/x"),
            (std::vector<std::string>{"uat", "COMPAN", "Ythings", "x"}));
  EXPECT_EQ(SplitFilterWords("uat/COMPANY/x"), (std::vector<std::string>{"uat", "COMPANY", "x"}));
  EXPECT_TRUE(SplitFilterWords("+").empty());
}

TEST(SmFilters, AllMatchesWordPrefixesOnly) {
  FilterSubject s;
  s.name = "prod+AppBeta+c0ffee";
  EXPECT_TRUE(M(s, "all", {"AppBeta"}));
  EXPECT_TRUE(M(s, "all", {"beta"}));
  EXPECT_TRUE(M(s, "all", {"app"}));
  EXPECT_FALSE(M(s, "all", {"rod"}));  // not a word prefix
  s.name = "uat/COMPANYthings/x";
  EXPECT_TRUE(M(s, "all", {"Ythings"}));
  EXPECT_FALSE(M(s, "all", {"things"}));
  EXPECT_FALSE(M(s, "all", {"company"}));  // the word is COMPAN
  EXPECT_FALSE(M(s, "all", {"pany"}));
  s.name = "uat/COMPANY/x";
  EXPECT_TRUE(M(s, "all", {"company"}));
  EXPECT_FALSE(M(s, "all", {"N"}));
}

// A separator alone is no word and matches nothing (it matched everything before).
TEST(SmFilters, SeparatorAloneMatchesNothing) {
  FilterSubject s = Subject();
  s.name = "prod+AppBeta";
  for (std::string v : {"+", "/", "-", " ", ""}) {
    EXPECT_FALSE(M(s, "all", {v})) << "'" << v << "'";
    EXPECT_FALSE(M(s, "description", {v})) << "'" << v << "'";
  }
}

// AWS-observed: description words in any order, word prefixes, case-insensitive.
TEST(SmFilters, DescriptionWordsAnyOrder) {
  FilterSubject s;
  s.description = "one and two";
  EXPECT_TRUE(M(s, "description", {"one two"}));
  EXPECT_TRUE(M(s, "description", {"o t"}));
  EXPECT_TRUE(M(s, "description", {"T"}));
  s.description = "one";
  EXPECT_FALSE(M(s, "description", {"one two"}));
  s.description = "-leading dash";
  EXPECT_FALSE(M(s, "description", {"-"}));
  EXPECT_TRUE(M(s, "description", {"lead"}));
}

}  // namespace
}  // namespace arcana::domain::sm
