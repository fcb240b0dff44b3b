// Enforcement through the services (auth/authorizer.h + each service's resolution of
// action, resource and context keys) with constructed Principals: the ABAC scenario,
// cross-account access through a resource policy, a KMS key policy denying one role,
// per-item denials of BatchGetSecretValue; and the simulator agreeing with the real
// authorizer on random policies and requests.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "auth/authorizer.h"
#include "auth/policy/simulator.h"
#include "common/json.h"
#include "crypto/random.h"
#include "services/kms/key_ring.h"
#include "services/kms/kms_data_key_provider.h"
#include "services/kms/kms_service.h"
#include "services/secretsmanager/secrets_manager.h"
#include "storage/stores.h"

namespace arcana {
namespace {

using auth::Principal;
using auth::PolicySource;

constexpr const char* kAcct = "111122223333";
constexpr const char* kOther = "444455556666";
constexpr int64_t kNow = 1'796'000'000'000;

std::shared_ptr<const Principal> Role(const std::string& account, const std::string& role,
                                      std::map<std::string, std::string> tags,
                                      std::vector<std::string> policies) {
  auto p = std::make_shared<Principal>();
  p->type = Principal::Type::kAssumedRole;
  p->account = account;
  p->arn = "arn:aws:sts::" + account + ":assumed-role/" + role + "/s";
  p->principal_arn = "arn:aws:iam::" + account + ":role/" + role;
  p->user_id = "AROAEXAMPLE" + role + ":s";
  p->tags = std::move(tags);
  for (size_t i = 0; i < policies.size(); ++i) {
    p->identity_policies.push_back(
        {policies[i], "role/" + role + ":p" + std::to_string(i), PolicySource::Kind::kIdentity});
  }
  return p;
}

class PolicyEnforcementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("arcana-policy-" + crypto::NewUuidV4());
    std::filesystem::create_directories(dir_);
    auto s = storage::OpenStores({storage::StoreLocation::Kind::kSqlite, dir_.string(), ""});
    ASSERT_TRUE(s.ok()) << s.status().message();
    stores_ = std::move(s).value();
    ring_ = std::make_unique<services::kms::KeyRing>(stores_->kms(), root_);
    keys_ = std::make_unique<services::kms::KmsDataKeyProvider>(*ring_, root_,
                                                               [] { return kNow; });
    sm_ = std::make_unique<services::sm::SecretsManagerService>(stores_->secrets(), *keys_, root_);
    kms_ = std::make_unique<services::kms::KmsService>(*ring_);
  }
  void TearDown() override {
    sm_.reset();
    kms_.reset();
    keys_.reset();
    ring_.reset();
    stores_.reset();
    std::filesystem::remove_all(dir_);
  }

  // One call as `who` (null: the root of `account`), through the authorizer.
  Result<std::string> Call(services::Service& svc, const std::string& op, const std::string& body,
                           std::shared_ptr<const Principal> who, const std::string& account = kAcct) {
    rapidjson::Document in;
    EXPECT_TRUE(json::ParseBounded(body, &in).ok()) << body;
    services::CallContext ctx;
    ctx.account = who ? who->account : account;
    ctx.region = "us-east-1";
    ctx.principal_arn = who ? who->arn : "arn:aws:iam::" + account + ":root";
    ctx.now_ms = kNow;
    ctx.principal = std::move(who);
    ctx.authorizer = &authz_;
    ctx.action = std::string(svc.signing_name()) + ":" + op;
    return svc.Call(op, in, ctx);
  }
  std::string CreateSecret(const std::string& name, const std::string& team) {
    auto r = Call(*sm_, "CreateSecret",
                  R"({"Name":")" + name + R"(","SecretString":"v-)" + name +
                      R"(","ClientRequestToken":")" + crypto::NewUuidV4() +
                      R"(","Tags":[{"Key":"team","Value":")" + team + R"("}]})",
                  nullptr);
    EXPECT_TRUE(r.ok()) << r.status().message();
    rapidjson::Document d;
    EXPECT_TRUE(json::ParseBounded(*r, &d).ok());
    return d["ARN"].GetString();
  }

  std::filesystem::path dir_;
  std::unique_ptr<storage::Stores> stores_;
  crypto::RootKey root_ = crypto::RootKey::FromBytes(std::string(32, '\x42'));
  std::unique_ptr<services::kms::KeyRing> ring_;
  std::unique_ptr<services::kms::KmsDataKeyProvider> keys_;
  std::unique_ptr<services::sm::SecretsManagerService> sm_;
  std::unique_ptr<services::kms::KmsService> kms_;
  auth::PolicyAuthorizer authz_;
};

