// Tag keys of IAM users and roles are one key in any case, their case kept (IAM User Guide,
// "Tagging IAM resources", case sensitivity): domain::iam::MergeTags and RemoveTagKeys with
// TagKeyCase::kInsensitive; other resources' keys stay exact. The Principals built from them
// are tested in identity_resolver_test.cc.
#include <gtest/gtest.h>

#include "domain/iam/identity.h"

namespace arcana {
namespace iam_tag_case_test {  // named: the unit tests are built in unity batches

using domain::iam::TagKeyCase;
using domain::iam::Tags;

TEST(IamTagCaseTest, UserAndRoleKeysMergeAndRemoveWithoutCase) {
  Tags tags = {{"Team", "red"}, {"Env", "dev"}};
  domain::iam::MergeTags(tags, {{"team", "blue"}}, TagKeyCase::kInsensitive);
  EXPECT_EQ(tags, (Tags{{"team", "blue"}, {"Env", "dev"}}));  // new spelling, same place
  // Two spellings stored before keys were folded: merged into one.
  Tags legacy = {{"Team", "red"}, {"x", "1"}, {"team", "blue"}};
  domain::iam::MergeTags(legacy, {{"TEAM", "green"}}, TagKeyCase::kInsensitive);
  EXPECT_EQ(legacy, (Tags{{"TEAM", "green"}, {"x", "1"}}));
  EXPECT_TRUE(domain::iam::RemoveTagKeys(tags, {"TEAM", "eNV"}, TagKeyCase::kInsensitive));
  EXPECT_TRUE(tags.empty());
}

TEST(IamTagCaseTest, OtherResourcesKeysStayCaseSensitive) {
  Tags tags = {{"Costcenter", "1234"}};
  domain::iam::MergeTags(tags, {{"costcenter", "5678"}});
  EXPECT_EQ(tags, (Tags{{"Costcenter", "1234"}, {"costcenter", "5678"}}));
  EXPECT_FALSE(domain::iam::RemoveTagKeys(tags, {"COSTCENTER"}));
  EXPECT_TRUE(domain::iam::RemoveTagKeys(tags, {"costcenter"}));
  EXPECT_EQ(tags, (Tags{{"Costcenter", "1234"}}));
}

}  // namespace iam_tag_case_test
}  // namespace arcana
