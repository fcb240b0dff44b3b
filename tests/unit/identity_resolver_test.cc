// Access keys of IAM users and STS sessions resolved to credentials and Principals
// (auth/identity_resolver.h), over a real SQLite store and an unsealed key-file root key.
#include "auth/identity_resolver.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "crypto/random.h"
#include "domain/iam/aws_managed_policies.h"
#include "seal/seal_manager.h"
#include "storage/identity_codec.h"
#include "storage/sqlite/sqlite_stores.h"

namespace arcana {
namespace {

using domain::iam::Identity;
using domain::iam::ManagedPolicy;
using storage::EntityWrite;

constexpr const char* kAccount = "111122223333";
constexpr int64_t kNow = 1'800'000'000'000;

class IdentityResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("arcana-idres-test-" + crypto::NewUuidV4());
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
  void Put(const Identity& i) {
    ASSERT_TRUE(store_->identities()
                    .WriteEntities({{EntityWrite::Op::kPut, storage::ToEntity(i)}}, "t")
                    .ok());
  }
  Identity NewIdentity(const std::string& kind, const std::string& name) {
    Identity i;
    i.account = kAccount;
    i.kind = kind;
    i.name = name;
    i.id = domain::iam::NewUniqueId("AIDA");
    return i;
  }
  Identity PutTagged(const std::string& kind, const std::string& name, domain::iam::Tags tags) {
    Identity i = NewIdentity(kind, name);
    i.tags = std::move(tags);
    Put(i);
    return i;
  }
  // The tags of the Principal a session of `s` resolves to.
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

// An AWS managed policy's text is the catalog's own object, not a copy per credential
// (ReadOnlyAccess is ~91,000 characters, and every cached credential has its Principal).
TEST_F(IdentityResolverTest, AwsManagedPolicyTextIsReferencedNotCopied) {
  const std::string arn = "arn:aws:iam::aws:policy/ReadOnlyAccess";
  const auto* catalog = domain::iam::FindAwsManagedPolicy(arn);
  ASSERT_NE(catalog, nullptr);
  Identity user = NewIdentity("user", "reader");
  user.attached = {arn};
  Put(user);
  auto key = resolver_->CreateUserKey(kAccount, "reader", kNow);
  ASSERT_TRUE(key.ok()) << key.status().message();
  std::vector<std::shared_ptr<const auth::Principal>> principals;
  for (int i = 0; i < 2; ++i) {
    auto r = resolver_->Resolve(key->access_key_id, kNow);
    ASSERT_TRUE(r.ok() && r->has_value()) << r.status().message();
    principals.push_back((*r)->principal);
  }
  for (const auto& p : principals) {
    ASSERT_EQ(p->identity_policies.size(), 1u);
    const auth::PolicySource& src = p->identity_policies[0];
    EXPECT_EQ(src.source_id, arn);
    EXPECT_EQ(&src.json.str(), &catalog->DefaultVersion()->document);
    EXPECT_GT(src.json.str().size(), 80000u);
    // The credential cache's byte bound counts owned text only: referencing the catalog is
    // cheap, a copy of the same document is not.
    EXPECT_LT(auth::ApproxOwnedBytes(*p), 4096u);
    auth::Principal copied = *p;
    copied.identity_policies[0].json = auth::PolicyText(src.json.str());
    EXPECT_GT(auth::ApproxOwnedBytes(copied), src.json.str().size());
  }
}

TEST_F(IdentityResolverTest, UserKeyCarriesInlineAttachedGroupPoliciesBoundaryAndTags) {
  ManagedPolicy managed;
  managed.account = kAccount;
  managed.name = "m";
  managed.id = "ANPA1";
  managed.versions = {{"v1", "old", 1}, {"v2", "current", 2}};
  managed.default_version = "v2";
  ASSERT_TRUE(store_->identities()
                  .WriteEntities({{EntityWrite::Op::kPut, storage::ToEntity(managed)}}, "t")
                  .ok());
  Identity group = NewIdentity("group", "devs");
  group.inline_policies["g"] = "group-doc";
  Put(group);
  Identity user = NewIdentity("user", "alice");
  user.tags = {{"team", "blue"}};
  user.inline_policies["own"] = "user-doc";
  user.attached = {managed.Arn()};
  user.boundary_arn = managed.Arn();
  user.groups = {"devs", "gone"};  // a group deleted meanwhile grants nothing
  Put(user);

  auto key = resolver_->CreateUserKey(kAccount, "alice", kNow);
  ASSERT_TRUE(key.ok()) << key.status().message();
  auto r = resolver_->Resolve(key->access_key_id, kNow);
  ASSERT_TRUE(r.ok() && r->has_value()) << r.status().message();
  const auth::Principal& p = *(*r)->principal;
  EXPECT_EQ((*r)->credential.secret_access_key.view(), key->secret_access_key);
  EXPECT_FALSE((*r)->credential.session_token.has_value());
  EXPECT_EQ(p.type, auth::Principal::Type::kUser);
  EXPECT_EQ(p.arn, "arn:aws:iam::111122223333:user/alice");
  EXPECT_EQ(p.user_name, "alice");
  EXPECT_EQ(p.tags.at("team"), "blue");
  std::vector<std::string> docs;
  for (const auto& src : p.identity_policies) docs.push_back(src.json.str() + "@" + src.source_id);
  EXPECT_EQ(docs, (std::vector<std::string>{"user-doc@user/alice:own",
                                            "current@" + managed.Arn(), "group-doc@group/devs:g"}));
  ASSERT_TRUE(p.permissions_boundary.has_value());
  EXPECT_EQ(p.permissions_boundary->json, "current");

  // Inactive: refused as an unknown token would be.
  ASSERT_TRUE(
      store_->identities().SetUserAccessKeyStatus(kAccount, "alice", key->access_key_id, "Inactive").ok());
  EXPECT_EQ(resolver_->Resolve(key->access_key_id, kNow).status().code(),
            ErrorCode::kUnrecognizedClient);
  EXPECT_FALSE(resolver_->Resolve("AKIANOSUCHKEY0000000", kNow).value().has_value());
}

TEST_F(IdentityResolverTest, SessionsNeedTheirTokenExpireAndNarrowTheRole) {
  Identity role = NewIdentity("role", "ci");
  role.tags = {{"team", "blue"}, {"env", "dev"}};
  role.inline_policies["r"] = "role-doc";
  Put(role);
  domain::iam::Session s;
  s.kind = "role";
  s.subject = "ci";
  s.session_name = "build";
  s.policies = {"session-doc"};
  s.tags = {{"team", "red"}};
  s.transitive_tag_keys = {"team"};
  auto key = resolver_->CreateSession(kAccount, s, kNow, 900);
  ASSERT_TRUE(key.ok()) << key.status().message();
  EXPECT_TRUE(key->access_key_id.starts_with("ASIA"));
  EXPECT_EQ(key->expires_ms, kNow + 900'000);
  auto r = resolver_->Resolve(key->access_key_id, kNow + 899'000);
  ASSERT_TRUE(r.ok() && r->has_value()) << r.status().message();
  EXPECT_EQ((*r)->credential.session_token, key->session_token);
  const auth::Principal& p = *(*r)->principal;
  EXPECT_EQ(p.type, auth::Principal::Type::kAssumedRole);
  EXPECT_EQ(p.arn, "arn:aws:sts::111122223333:assumed-role/ci/build");
  EXPECT_EQ(p.principal_arn, "arn:aws:iam::111122223333:role/ci");
  EXPECT_EQ(p.user_id, role.id + ":build");
  EXPECT_EQ(p.tags.at("team"), "red");  // the session's tag wins over the role's
  EXPECT_EQ(p.tags.at("env"), "dev");
  EXPECT_TRUE(p.temporary);
  ASSERT_EQ(p.session_policies.size(), 1u);
  EXPECT_EQ(p.session_policies[0].json.str(), "session-doc");
  ASSERT_EQ(p.identity_policies.size(), 1u);
  EXPECT_EQ(resolver_->Resolve(key->access_key_id, kNow + 900'000).status().code(),
            ErrorCode::kExpiredToken);
}

// Tag keys of IAM users, roles and sessions are one key in any case (IAM User Guide, "Tagging
// IAM resources"): the Principal never holds two spellings of a key.
using TagMap = std::map<std::string, std::string>;

// AWS: "the session tag passed in the request takes precedence over the role tag", and tag
// keys are not case sensitive: role Team=red with session team=blue is team=blue alone (the
// policy context, which folds key names, would otherwise keep whichever sorted first).
TEST_F(IdentityResolverTest, SessionTagReplacesTheRolesTagInAnyCase) {
  Identity role = PutTagged("role", "ci", {{"Team", "red"}, {"Env", "dev"}});
  domain::iam::Session s;
  s.kind = "role";
  s.subject = "ci";
  s.subject_id = role.id;
  s.session_name = "build";
  s.tags = {{"team", "blue"}};
  EXPECT_EQ(TagsOfSession(s), (TagMap{{"Env", "dev"}, {"team", "blue"}}));
}

// GetFederationToken: the calling user's tags, a session tag overriding one of the same key.
TEST_F(IdentityResolverTest, FederatedSessionCarriesTheUsersTagsUnderItsOwn) {
  Identity user = PutTagged("user", "fu", {{"Team", "red"}, {"Env", "dev"}});
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
TEST_F(IdentityResolverTest, UserWithTwoStoredSpellingsHasOnePrincipalTag) {
  PutTagged("user", "old", {{"team", "blue"}, {"Team", "red"}});
  auto key = resolver_->CreateUserKey(kAccount, "old", kNow);
  ASSERT_TRUE(key.ok()) << key.status().message();
  auto r = resolver_->Resolve(key->access_key_id, kNow);
  ASSERT_TRUE(r.ok() && r->has_value()) << r.status().message();
  EXPECT_EQ((*r)->principal->tags, (TagMap{{"Team", "red"}}));
}

}  // namespace
}  // namespace arcana