const char* kAbacPolicy = R"({"Version":"2012-10-17","Statement":[
 {"Sid":"ReadOwnTeam","Effect":"Allow","Action":["secretsmanager:GetSecretValue","secretsmanager:DescribeSecret"],"Resource":"*",
  "Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}},
 {"Sid":"Batch","Effect":"Allow","Action":"secretsmanager:BatchGetSecretValue","Resource":"*"},
 {"Sid":"CreateOwnTeam","Effect":"Allow","Action":["secretsmanager:CreateSecret","secretsmanager:TagResource"],"Resource":"*",
  "Condition":{"StringEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/team}"},
               "ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}}]})";

TEST_F(PolicyEnforcementTest, AbacReadsOnlyItsTeamsSecretsAndCreatesOnlyWithItsTag) {
  std::string a = CreateSecret("team-a/db", "a");
  std::string b = CreateSecret("team-b/db", "b");
  auto role = Role(kAcct, "app-a", {{"team", "a"}}, {kAbacPolicy});

  auto ok = Call(*sm_, "GetSecretValue", R"({"SecretId":"team-a/db"})", role);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_NE(ok->find("v-team-a/db"), std::string::npos);

  auto denied = Call(*sm_, "GetSecretValue", R"({"SecretId":"team-b/db"})", role);
  ASSERT_EQ(denied.status().code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(denied.status().message(),
            "User: arn:aws:sts::111122223333:assumed-role/app-a/s is not authorized to perform: "
            "secretsmanager:GetSecretValue on resource: team-b/db because no identity-based policy allows the secretsmanager:GetSecretValue "
                "action");
  // Not even whether a secret exists leaks to a caller without permission.
  auto missing = Call(*sm_, "GetSecretValue", R"({"SecretId":"team-c/none"})", role);
  EXPECT_EQ(missing.status().code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(Call(*sm_, "DeleteSecret", R"({"SecretId":"team-a/db"})", role).status().code(),
            ErrorCode::kAccessDenied);

  auto create = [&](const std::string& name, const std::string& tags) {
    return Call(*sm_, "CreateSecret",
                R"({"Name":")" + name + R"(","ClientRequestToken":")" + crypto::NewUuidV4() +
                    R"(","SecretString":"x")" + tags + "}",
                role);
  };
  EXPECT_TRUE(create("team-a/new", R"(,"Tags":[{"Key":"team","Value":"a"}])").ok());
  EXPECT_EQ(create("team-a/other", R"(,"Tags":[{"Key":"team","Value":"b"}])").status().code(),
            ErrorCode::kAccessDenied);
  EXPECT_EQ(create("team-a/untagged", "").status().code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(create("team-a/extra",
                   R"(,"Tags":[{"Key":"team","Value":"a"},{"Key":"owner","Value":"x"}])")
                .status()
                .code(),
            ErrorCode::kAccessDenied);

  // BatchGetSecretValue: each secret is its own decision, reported per item.
  auto batch = Call(*sm_, "BatchGetSecretValue",
                    R"({"SecretIdList":["team-a/db","team-b/db"]})", role);
  ASSERT_TRUE(batch.ok()) << batch.status().message();
  rapidjson::Document d;
  ASSERT_TRUE(json::ParseBounded(*batch, &d).ok());
  ASSERT_EQ(d["SecretValues"].Size(), 1u);
  EXPECT_EQ(std::string(d["SecretValues"][0]["ARN"].GetString()), a);
  ASSERT_EQ(d["Errors"].Size(), 1u);
  EXPECT_EQ(std::string(d["Errors"][0]["SecretId"].GetString()), "team-b/db");
  EXPECT_EQ(std::string(d["Errors"][0]["ErrorCode"].GetString()), "AccessDeniedException");

  // Without secretsmanager:ListSecrets the listing is denied as a whole, and so is a batch
  // chosen by Filters (AWS: "If you use filters, you must also have ListSecrets").
  EXPECT_EQ(Call(*sm_, "ListSecrets", "{}", role).status().code(), ErrorCode::kAccessDenied);
  auto filtered = Call(*sm_, "BatchGetSecretValue",
                       R"({"Filters":[{"Key":"name","Values":["team-a/"]}]})", role);
  EXPECT_EQ(filtered.status().code(), ErrorCode::kAccessDenied);
  EXPECT_NE(filtered.status().message().find("secretsmanager:ListSecrets"), std::string::npos);
  // The account root (dev mode) may do everything.
  EXPECT_TRUE(Call(*sm_, "ListSecrets", "{}", nullptr).ok());
}

TEST_F(PolicyEnforcementTest, CrossAccountOnlyThroughTheResourcePolicy) {
  std::string arn = CreateSecret("shared/db", "a");
  // The AWS managed key serves its own account only: the secret moves to a customer key
  // whose key policy lets the other account decrypt (a new version, sealed under it).
  rapidjson::StringBuffer kbuf;
  json::Writer kw(kbuf);
  kw.StartObject();
  json::KV(kw, "Policy",
           R"({"Version":"2012-10-17","Statement":[)"
           R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},)"
           R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"kms:Decrypt","Resource":"*"}]})");
  kw.EndObject();
  auto key = Call(*kms_, "CreateKey", kbuf.GetString(), nullptr);
  ASSERT_TRUE(key.ok()) << key.status().message();
  rapidjson::Document kd;
  ASSERT_TRUE(json::ParseBounded(*key, &kd).ok());
  std::string key_arn = kd["KeyMetadata"]["Arn"].GetString();
  ASSERT_TRUE(Call(*sm_, "UpdateSecret",
                   R"({"SecretId":"shared/db","SecretString":"v-shared/db","KmsKeyId":")" +
                       key_arn + R"(","ClientRequestToken":")" + crypto::NewUuidV4() + R"("})",
                   nullptr)
                  .ok());
  auto reader = Role(kOther, "reader", {},
                     {R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["secretsmanager:GetSecretValue","kms:Decrypt"],"Resource":"*"}]})"});
  std::string get = R"({"SecretId":")" + arn + R"("})";
  auto denied = Call(*sm_, "GetSecretValue", get, reader);
  ASSERT_EQ(denied.status().code(), ErrorCode::kAccessDenied);
  EXPECT_NE(denied.status().message().find("because no resource-based policy allows"),
            std::string::npos);
  // The other account cannot reach it by name: names are per account.
  EXPECT_EQ(Call(*sm_, "GetSecretValue", R"({"SecretId":"shared/db"})", reader).status().code(),
            ErrorCode::kResourceNotFound);

  std::string policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]})";
  auto put_policy = [&](const char* secret_id) {
    rapidjson::StringBuffer buf;
    json::Writer w(buf);
    w.StartObject();
    json::KV(w, "SecretId", secret_id);
    json::KV(w, "ResourcePolicy", policy);
    w.EndObject();
    return Call(*sm_, "PutResourcePolicy", buf.GetString(), nullptr).ok();
  };
  ASSERT_TRUE(put_policy("shared/db"));
  auto allowed = Call(*sm_, "GetSecretValue", get, reader);
  ASSERT_TRUE(allowed.ok()) << allowed.status().message();
  EXPECT_NE(allowed->find("v-shared/db"), std::string::npos);
  // Still both sides: a role of the other account without an identity policy is refused.
  auto bare = Role(kOther, "bare", {}, {});
  EXPECT_EQ(Call(*sm_, "GetSecretValue", get, bare).status().code(), ErrorCode::kAccessDenied);
  // The policy grants GetSecretValue only.
  EXPECT_EQ(Call(*sm_, "DescribeSecret", get, reader).status().code(), ErrorCode::kAccessDenied);

  // A secret under the AWS managed key stays out of reach of other accounts, whatever its
  // resource policy says (AWS: "You can't access a secret from a different AWS account ...").
  std::string plain = CreateSecret("shared/plain", "a");
  ASSERT_TRUE(put_policy("shared/plain"));
  auto refused = Call(*sm_, "GetSecretValue", R"({"SecretId":")" + plain + R"("})", reader);
  EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidRequest);
  EXPECT_EQ(refused.status().message(),
            "You can't access a secret from a different AWS account if you encrypt the secret "
            "with the default KMS service key.");
}

