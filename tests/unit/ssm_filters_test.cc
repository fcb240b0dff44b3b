#include <gtest/gtest.h>

#include "domain/ssm/filters.h"

namespace dssm = arcana::domain::ssm;
using arcana::ErrorCode;

namespace {
dssm::Parameter Param(const std::string& name, const std::string& type = "String",
                      const std::string& tier = "Standard") {
  dssm::Parameter p;
  p.name = name;
  p.key = name;
  dssm::ParameterVersion v;
  v.version = 1;
  v.type = type;
  v.tier = tier;
  if (type == "SecureString") v.key_id = "alias/aws/ssm";
  p.versions.push_back(v);
  return p;
}
ErrorCode Norm(std::vector<dssm::StringFilter> f, dssm::FilterUse use) {
  return dssm::NormalizeFilters(f, use).code();
}
}  // namespace

TEST(SsmFilters, Validation) {
  using U = dssm::FilterUse;
  EXPECT_EQ(Norm({{"Bogus", "", {"x"}}}, U::kDescribe), ErrorCode::kValidation);
  EXPECT_EQ(Norm({{"Label", "", {"x"}}}, U::kDescribe), ErrorCode::kInvalidFilterKey);
  EXPECT_EQ(Norm({{"Name", "", {"x"}}}, U::kByPath), ErrorCode::kInvalidFilterKey);
  EXPECT_EQ(Norm({{"Label", "", {"x"}}}, U::kByPath), ErrorCode::kOk);
  EXPECT_EQ(Norm({{"Label", "BeginsWith", {"x"}}}, U::kByPath), ErrorCode::kInvalidFilterOption);
  EXPECT_EQ(Norm({{"Name", "Recursive", {"x"}}}, U::kDescribe), ErrorCode::kInvalidFilterOption);
  EXPECT_EQ(Norm({{"Path", "Equals", {"/x"}}}, U::kDescribe), ErrorCode::kInvalidFilterOption);
  EXPECT_EQ(Norm({{"Path", "", {"x"}}}, U::kDescribe), ErrorCode::kValidation);
  EXPECT_EQ(Norm({{"Type", "", {"Nope"}}}, U::kDescribe), ErrorCode::kInvalidFilterValue);
  EXPECT_EQ(Norm({{"Tier", "", {"Gold"}}}, U::kDescribe), ErrorCode::kInvalidFilterValue);
  EXPECT_EQ(Norm({{"Type", "", {}}}, U::kDescribe), ErrorCode::kInvalidFilterValue);
  EXPECT_EQ(Norm({{"Type", "", {"String"}}, {"Type", "", {"String"}}}, U::kDescribe),
            ErrorCode::kInvalidFilterKey);
  EXPECT_EQ(Norm({{"tag:env", "", {}}}, U::kDescribe), ErrorCode::kOk);
}

TEST(SsmFilters, PathMatching) {
  EXPECT_TRUE(dssm::InPath("/a/b", "/a", false));
  EXPECT_FALSE(dssm::InPath("/a/b/c", "/a", false));
  EXPECT_TRUE(dssm::InPath("/a/b/c", "/a", true));
  EXPECT_TRUE(dssm::InPath("/a/b/c", "/a/", true));
  EXPECT_FALSE(dssm::InPath("/ab/c", "/a", true));
  EXPECT_FALSE(dssm::InPath("/a", "/a", true));  // the path itself is not below itself
  EXPECT_TRUE(dssm::InPath("root", "/", false));
  EXPECT_FALSE(dssm::InPath("/a/b", "/", false));
  EXPECT_TRUE(dssm::InPath("/a/b", "/", true));
}

