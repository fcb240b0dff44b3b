#include <gtest/gtest.h>

#include "domain/ssm/names.h"

namespace dssm = arcana::domain::ssm;
using arcana::ErrorCode;
using arcana::Status;

namespace {
ErrorCode Code(std::string_view name) {
  return dssm::ValidateName(name, "us-east-1", "123456789012").code();
}
}  // namespace

TEST(SsmNames, AcceptsPlainAndHierarchicalNames) {
  EXPECT_EQ(Code("db_password"), ErrorCode::kOk);
  EXPECT_EQ(Code("/app/prod/db.url-1"), ErrorCode::kOk);
  EXPECT_EQ(Code("/root-level"), ErrorCode::kOk);
}

TEST(SsmNames, RejectsBadCharactersAndForms) {
  EXPECT_EQ(Code("has space"), ErrorCode::kValidation);
  EXPECT_EQ(Code("/a/b$"), ErrorCode::kValidation);
  EXPECT_EQ(Code("a/b"), ErrorCode::kValidation);     // hierarchy must start with '/'
  EXPECT_EQ(Code("/a//b"), ErrorCode::kValidation);
  EXPECT_EQ(Code("/a/b/"), ErrorCode::kValidation);
  EXPECT_EQ(Code("/"), ErrorCode::kValidation);
}

TEST(SsmNames, ReservedPrefixesCaseInsensitive) {
  EXPECT_EQ(Code("awsThing"), ErrorCode::kValidation);
  EXPECT_EQ(Code("SSMthing"), ErrorCode::kValidation);
  EXPECT_EQ(Code("/Ssm/x"), ErrorCode::kValidation);
  EXPECT_EQ(Code("/AWS"), ErrorCode::kValidation);
  EXPECT_EQ(Code("/aws/reference/secretsmanager/x"), ErrorCode::kAccessDenied);
  EXPECT_EQ(Code("/awsome/x"), ErrorCode::kAccessDenied);  // prefix, not segment
  EXPECT_EQ(Code("/myaws/x"), ErrorCode::kOk);
}

TEST(SsmNames, HierarchyDepthLimit) {
  std::string fifteen, sixteen;
  for (int i = 0; i < 15; ++i) fifteen += "/l" + std::to_string(i);
  sixteen = fifteen + "/x";
  EXPECT_EQ(dssm::HierarchyLevels(fifteen), 15u);
  EXPECT_EQ(Code(fifteen), ErrorCode::kOk);
  EXPECT_EQ(Code(sixteen), ErrorCode::kHierarchyLevelLimitExceeded);
}

TEST(SsmNames, UsableLengthCountsArnPrefix) {
  const std::string prefix = "arn:aws:ssm:us-east-1:123456789012:parameter/";
  std::string ok = "/" + std::string(1011 - prefix.size(), 'a');
  std::string too_long = ok + "a";
  EXPECT_EQ(Code(ok), ErrorCode::kOk);
  EXPECT_EQ(Code(too_long), ErrorCode::kValidation);
}

TEST(SsmNames, RootLevelSlashIsTheSameParameter) {
  EXPECT_EQ(dssm::NameKey("/Name"), "Name");
  EXPECT_EQ(dssm::NameKey("Name"), "Name");
  EXPECT_EQ(dssm::NameKey("/a/b"), "/a/b");
  EXPECT_FALSE(dssm::IsHierarchical("/Name"));
  EXPECT_TRUE(dssm::IsHierarchical("/a/b"));
}

TEST(SsmNames, Arn) {
  EXPECT_EQ(dssm::ParameterArn("eu-west-1", "123456789012", "/a/b"),
            "arn:aws:ssm:eu-west-1:123456789012:parameter/a/b");
  EXPECT_EQ(dssm::ParameterArn("eu-west-1", "123456789012", "x"),
            "arn:aws:ssm:eu-west-1:123456789012:parameter/x");
}

TEST(SsmNames, ParseNameRefSelectorsAndArns) {
  auto r = dssm::ParseNameRef("/a/b:3", "us-east-1", "123456789012");
  EXPECT_EQ(r.name, "/a/b");
  EXPECT_EQ(r.selector, "3");
  EXPECT_EQ(dssm::SelectorVersion(r.selector), 3);
  r = dssm::ParseNameRef("name:prod", "us-east-1", "123456789012");
  EXPECT_EQ(r.selector, "prod");
  EXPECT_FALSE(dssm::SelectorVersion("prod"));
  r = dssm::ParseNameRef("arn:aws:ssm:us-east-1:123456789012:parameter/a/b:live", "us-east-1",
                         "123456789012");
  EXPECT_TRUE(r.from_arn);
  EXPECT_FALSE(r.foreign);
  EXPECT_EQ(r.name, "/a/b");
  EXPECT_EQ(r.selector, "live");
  r = dssm::ParseNameRef("arn:aws:ssm:us-west-2:123456789012:parameter/x", "us-east-1",
                         "123456789012");
  EXPECT_TRUE(r.foreign);
  EXPECT_EQ(r.name, "x");
  EXPECT_TRUE(dssm::ParseNameRef("a:1:2", "us-east-1", "1").malformed);
  EXPECT_TRUE(dssm::ParseNameRef("arn:aws:s3:::bucket", "us-east-1", "1").malformed);
}

TEST(SsmNames, Paths) {
  EXPECT_TRUE(dssm::ValidatePath("/").ok());
  EXPECT_TRUE(dssm::ValidatePath("/a/b/").ok());
  EXPECT_EQ(dssm::ValidatePath("a/b").code(), ErrorCode::kValidation);
  EXPECT_EQ(dssm::ValidatePath("/a b").code(), ErrorCode::kValidation);
}

namespace {
const char* kAwsBadName =
    "Parameter name: can't be prefixed with \"ssm\" (case-insensitive). If formed as a path, it "
    "can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of "
    "letters, numbers and the following 3 symbols .-_";
}  // namespace

TEST(SsmNames, LookupNamesRefuseMalformedHierarchiesWithAwsText) {
  for (const char* ok : {"param", "/param", "/a/b/c", "/aws/service/x", "a.b-c_d"}) {
    EXPECT_TRUE(dssm::ValidateLookupName(ok).ok()) << ok;
  }
  for (const char* bad : {"/a//b", "//a", "a/b", "/a/b/", "/", "", "{test}-test", "a b",
                          "/a/b$", "arn:aws:ssm:us-east-1:1:parameter/x"}) {
    Status st = dssm::ValidateLookupName(bad);
    EXPECT_EQ(st.code(), ErrorCode::kValidation) << bad;
    EXPECT_EQ(st.message(), kAwsBadName) << bad;
  }
}

TEST(SsmNames, CreationMessagesAsAws) {
  auto msg = [](std::string_view n) {
    return dssm::ValidateName(n, "us-east-1", "123456789012").message();
  };
  EXPECT_EQ(msg("/a//b"), kAwsBadName);
  EXPECT_EQ(msg("/a/b$"), kAwsBadName);
  EXPECT_EQ(msg("/ssm/x"), kAwsBadName);
  EXPECT_EQ(msg("ssmthing"),
            "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).");
  EXPECT_EQ(msg("a/b"), "Parameter name must be a fully qualified name.");
}