TEST_F(PolicyEnforcementTest, KmsKeyPolicyDenyingOneRole) {
  auto created = Call(*kms_, "CreateKey", "{}", nullptr);
  ASSERT_TRUE(created.ok()) << created.status().message();
  rapidjson::Document d;
  ASSERT_TRUE(json::ParseBounded(*created, &d).ok());
  std::string key_id = d["KeyMetadata"]["KeyId"].GetString();
  std::string key_policy =
      R"({"Version":"2012-10-17","Statement":[
        {"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
        {"Sid":"NotBlocked","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:role/blocked"},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}]})";
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "KeyId", key_id);
  json::KV(w, "PolicyName", "default");
  json::KV(w, "Policy", key_policy);
  w.EndObject();
  auto put = Call(*kms_, "PutKeyPolicy", buf.GetString(), nullptr);
  ASSERT_TRUE(put.ok()) << put.status().message();

  const char* kmsAll = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]})";
  std::string encrypt = R"({"KeyId":")" + key_id + R"(","Plaintext":"aGVsbG8="})";
  auto app = Role(kAcct, "app", {}, {kmsAll});
  auto ok = Call(*kms_, "Encrypt", encrypt, app);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  auto blocked = Role(kAcct, "blocked", {}, {kmsAll});
  auto denied = Call(*kms_, "Encrypt", encrypt, blocked);
  ASSERT_EQ(denied.status().code(), ErrorCode::kAccessDenied);
  EXPECT_NE(denied.status().message().find("with an explicit deny in a resource-based policy"),
            std::string::npos);
  // Decrypt finds the key in the ciphertext: the same key policy applies.
  rapidjson::Document e;
  ASSERT_TRUE(json::ParseBounded(*ok, &e).ok());
  std::string decrypt = std::string(R"({"CiphertextBlob":")") + e["CiphertextBlob"].GetString() + "\"}";
  EXPECT_TRUE(Call(*kms_, "Decrypt", decrypt, app).ok());
  EXPECT_EQ(Call(*kms_, "Decrypt", decrypt, blocked).status().code(), ErrorCode::kAccessDenied);
  // A role without any identity policy: the key policy delegates to IAM, which says nothing.
  EXPECT_EQ(Call(*kms_, "Encrypt", encrypt, Role(kAcct, "none", {}, {})).status().code(),
            ErrorCode::kAccessDenied);
}