TEST(SsmFilters, Matching) {
  std::vector<dssm::StringFilter> f = {{"Name", "BeginsWith", {"/app"}}};
  ASSERT_TRUE(dssm::NormalizeFilters(f, dssm::FilterUse::kDescribe).ok());
  EXPECT_TRUE(dssm::MatchesFilters(Param("/app/x"), f));
  EXPECT_FALSE(dssm::MatchesFilters(Param("/other"), f));

  f = {{"Name", "", {"/rootparam"}}};  // Equals; root-level slash optional
  ASSERT_TRUE(dssm::NormalizeFilters(f, dssm::FilterUse::kDescribe).ok());
  EXPECT_TRUE(dssm::MatchesFilters(Param("rootparam"), f));

  f = {{"Name", "Contains", {"db"}}};
  ASSERT_TRUE(dssm::NormalizeFilters(f, dssm::FilterUse::kDescribe).ok());
  EXPECT_TRUE(dssm::MatchesFilters(Param("/x/mydb/y"), f));

  // Contains reads a root-level name as "/"-rooted; its values are taken as given.
  f = {{"Name", "Contains", {"/tan"}}};
  ASSERT_TRUE(dssm::NormalizeFilters(f, dssm::FilterUse::kDescribe).ok());
  EXPECT_TRUE(dssm::MatchesFilters(Param("tangram-4"), f));
  EXPECT_TRUE(dssm::MatchesFilters(Param("/tangent-3"), f));
  EXPECT_FALSE(dssm::MatchesFilters(Param("standby-5"), f));
  f = {{"Name", "Contains", {"ram"}}};
  ASSERT_TRUE(dssm::NormalizeFilters(f, dssm::FilterUse::kDescribe).ok());
  EXPECT_TRUE(dssm::MatchesFilters(Param("param"), f));

  f = {{"Type", "", {"SecureString"}}, {"KeyId", "", {"alias/aws/ssm"}}};
  ASSERT_TRUE(dssm::NormalizeFilters(f, dssm::FilterUse::kDescribe).ok());
  EXPECT_TRUE(dssm::MatchesFilters(Param("s", "SecureString"), f));
  EXPECT_FALSE(dssm::MatchesFilters(Param("s", "String"), f));

  f = {{"Path", "Recursive", {"/a"}}, {"Tier", "", {"Advanced"}}};
  ASSERT_TRUE(dssm::NormalizeFilters(f, dssm::FilterUse::kDescribe).ok());
  EXPECT_TRUE(dssm::MatchesFilters(Param("/a/b/c", "String", "Advanced"), f));
  EXPECT_FALSE(dssm::MatchesFilters(Param("/a/b/c", "String", "Standard"), f));

  auto tagged = Param("/t");
  tagged.tags.push_back({"env", "prod"});
  f = {{"tag:env", "", {"prod"}}};
  ASSERT_TRUE(dssm::NormalizeFilters(f, dssm::FilterUse::kDescribe).ok());
  EXPECT_TRUE(dssm::MatchesFilters(tagged, f));
  f = {{"tag:env", "", {"dev"}}};
  ASSERT_TRUE(dssm::NormalizeFilters(f, dssm::FilterUse::kDescribe).ok());
  EXPECT_FALSE(dssm::MatchesFilters(tagged, f));
  f = {{"tag:env", "", {}}};
  ASSERT_TRUE(dssm::NormalizeFilters(f, dssm::FilterUse::kDescribe).ok());
  EXPECT_TRUE(dssm::MatchesFilters(tagged, f));
}

TEST(SsmFilters, LabelSelectsTheLabelledVersion) {
  auto p = Param("/l");
  dssm::ParameterVersion v2 = p.versions[0];
  v2.version = 2;
  p.versions[0].labels = {"prod"};
  p.versions.push_back(v2);
  std::vector<dssm::StringFilter> f = {{"Label", "", {"prod"}}};
  ASSERT_TRUE(dssm::NormalizeFilters(f, dssm::FilterUse::kByPath).ok());
  ASSERT_NE(dssm::LabelledVersion(p, f), nullptr);
  EXPECT_EQ(dssm::LabelledVersion(p, f)->version, 1);
  f = {{"Label", "", {"none"}}};
  EXPECT_EQ(dssm::LabelledVersion(p, f), nullptr);
  EXPECT_EQ(dssm::LabelledVersion(p, {})->version, 2);
}
