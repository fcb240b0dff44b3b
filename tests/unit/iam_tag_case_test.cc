// Tag keys of IAM users, roles and STS sessions are one key in any case, their case kept
// (IAM User Guide, "Tagging IAM resources", case sensitivity): domain::iam::MergeTags and
// RemoveTagKeys with TagKeyCase::kInsensitive, and the Principals the IdentityResolver builds
// (a session's tag replaces the role's or the federating user's in any case; the Principal
// never holds two spellings of a key).
#include <gtest/gtest.h>

#include <filesystem>

#include "auth/identity_resolver.h"
#include "crypto/random.h"
#include "domain/iam/identity.h"
#include "seal/seal_manager.h"
#include "storage/identity_codec.h"
#include "storage/sqlite/sqlite_stores.h"

namespace arcana {
namespace iam_tag_case_test {  // named: the unit tests are built in unity batches

using domain::iam::Identity;
using domain::iam::TagKeyCase;
using domain::iam::Tags;
using storage::EntityWrite;

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

constexpr const char* kAccount = "111122223333";
constexpr int64_t kNow = 1'800'000'000'000;

class ResolverTagCaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("arcana-tagcase-test-" + crypto::NewUuidV4());
    std::filesystem::create_directories(dir_);
    auto s = storage::sqlite::OpenSqliteStores(dir_.string() + "/arcana.db");
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(s).value();
    seal::SealOptions o;
    o.data_dir = dir_.string();
    seal_ = std::make_unique<seal::SealManager>(o, store_->meta(), store_->root(), root_);
    ASSERT_TRUE(seal_->Start().ok());
    resolver_ = std::make_unique<auth::IdentityResolver>(store_->identities(), root_);
  }
  void TearDown() override {
    resolver_.reset();
    seal_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  Identity Put(const std::string& kind, const std::string& name, Tags tags) {
    Identity i;
    i.account = kAccount;
    i.kind = kind;
    i.name = name;
    i.id = domain::iam::NewUniqueId(kind == "role" ? "AROA" : "AIDA");
    i.tags = std::move(tags);
    EXPECT_TRUE(store_->identities()
                    .WriteEntities({{EntityWrite::Op::kPut, storage::ToEntity(i)}}, "t")
                    .ok());
    return i;
  }
  std::map<std::string, std::string> TagsOfSession(const domain::iam::Session& s) {
    auto key = resolver_->CreateSession(kAccount, s, kNow, 900);
    EXPECT_TRUE(key.ok()) << key.status().message();
    auto r = resolver_->Resolve(key->access_key_id, kNow);
    EXPECT_TRUE(r.ok() && r->has_value()) << r.status().message();
    if (!r.ok() || !r->has_value()) return {};
    return (*r)->principal->tags;
  }

  std::filesystem::path dir_;
  std::unique_ptr<storage::Stores> store_;
  crypto::RootKey root_;
  std::unique_ptr<seal::SealManager> seal_;
  std::unique_ptr<auth::IdentityResolver> resolver_;
};

using TagMap = std::map<std::string, std::string>;

// AWS: "the session tag passed in the request takes precedence over the role tag", and tag
// keys are not case sensitive: role Team=red with session team=blue is team=blue alone (the
// policy context, which folds key names, would otherwise keep whichever sorted first).
TEST_F(ResolverTagCaseTest, SessionTagReplacesTheRolesTagInAnyCase) {
  Identity role = Put("role", "ci", {{"Team", "red"}, {"Env", "dev"}});
  domain::iam::Session s;
  s.kind = "role";
  s.subject = "ci";
  s.subject_id = role.id;
  s.session_name = "build";
  s.tags = {{"team", "blue"}};
  EXPECT_EQ(TagsOfSession(s), (TagMap{{"Env", "dev"}, {"team", "blue"}}));
}

// GetFederationToken: the calling user's tags, a session tag overriding one of the same key.
TEST_F(ResolverTagCaseTest, FederatedSessionCarriesTheUsersTagsUnderItsOwn) {
  Identity user = Put("user", "fu", {{"Team", "red"}, {"Env", "dev"}});
  domain::iam::Session s;
  s.kind = "federated";
  s.subject = "fu";
  s.subject_id = user.id;
  s.session_name = "fedu";
  EXPECT_EQ(TagsOfSession(s), (TagMap{{"Env", "dev"}, {"Team", "red"}}));
  s.tags = {{"TEAM", "blue"}};
  EXPECT_EQ(TagsOfSession(s), (TagMap{{"Env", "dev"}, {"TEAM", "blue"}}));
}

// A user stored with two spellings of a key (before TagUser folded them): one principal tag,
// the later one (as TagUser would have left it).
TEST_F(ResolverTagCaseTest, UserWithTwoStoredSpellingsHasOnePrincipalTag) {
  Put("user", "old", {{"team", "blue"}, {"Team", "red"}});
  auto key = resolver_->CreateUserKey(kAccount, "old", kNow);
  ASSERT_TRUE(key.ok()) << key.status().message();
  auto r = resolver_->Resolve(key->access_key_id, kNow);
  ASSERT_TRUE(r.ok() && r->has_value()) << r.status().message();
  EXPECT_EQ((*r)->principal->tags, (TagMap{{"Team", "red"}}));
}

}  // namespace iam_tag_case_test
}  // namespace arcana