// A key policy that passes the shape check but not the engine's grammar: refused wherever a
// key policy is stored (it would otherwise be stored and then lose its Deny statements).
TEST_F(PolicyEnforcementTest, KmsKeyPolicyTheEngineCannotCompileIsRefused) {
  const std::string root_allow =
      R"({"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"})";
  const std::string typo_operator =
      R"({"Version":"2012-10-17","Statement":[)" + root_allow +
      R"(,{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"kms:*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"bob"}}}]})";
  const std::string extra_element =
      R"({"Version":"2012-10-17","Statement":[)" + root_allow +
      R"(,{"Effect":"Deny","Comment":"no bob","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"kms:*","Resource":"*"}]})";
  auto body = [](std::initializer_list<std::pair<const char*, std::string>> members,
                 bool multi_region = false) {
    rapidjson::StringBuffer buf;
    json::Writer w(buf);
    w.StartObject();
    for (const auto& [k, v] : members) json::KV(w, k, v);
    if (multi_region) {
      w.Key("MultiRegion");
      w.Bool(true);
    }
    w.EndObject();
    return std::string(buf.GetString());
  };
  for (const std::string& bad : {typo_operator, extra_element}) {
    auto created = Call(*kms_, "CreateKey", body({{"Policy", bad}}), nullptr);
    EXPECT_EQ(created.status().code(), ErrorCode::kKmsMalformedPolicyDocument) << bad;
  }
  auto created = Call(*kms_, "CreateKey", body({}, /*multi_region=*/true), nullptr);
  ASSERT_TRUE(created.ok()) << created.status().message();
  rapidjson::Document d;
  ASSERT_TRUE(json::ParseBounded(*created, &d).ok());
  const std::string key_id = d["KeyMetadata"]["KeyId"].GetString();
  auto put = Call(*kms_, "PutKeyPolicy",
                  body({{"KeyId", key_id}, {"PolicyName", "default"}, {"Policy", extra_element}}),
                  nullptr);
  EXPECT_EQ(put.status().code(), ErrorCode::kKmsMalformedPolicyDocument);
  EXPECT_NE(put.status().message().find("Comment"), std::string::npos) << put.status().message();
  auto replica = Call(*kms_, "ReplicateKey",
                      body({{"KeyId", key_id}, {"ReplicaRegion", "eu-west-1"},
                            {"Policy", typo_operator}}),
                      nullptr);
  EXPECT_EQ(replica.status().code(), ErrorCode::kKmsMalformedPolicyDocument);
  // Nothing was stored: the key keeps its default policy.
  auto got = Call(*kms_, "GetKeyPolicy", body({{"KeyId", key_id}, {"PolicyName", "default"}}),
                  nullptr);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->find("Comment"), std::string::npos);
}

