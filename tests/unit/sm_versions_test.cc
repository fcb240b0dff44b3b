// Staging-label rules: AWSCURRENT/AWSPREVIOUS moves, RemoveFromVersionId, pruning, quota.
#include <gtest/gtest.h>

#include "domain/secretsmanager/versions.h"

namespace arcana::domain::sm {
namespace {

constexpr int64_t kDay = 24LL * 3600 * 1000;

Secret WithVersions(std::initializer_list<std::pair<const char*, std::vector<std::string>>> vs,
                    int64_t created = 0) {
  Secret s;
  for (const auto& [id, stages] : vs) {
    SecretVersion v;
    v.version_id = id;
    v.stages = stages;
    v.has_value = true;
    v.created_ms = created;
    s.versions.push_back(v);
  }
  return s;
}

TEST(SmVersions, CurrentMoveDragsPrevious) {
  Secret s = WithVersions({{"v1", {"AWSPREVIOUS"}}, {"v2", {"AWSCURRENT"}}, {"v3", {}}});
  ASSERT_TRUE(AttachStages(s, "v3", {kCurrent}).ok());
  EXPECT_TRUE(s.FindVersion("v1")->stages.empty());
  EXPECT_EQ(s.FindVersion("v2")->stages, std::vector<std::string>{"AWSPREVIOUS"});
  EXPECT_EQ(s.FindVersion("v3")->stages, std::vector<std::string>{"AWSCURRENT"});
}

// AWS's RotationAbandoned: a manual new version takes AWSPENDING off the rotation's version
// (a filled one keeps its other labels; an empty placeholder goes).
TEST(SmVersions, ManualVersionAbandonsThePendingRotation) {
  Secret s = WithVersions({{"v1", {"AWSCURRENT"}}, {"v2", {"AWSPENDING", "x"}}});
  EXPECT_EQ(AbandonRotation(s), "v2");
  EXPECT_EQ(s.FindVersion("v2")->stages, std::vector<std::string>{"x"});
  EXPECT_EQ(AbandonRotation(s), "");

  Secret p = WithVersions({{"v1", {"AWSCURRENT"}}, {"v2", {"AWSPENDING"}}});
  p.FindVersion("v2")->has_value = false;
  EXPECT_EQ(AbandonRotation(p), "v2");
  EXPECT_EQ(p.FindVersion("v2"), nullptr);
  EXPECT_EQ(p.versions.size(), 1u);

  // AWSPENDING left on the current version by a finished rotation: no rotation in progress.
  Secret f = WithVersions({{"v1", {"AWSCURRENT", "AWSPENDING"}}});
  EXPECT_EQ(AbandonRotation(f), "");
  EXPECT_EQ(f.FindVersion("v1")->stages, std::vector<std::string>{"AWSCURRENT"});
}

// Recorded on AWS (test_update_secret_version_stages_current_pending): PutSecretValue after
// AWSCURRENT was moved onto the AWSPENDING version leaves that version with AWSPREVIOUS alone.
TEST(SmVersions, NewCurrentValueTakesPendingOffTheOldCurrent) {
  Secret s = WithVersions({{"v1", {"AWSPREVIOUS"}}, {"v2", {"AWSCURRENT", "AWSPENDING", "x"}},
                           {"v3", {}}});
  ASSERT_TRUE(AttachStagesToNewValue(s, "v3", {kCurrent}).ok());
  EXPECT_TRUE(s.FindVersion("v1")->stages.empty());
  EXPECT_EQ(s.FindVersion("v2")->stages, (std::vector<std::string>{"x", "AWSPREVIOUS"}));
  EXPECT_EQ(s.FindVersion("v3")->stages, std::vector<std::string>{"AWSCURRENT"});
}

// A new version that does not take AWSCURRENT moves only the labels it names.
TEST(SmVersions, NewPendingValueLeavesTheCurrentVersion) {
  Secret s = WithVersions({{"v1", {"AWSCURRENT", "AWSPENDING"}}, {"v2", {}}});
  ASSERT_TRUE(AttachStagesToNewValue(s, "v2", {"other"}).ok());
  EXPECT_EQ(s.FindVersion("v1")->stages, (std::vector<std::string>{"AWSCURRENT", "AWSPENDING"}));
  ASSERT_TRUE(AttachStagesToNewValue(s, "v2", {kPending}).ok());
  EXPECT_EQ(s.FindVersion("v1")->stages, std::vector<std::string>{"AWSCURRENT"});
  EXPECT_EQ(s.FindVersion("v2")->stages, (std::vector<std::string>{"other", "AWSPENDING"}));
}

TEST(SmVersions, CustomLabelMovesBetweenVersions) {
  Secret s = WithVersions({{"v1", {"AWSCURRENT", "blue"}}, {"v2", {}}});
  ASSERT_TRUE(AttachStages(s, "v2", {"blue"}).ok());
  EXPECT_EQ(s.FindVersion("v1")->stages, std::vector<std::string>{"AWSCURRENT"});
  EXPECT_EQ(s.FindVersion("v2")->stages, std::vector<std::string>{"blue"});
}

TEST(SmVersions, MoveStageRequiresNamingTheCurrentHolder) {
  Secret s = WithVersions({{"v1", {"AWSCURRENT"}}, {"v2", {}}});
  Status st = MoveStage(s, kCurrent, "", "v2");
  EXPECT_EQ(st.code(), ErrorCode::kInvalidParameter);
  EXPECT_EQ(st.message(),
            "The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is "
            "currently attached to version v1, so you must explicitly reference that version in "
            "RemoveFromVersionId.");
  EXPECT_EQ(s.FindVersion("v1")->stages, std::vector<std::string>{"AWSCURRENT"});  // unchanged
  ASSERT_TRUE(MoveStage(s, kCurrent, "v1", "v2").ok());
  EXPECT_EQ(s.FindVersion("v1")->stages, std::vector<std::string>{"AWSPREVIOUS"});
  EXPECT_EQ(s.FindVersion("v2")->stages, std::vector<std::string>{"AWSCURRENT"});
}

TEST(SmVersions, MoveStageRejectsUnknownVersionsAndWrongRemoveFrom) {
  Secret s = WithVersions({{"v1", {"AWSCURRENT"}}, {"v2", {"x"}}});
  EXPECT_EQ(MoveStage(s, "x", "", "nope").code(), ErrorCode::kInvalidParameter);
  EXPECT_EQ(MoveStage(s, "x", "v1", "").code(), ErrorCode::kInvalidParameter);
  ASSERT_TRUE(MoveStage(s, "x", "v2", "").ok());  // detach only
  EXPECT_TRUE(s.FindVersion("v2")->stages.empty());
  EXPECT_EQ(MoveStage(s, kCurrent, "v1", "").code(), ErrorCode::kInvalidParameter);
}

TEST(SmVersions, MoveStageNamingNoVersionFailsWhileTheLabelIsAttached) {
  Secret s = WithVersions({{"v1", {"AWSCURRENT"}}, {"v2", {"custom"}}});
  Status st = MoveStage(s, "custom", "", "");
  EXPECT_EQ(st.code(), ErrorCode::kInvalidParameter);
  EXPECT_EQ(st.message(),
            "The parameter RemoveFromVersionId can't be empty. Staging label custom is "
            "currently attached to version v2, so you must explicitly reference that version in "
            "RemoveFromVersionId.");
  EXPECT_EQ(s.FindVersion("v2")->stages, std::vector<std::string>{"custom"});  // unchanged
  EXPECT_EQ(MoveStage(s, kCurrent, "", "").code(), ErrorCode::kInvalidParameter);
  // A label attached nowhere: nothing to do.
  ASSERT_TRUE(MoveStage(s, "nowhere", "", "").ok());
  EXPECT_EQ(s.FindVersion("v1")->stages, std::vector<std::string>{"AWSCURRENT"});
  EXPECT_EQ(s.FindVersion("v2")->stages, std::vector<std::string>{"custom"});
}

TEST(SmVersions, LabelLimitPerVersion) {
  Secret s = WithVersions({{"v1", {"AWSCURRENT"}}});
  std::vector<std::string> labels;
  for (int i = 0; i < 19; ++i) labels.push_back("l" + std::to_string(i));
  ASSERT_TRUE(AttachStages(s, "v1", labels).ok());
  EXPECT_EQ(AttachStages(s, "v1", {"one-too-many"}).code(), ErrorCode::kLimitExceeded);
}

// AWS's quota: 20 labels attached across all versions of a secret.
TEST(SmVersions, LabelLimitAcrossVersions) {
  Secret s = WithVersions({{"v1", {"AWSCURRENT"}}, {"v2", {}}});
  std::vector<std::string> labels;
  for (int i = 0; i < 10; ++i) labels.push_back("a" + std::to_string(i));
  ASSERT_TRUE(AttachStages(s, "v1", labels).ok());
  labels.clear();
  for (int i = 0; i < 9; ++i) labels.push_back("b" + std::to_string(i));
  ASSERT_TRUE(AttachStages(s, "v2", labels).ok());
  EXPECT_EQ(AttachStages(s, "v2", {"one-too-many"}).code(), ErrorCode::kLimitExceeded);
  EXPECT_TRUE(AttachStages(s, "v2", {"a0"}).ok());  // a move adds no label
}

TEST(SmVersions, PruneKeepsLabelledAndYoungVersions) {
  Secret s;
  for (int i = 0; i < 105; ++i) {
    SecretVersion v;
    v.version_id = "v" + std::to_string(i);
    v.created_ms = i < 3 ? 0 : 10 * kDay;  // three old ones, the rest young
    s.versions.push_back(v);
  }
  s.versions[0].stages = {"AWSPREVIOUS"};
  s.versions.back().stages = {"AWSCURRENT"};
  auto dropped = PruneVersions(s, 10 * kDay + 1);
  EXPECT_EQ(dropped, (std::vector<std::string>{"v1", "v2"}));  // old and unlabelled only
  EXPECT_EQ(s.versions.size(), 103u);
}

TEST(SmVersions, QuotaCountsOnlyRemovableVersions) {
  Secret s;
  for (int i = 0; i < 100; ++i) {
    SecretVersion v;
    v.version_id = "v" + std::to_string(i);
    v.created_ms = 5 * kDay;
    s.versions.push_back(v);
  }
  EXPECT_EQ(CheckVersionQuota(s, 5 * kDay + 1000).code(), ErrorCode::kLimitExceeded);
  EXPECT_TRUE(CheckVersionQuota(s, 7 * kDay).ok());  // all are a day old and unlabelled
}

}  // namespace
}  // namespace arcana::domain::sm
