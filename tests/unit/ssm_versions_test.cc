#include <gtest/gtest.h>

#include "domain/ssm/versions.h"

namespace dssm = arcana::domain::ssm;
using arcana::ErrorCode;

namespace {
dssm::Parameter WithVersions(int n) {
  dssm::Parameter p;
  p.name = p.key = "/p";
  for (int i = 0; i < n; ++i) {
    dssm::ParameterVersion v;
    v.type = "String";
    EXPECT_TRUE(dssm::AddVersion(p, v, nullptr).ok());
  }
  return p;
}
}  // namespace

TEST(SsmLabels, Rules) {
  EXPECT_TRUE(dssm::IsValidLabel("prod"));
  EXPECT_TRUE(dssm::IsValidLabel("Release_1.2-rc"));
  EXPECT_FALSE(dssm::IsValidLabel(""));
  EXPECT_FALSE(dssm::IsValidLabel("1abc"));
  EXPECT_FALSE(dssm::IsValidLabel("awsLabel"));
  EXPECT_FALSE(dssm::IsValidLabel("SSMlabel"));
  EXPECT_FALSE(dssm::IsValidLabel("has space"));
  EXPECT_FALSE(dssm::IsValidLabel("a/b"));
  EXPECT_TRUE(dssm::IsValidLabel(std::string(100, 'a')));
  EXPECT_FALSE(dssm::IsValidLabel(std::string(101, 'a')));
}

TEST(SsmVersions, NumberingStartsAtOneAndIncrements) {
  auto p = WithVersions(3);
  ASSERT_EQ(p.versions.size(), 3u);
  EXPECT_EQ(p.versions[0].version, 1);
  EXPECT_EQ(p.Latest().version, 3);
}

TEST(SsmVersions, HundredKeptOldestUnlabelledDropped) {
  auto p = WithVersions(100);
  std::vector<int64_t> removed;
  ASSERT_TRUE(dssm::AddVersion(p, dssm::ParameterVersion{}, &removed).ok());
  EXPECT_EQ(removed, std::vector<int64_t>{1});
  EXPECT_EQ(p.versions.size(), 100u);
  EXPECT_EQ(p.versions.front().version, 2);
  EXPECT_EQ(p.Latest().version, 101);
}

TEST(SsmVersions, OldestLabelledBlocks) {
  auto p = WithVersions(100);
  std::vector<std::string> invalid;
  ASSERT_TRUE(dssm::AttachLabels(p, 1, {"keep"}, &invalid).ok());
  std::vector<int64_t> removed;
  auto st = dssm::AddVersion(p, dssm::ParameterVersion{}, &removed);
  EXPECT_EQ(st.code(), ErrorCode::kParameterMaxVersionLimitExceeded);
  EXPECT_EQ(p.versions.size(), 100u);
  EXPECT_TRUE(removed.empty());
}

TEST(SsmVersions, LabelsMoveBetweenVersionsAndInvalidAreListed) {
  auto p = WithVersions(3);
  std::vector<std::string> invalid;
  ASSERT_TRUE(dssm::AttachLabels(p, 1, {"prod", "1bad", "awsx"}, &invalid).ok());
  EXPECT_EQ(invalid, (std::vector<std::string>{"1bad", "awsx"}));
  EXPECT_EQ(p.FindLabel("prod")->version, 1);
  invalid.clear();
  ASSERT_TRUE(dssm::AttachLabels(p, 3, {"prod"}, &invalid).ok());
  EXPECT_EQ(p.FindLabel("prod")->version, 3);
  EXPECT_TRUE(p.FindVersion(1)->labels.empty());
}

TEST(SsmVersions, TenLabelsPerVersion) {
  auto p = WithVersions(1);
  std::vector<std::string> labels, invalid;
  for (int i = 0; i < 10; ++i) labels.push_back("l" + std::to_string(i));
  ASSERT_TRUE(dssm::AttachLabels(p, 1, labels, &invalid).ok());
  ASSERT_TRUE(dssm::AttachLabels(p, 1, {"l0"}, &invalid).ok());  // already there: no change
  EXPECT_EQ(dssm::AttachLabels(p, 1, {"eleven"}, &invalid).code(),
            ErrorCode::kParameterVersionLabelLimitExceeded);
  EXPECT_EQ(dssm::AttachLabels(p, 7, {"x"}, &invalid).code(), ErrorCode::kParameterVersionNotFound);
}

TEST(SsmVersions, DetachLabels) {
  auto p = WithVersions(2);
  std::vector<std::string> invalid, removed;
  ASSERT_TRUE(dssm::AttachLabels(p, 2, {"a", "b"}, &invalid).ok());
  ASSERT_TRUE(dssm::DetachLabels(p, 2, {"a", "zzz"}, &removed, &invalid).ok());
  EXPECT_EQ(removed, std::vector<std::string>{"a"});
  EXPECT_EQ(invalid, std::vector<std::string>{"zzz"});
  EXPECT_EQ(p.FindVersion(2)->labels, std::vector<std::string>{"b"});
}