// A stored resource or key policy that does not compile (written before the services refused
// such documents) allows nothing to anyone: never read as "no policy", which for a KMS key is
// the default key policy and for a secret the identity policies alone, both dropping its Deny.
TEST(ResourcePolicies, AStoredPolicyTheEngineCannotCompileAllowsNothing) {
  auth::PolicyAuthorizer authz;
  const std::string good =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"*","Resource":"*"}]})";
  const std::string bad =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"*","Resource":"*"},)"
      R"({"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"bob"}}}]})";
  auto user = std::make_shared<Principal>();
  user->type = Principal::Type::kUser;
  user->account = kAcct;
  user->arn = user->principal_arn = "arn:aws:iam::111122223333:user/bob";
  user->user_name = "bob";
  user->identity_policies.push_back(
      {R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})",
       "user/bob:all", PolicySource::Kind::kIdentity});
  for (bool kms_key : {true, false}) {
    auth::AccessRequest req;
    req.action = kms_key ? "kms:Encrypt" : "secretsmanager:GetSecretValue";
    req.resource_arn = kms_key ? "arn:aws:kms:us-east-1:111122223333:key/k1"
                               : "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf";
    req.resource_account = kAcct;
    req.kms_key = kms_key;
    req.grants.push_back({user->arn, {"Encrypt"}, {}, {}});
    for (std::shared_ptr<const Principal> who : {std::shared_ptr<const Principal>(), 
                                                 std::shared_ptr<const Principal>(user)}) {
      services::CallContext ctx;
      ctx.account = kAcct;
      ctx.region = "us-east-1";
      ctx.now_ms = kNow;
      ctx.principal_arn = "arn:aws:iam::111122223333:root";
      ctx.principal = who;
      req.resource_policy = &good;
      EXPECT_TRUE(authz.Decide(ctx, req).allowed()) << req.action;
      req.resource_policy = &bad;
      auth::policy::Decision d = authz.Decide(ctx, req);
      EXPECT_FALSE(d.allowed()) << req.action << (who ? " as bob" : " as root");
      EXPECT_EQ(d.reason, auth::policy::DecisionReason::kNoResourceAllow);
    }
  }
}

// Likewise an identity policy that does not compile (IAM refuses one before storing it, so
// it was written by an older version or edited in the store): read as no policy, its Deny
// statements would be dropped and the principal's other policies would still allow. The
// principal is refused everything, even what a resource policy alone would allow.
TEST(IdentityPolicies, AStoredPolicyTheEngineCannotCompileAllowsNothing) {
  auth::PolicyAuthorizer authz;
  const std::string allow_all =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})";
  const std::string bad_deny =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"bob"}}}]})";
  const std::string resource_allow =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"*","Resource":"*"}]})";
  auto user = std::make_shared<Principal>();
  user->type = Principal::Type::kUser;
  user->account = kAcct;
  user->arn = user->principal_arn = "arn:aws:iam::111122223333:user/bob";
  user->user_name = "bob";
  user->identity_policies.push_back({allow_all, "user/bob:all", PolicySource::Kind::kIdentity});
  services::CallContext ctx;
  ctx.account = kAcct;
  ctx.region = "us-east-1";
  ctx.now_ms = kNow;
  ctx.principal_arn = user->arn;
  ctx.principal = user;
  auth::AccessRequest req;
  req.action = "secretsmanager:GetSecretValue";
  req.resource_arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf";
  req.resource_account = kAcct;
  EXPECT_TRUE(authz.Decide(ctx, req).allowed());
  user->identity_policies.push_back({bad_deny, "group/ops:deny", PolicySource::Kind::kIdentity});
  auth::policy::Decision d = authz.Decide(ctx, req);
  EXPECT_FALSE(d.allowed());
  EXPECT_EQ(d.reason, auth::policy::DecisionReason::kNoIdentityAllow);
  req.resource_policy = &resource_allow;
  EXPECT_FALSE(authz.Decide(ctx, req).allowed());
}

// Every grant of a key counts, whatever page of the store holds it (a key may hold 50,000;
// only the first 1000 used to be read), and only grants naming the caller are evaluated.
TEST(KmsGrants, EveryPageOfAKeysGrantsIsRead) {
  auth::PolicyAuthorizer authz;
  const std::string key_policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]})";
  auto user = std::make_shared<Principal>();
  user->type = Principal::Type::kUser;
  user->account = kAcct;
  user->arn = user->principal_arn = "arn:aws:iam::111122223333:user/bob";
  services::CallContext ctx;
  ctx.account = kAcct;
  ctx.region = "us-east-1";
  ctx.now_ms = kNow;
  ctx.principal = user;
  ctx.authorizer = &authz;
  auth::AccessRequest req;
  req.action = "kms:Decrypt";
  req.resource_arn = "arn:aws:kms:us-east-1:111122223333:key/k1";
  req.resource_account = kAcct;
  req.kms_key = true;
  req.resource_policy = &key_policy;
  // Three pages of 1000 grants to someone else; bob's grant is on the third.
  int pages_read = 0;
  auth::KmsGrantPage pages = [&](const std::string& after, std::string* last)
      -> Result<std::vector<auth::policy::KmsGrantView>> {
    int page = after.empty() ? 0 : std::stoi(after) + 1;
    ++pages_read;
    std::vector<auth::policy::KmsGrantView> out;
    if (page >= 3) return out;
    for (int i = 0; i < 1000; ++i) {
      out.push_back({"arn:aws:iam::111122223333:user/other", {"Decrypt"}, {}, {}});
    }
    if (page == 2) out.back().grantee_principal = user->arn;
    *last = std::to_string(page);
    return out;
  };
  EXPECT_TRUE(auth::DecideKmsKeyAccess(ctx, req, pages).allowed());
  EXPECT_EQ(req.grants.size(), 1u);
  EXPECT_EQ(pages_read, 4);
  req.action = "kms:Encrypt";
  EXPECT_FALSE(auth::DecideKmsKeyAccess(ctx, req, pages).allowed());
}

// --- the simulator and the real authorizer agree --------------------------------------------

TEST(PolicySimulatorProperty, AgreesWithTheAuthorizerOnRandomPolicies) {
  std::mt19937 rng(20261202);
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  const std::vector<std::string> actions = {
      "secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret",
      "secretsmanager:PutSecretValue", "kms:Decrypt", "ssm:GetParameter"};
  const std::vector<std::string> action_patterns = {
      "\"*\"", "\"secretsmanager:*\"", "\"secretsmanager:Get*\"", "\"kms:Decrypt\"",
      "[\"ssm:GetParameter\",\"secretsmanager:Describe*\"]", "\"secretsmanager:?utSecretValue\""};
  const std::vector<std::string> resources = {
      "arn:aws:secretsmanager:us-east-1:111122223333:secret:team-a/db-AbCdEf",
      "arn:aws:secretsmanager:us-east-1:111122223333:secret:team-b/db-AbCdEf",
      "arn:aws:ssm:us-east-1:111122223333:parameter/app/x"};
  const std::vector<std::string> resource_patterns = {
      "\"*\"", "\"arn:aws:secretsmanager:*:*:secret:team-a/*\"",
      "\"arn:aws:ssm:*:*:parameter/app/*\"",
      "\"arn:aws:secretsmanager:*:*:secret:team-${aws:PrincipalTag/team}/*\""};
  const std::vector<std::string> conditions = {
      "", R"("Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}},)",
      R"("Condition":{"StringNotEquals":{"aws:ResourceTag/team":"b"}},)",
      R"("Condition":{"Bool":{"aws:SecureTransport":"true"}},)",
      R"("Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":["t*"]}},)",
      R"("Condition":{"NumericLessThan":{"aws:n":"5"}},)",
      R"("Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}},)",
      R"("Condition":{"StringEqualsIfExists":{"aws:x":"1"}},)"};
  auto statement = [&] {
    std::string effect = rng() % 4 == 0 ? "Deny" : "Allow";
    std::string act = rng() % 5 == 0 ? "NotAction" : "Action";
    std::string res = rng() % 6 == 0 ? "NotResource" : "Resource";
    return "{" + pick(conditions) + R"("Effect":")" + effect + R"(",")" + act + "\":" +
           pick(action_patterns) + ",\"" + res + "\":" + pick(resource_patterns) + "}";
  };
  auto policy = [&] {
    std::string s = R"({"Version":"2012-10-17","Statement":[)";
    int n = 1 + rng() % 3;
    for (int i = 0; i < n; ++i) s += (i ? "," : "") + statement();
    return s + "]}";
  };

  auth::PolicyAuthorizer authz;
  int allowed = 0, denied = 0;
  for (int round = 0; round < 400; ++round) {
    auto user = std::make_shared<Principal>();
    user->type = Principal::Type::kUser;
    user->account = kAcct;
    user->arn = user->principal_arn = "arn:aws:iam::111122223333:user/u";
    user->user_name = "u";
    user->user_id = "AIDAU";
    if (rng() % 2) user->tags["team"] = rng() % 2 ? "a" : "b";
    int n = rng() % 3;
    for (int i = 0; i < n; ++i) {
      user->identity_policies.push_back(
          {policy(), "PolicyInputList." + std::to_string(i + 1), PolicySource::Kind::kIdentity});
    }
    if (rng() % 4 == 0) {
      user->permissions_boundary =
          PolicySource{policy(), "PermissionsBoundaryPolicyInputList.1", PolicySource::Kind::kBoundary};
    }
    // The context, given to both alike.
    std::vector<auth::policy::ContextEntry> entries;
    if (rng() % 2) entries.push_back({"aws:ResourceTag/team", "string", {rng() % 2 ? "a" : "b"}});
    entries.push_back({"aws:SecureTransport", "boolean", {rng() % 2 ? "true" : "false"}});
    if (rng() % 2) entries.push_back({"aws:TagKeys", "stringList", {"team", "env"}});
    if (rng() % 2) entries.push_back({"aws:n", "numeric", {std::to_string(rng() % 10)}});
    if (rng() % 2) entries.push_back({"aws:SourceIp", "ip", {rng() % 2 ? "10.1.2.3" : "192.0.2.1"}});
    if (rng() % 2) entries.push_back({"aws:x", "string", {rng() % 2 ? "1" : "2"}});
    std::optional<std::string> resource_policy;
    if (rng() % 3 == 0) {
      resource_policy = R"({"Version":"2012-10-17","Statement":[{"Effect":")" +
                        std::string(rng() % 3 ? "Allow" : "Deny") +
                        R"(","Principal":{"AWS":")" +
                        std::string(rng() % 2 ? "arn:aws:iam::111122223333:user/u" : "111122223333") +
                        R"("},"Action":)" + pick(action_patterns) + R"(,"Resource":"*"}]})";
    }

    auth::policy::SimulationInput sim;
    sim.principal = *user;
    std::string action = pick(actions), resource = pick(resources);
    sim.action_names = {action};
    sim.resource_arns = {resource};
    sim.resource_policy = resource_policy;
    sim.context_entries = entries;
    auto page = auth::policy::Simulate(sim, authz.cache());
    ASSERT_TRUE(page.ok()) << page.status().message();
    const auto* results = &page->results;
    ASSERT_EQ(results->size(), 1u);

    services::CallContext ctx;
    ctx.account = kAcct;
    ctx.region = "us-east-1";
    ctx.now_ms = kNow;
    ctx.principal = user;
    auth::AccessRequest req;
    req.action = action;
    req.resource_arn = resource;
    req.resource_policy = resource_policy ? &*resource_policy : nullptr;
    for (const auto& e : entries) req.keys.SetList(e.key, e.values);
    auto d = authz.Decide(ctx, req);
    ASSERT_EQ(d.decision, (*results)[0].decision)
        << "round " << round << " action " << action << " on " << resource;
    ASSERT_EQ(d.matched.size(), (*results)[0].matched_statements.size());
    (d.allowed() ? allowed : denied)++;
  }
  // The generator exercises both outcomes.
  EXPECT_GT(allowed, 20);
  EXPECT_GT(denied, 20);
}

TEST(SessionPolicies, AnUnparseableSessionPolicyAllowsNothingRatherThanNarrowingNothing) {
  auth::PolicyAuthorizer authz;
  auto session = std::make_shared<Principal>();
  session->type = Principal::Type::kFederatedUser;
  session->account = kAcct;
  session->arn = session->principal_arn = "arn:aws:sts::111122223333:federated-user/bob";
  session->identity_policies.push_back(
      {R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})",
       "root", PolicySource::Kind::kIdentity});
  services::CallContext ctx;
  ctx.account = kAcct;
  ctx.region = "us-east-1";
  ctx.now_ms = kNow;
  ctx.principal = session;
  auth::AccessRequest req;
  req.action = "secretsmanager:GetSecretValue";
  req.resource_arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf";
  EXPECT_TRUE(authz.Decide(ctx, req).allowed());  // no session policy: identity alone
  session->session_policies.push_back({"not json", "session:1", PolicySource::Kind::kSession});
  EXPECT_FALSE(authz.Decide(ctx, req).allowed());
  session->session_policies.back().json = R"({"Version":"2012-10-17","Statement":[]})";
  EXPECT_FALSE(authz.Decide(ctx, req).allowed());  // GetFederationToken without a policy
}

}  // namespace
}  // namespace arcana
