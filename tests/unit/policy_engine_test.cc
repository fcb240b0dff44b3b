// The IAM policy engine (auth/policy): grammar, conditions, variables and the evaluation
// logic, case by case from the IAM policy evaluation documentation.
#include <gtest/gtest.h>

#include "auth/policy/condition.h"
#include "auth/policy/evaluator.h"
#include "auth/policy/policy.h"
#include "auth/policy/policy_cache.h"

namespace arcana::auth::policy {
namespace {

constexpr const char* kAcct = "111122223333";
constexpr const char* kOther = "444455556666";
constexpr const char* kSecret =
    "arn:aws:secretsmanager:us-east-1:111122223333:secret:team-a/db-AbCdEf";

Principal User(const std::string& account = kAcct, const std::string& name = "alice") {
  Principal p;
  p.type = Principal::Type::kUser;
  p.account = account;
  p.arn = "arn:aws:iam::" + account + ":user/" + name;
  p.principal_arn = p.arn;
  p.user_name = name;
  p.user_id = "AIDAEXAMPLE" + name;
  return p;
}

Principal RoleSession(const std::string& account = kAcct, const std::string& role = "app") {
  Principal p;
  p.type = Principal::Type::kAssumedRole;
  p.account = account;
  p.arn = "arn:aws:sts::" + account + ":assumed-role/" + role + "/s1";
  p.principal_arn = "arn:aws:iam::" + account + ":role/" + role;
  p.user_id = "AROAEXAMPLE:s1";
  return p;
}

Principal Root(const std::string& account = kAcct) {
  Principal p;
  p.type = Principal::Type::kRoot;
  p.account = account;
  p.arn = "arn:aws:iam::" + account + ":root";
  p.principal_arn = p.arn;
  p.user_id = account;
  return p;
}

std::string Doc(const std::string& statements) {
  return R"({"Version":"2012-10-17","Statement":[)" + statements + "]}";
}

// One evaluation with the given policies; the context gets the principal's keys.
struct Case {
  Principal principal = User();
  std::vector<std::string> identity;
  std::optional<std::string> boundary;
  std::vector<std::string> session;
  std::optional<std::string> resource_policy;
  bool kms_key = false;
  std::vector<KmsGrantView> grants;
  std::optional<KmsGrantView> requested_grant;
  std::string action = "secretsmanager:GetSecretValue";
  std::string resource = kSecret;
  std::string resource_account = kAcct;
  ContextKeys context;

  Decision Run() {
    static PolicyCache cache;
    EvalRequest req;
    req.principal = &principal;
    req.action = action;
    for (size_t i = 0; i < identity.size(); ++i) {
      req.identity.push_back(cache.Apply({identity[i], "id" + std::to_string(i),
                                          PolicySource::Kind::kIdentity}).value());
    }
    if (boundary) {
      req.boundary = cache.Apply({*boundary, "boundary", PolicySource::Kind::kBoundary}).value();
    }
    for (const auto& s : session) {
      req.session.push_back(cache.Apply({s, "session", PolicySource::Kind::kSession}).value());
    }
    ResourceView rv;
    rv.arn = resource;
    rv.account = resource_account;
    rv.is_kms_key = kms_key;
    rv.grants = grants;
    rv.requested_grant = requested_grant;
    if (resource_policy) {
      rv.resource_policy =
          cache.Apply({*resource_policy, "resource", PolicySource::Kind::kResource}).value();
    }
    if (!context.Has("aws:username") && !principal.user_name.empty()) {
      context.Set("aws:username", principal.user_name);
    }
    for (const auto& [k, v] : principal.tags) {
      if (!context.Has("aws:PrincipalTag/" + k)) context.Set("aws:PrincipalTag/" + k, v);
    }
    req.resource = &rv;
    req.context = &context;
    return Evaluate(req);
  }
};

const std::string kAllowGet =
    R"({"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"})";
const std::string kAllowAll = R"({"Effect":"Allow","Action":"*","Resource":"*"})";

// --- grammar --------------------------------------------------------------------------------

TEST(PolicyParse, StatementAsObjectOrArrayAndPositions) {
  auto one = ParsePolicy(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow",
"Action":"s3:GetObject","Resource":"*"}})", PolicyUse::kIdentity);
  ASSERT_TRUE(one.ok()) << one.status().message();
  ASSERT_EQ((*one)->statements.size(), 1u);
  EXPECT_EQ((*one)->statements[0].start.line, 1);
  EXPECT_EQ((*one)->statements[0].start.column, 37);  // the '{' of the statement
  EXPECT_EQ((*one)->statements[0].end.line, 2);
  EXPECT_EQ((*one)->statements[0].end.column, 39);    // its '}'
  auto two = ParsePolicy(Doc(kAllowGet + "," + kAllowAll), PolicyUse::kIdentity);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ((*two)->statements.size(), 2u);
  EXPECT_EQ((*two)->statements[1].index, 1u);
}

TEST(PolicyParse, RejectsWithMalformedPolicyDocumentMessages) {
  struct Bad {
    std::string doc;
    PolicyUse use;
    std::string message;
  };
  const Bad cases[] = {
      {"{", PolicyUse::kIdentity, "Syntax errors in policy."},
      {R"({"Version":"2013-01-01","Statement":[]})", PolicyUse::kIdentity,
       "The policy failed legacy parsing"},
      {Doc(R"({"Action":"s3:*","Resource":"*"})"), PolicyUse::kIdentity,
       "Missing required field Effect"},
      {Doc(R"({"Effect":"Allow","Resource":"*"})"), PolicyUse::kIdentity,
       "Policy statement must contain actions."},
      {Doc(R"({"Effect":"Allow","Action":"s3:*"})"), PolicyUse::kIdentity,
       "Policy statement must contain resources."},
      {Doc(R"({"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"})"),
       PolicyUse::kIdentity, "Policy document should not specify a principal."},
      {Doc(R"({"Effect":"Allow","Action":"GetObject","Resource":"*"})"), PolicyUse::kIdentity,
       "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
      {Doc(R"({"Effect":"Maybe","Action":"s3:*","Resource":"*"})"), PolicyUse::kIdentity,
       "Invalid effect: Maybe"},
      {Doc(R"({"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"aws:x":"1"}}})"),
       PolicyUse::kIdentity, "Invalid Condition type : StringEqualz."},
      {Doc(R"({"Effect":"Allow","Action":"s3:*","Resource":"bucket"})"), PolicyUse::kIdentity,
       "Resource bucket must be in ARN format or \"*\"."},
      {Doc(R"({"Effect":"Allow","Action":"s3:*","Resource":"*"})"), PolicyUse::kResource,
       "Policy statement must contain a principal."},
  };
  for (const auto& c : cases) {
    auto r = ParsePolicy(c.doc, c.use);
    ASSERT_FALSE(r.ok()) << c.doc;
    EXPECT_EQ(r.status().code(), ErrorCode::kMalformedPolicyDocument);
    EXPECT_EQ(r.status().message(), c.message) << c.doc;
  }
}

TEST(PolicyParse, BoundedDepthAndSize) {
  std::string deep = R"({"Version":"2012-10-17","Statement":)" + std::string(40, '[') +
                     std::string(40, ']') + "}";
  EXPECT_FALSE(ParsePolicy(deep, PolicyUse::kIdentity).ok());
  std::string big(kMaxPolicyBytes + 1, ' ');
  EXPECT_FALSE(ParsePolicy(big, PolicyUse::kIdentity).ok());
}

// --- evaluation: the basics -----------------------------------------------------------------

TEST(PolicyEval, ImplicitDenyByDefaultAndAllowByIdentityPolicy) {
  Case c;
  Decision d = c.Run();
  EXPECT_EQ(d.decision, EvalDecision::kImplicitDeny);
  EXPECT_EQ(d.reason, DecisionReason::kNoIdentityAllow);
  EXPECT_EQ(DenialMessage(c.principal, c.action, c.resource, d),
            "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: "
            "secretsmanager:GetSecretValue on resource: " + std::string(kSecret) +
            " because no identity-based policy allows the secretsmanager:GetSecretValue action");
  c.identity = {Doc(kAllowGet)};
  d = c.Run();
  EXPECT_EQ(d.decision, EvalDecision::kAllowed);
  ASSERT_EQ(d.matched.size(), 1u);
  EXPECT_EQ(d.matched[0].source_id, "id0");
}

TEST(PolicyEval, ExplicitDenyWinsOverAnyAllow) {
  Case c;
  c.identity = {Doc(kAllowAll), Doc(R"({"Sid":"NoSecrets","Effect":"Deny","Action":"secretsmanager:*","Resource":"*"})")};
  Decision d = c.Run();
  EXPECT_EQ(d.decision, EvalDecision::kExplicitDeny);
  ASSERT_EQ(d.matched.size(), 1u);
  EXPECT_EQ(d.matched[0].sid, "NoSecrets");
  EXPECT_EQ(d.matched[0].source_id, "id1");
  EXPECT_NE(DenialMessage(c.principal, c.action, c.resource, d)
                .find("with an explicit deny in an identity-based policy"),
            std::string::npos);
}

TEST(PolicyEval, ActionsAreCaseInsensitiveWildcards) {
  Case c;
  c.identity = {Doc(R"({"Effect":"Allow","Action":"SecretsManager:Get*","Resource":"*"})")};
  EXPECT_TRUE(c.Run().allowed());
  c.action = "secretsmanager:PutSecretValue";
  EXPECT_FALSE(c.Run().allowed());
  c.identity = {Doc(R"({"Effect":"Allow","Action":"secretsmanager:?etSecretValue","Resource":"*"})")};
  c.action = "secretsmanager:GetSecretValue";
  EXPECT_TRUE(c.Run().allowed());
}

TEST(PolicyEval, NotActionAllowsEverythingElse) {
  Case c;
  c.identity = {Doc(R"({"Effect":"Allow","NotAction":"secretsmanager:DeleteSecret","Resource":"*"})")};
  EXPECT_TRUE(c.Run().allowed());
  c.action = "secretsmanager:DeleteSecret";
  EXPECT_EQ(c.Run().decision, EvalDecision::kImplicitDeny);
  // Deny with NotAction: denies everything except the listed actions.
  c.identity = {Doc(kAllowAll + R"(,{"Effect":"Deny","NotAction":"secretsmanager:Describe*","Resource":"*"})")};
  EXPECT_EQ(c.Run().decision, EvalDecision::kExplicitDeny);
  c.action = "secretsmanager:DescribeSecret";
  EXPECT_TRUE(c.Run().allowed());
}

TEST(PolicyEval, ResourceAndNotResourceWildcards) {
  Case c;
  c.identity = {Doc(R"({"Effect":"Allow","Action":"*","Resource":"arn:aws:secretsmanager:*:111122223333:secret:team-a/*"})")};
  EXPECT_TRUE(c.Run().allowed());
  c.resource = "arn:aws:secretsmanager:us-east-1:111122223333:secret:team-b/db-AbCdEf";
  EXPECT_FALSE(c.Run().allowed());
  c.identity = {Doc(R"({"Effect":"Allow","Action":"*","NotResource":"arn:aws:secretsmanager:*:*:secret:team-b/*"})")};
  EXPECT_FALSE(c.Run().allowed());
  c.resource = kSecret;
  EXPECT_TRUE(c.Run().allowed());
  // Resource patterns are case-sensitive.
  c.identity = {Doc(R"({"Effect":"Allow","Action":"*","Resource":"arn:aws:secretsmanager:*:*:secret:TEAM-A/*"})")};
  EXPECT_FALSE(c.Run().allowed());
}

// --- conditions -----------------------------------------------------------------------------

struct CondCase {
  std::string condition;  // the Condition block's inner JSON
  std::vector<std::pair<std::string, std::vector<std::string>>> context;
  bool allowed;
};

void RunConditionTable(const std::vector<CondCase>& cases) {
  for (const auto& cc : cases) {
    Case c;
    c.identity = {Doc(R"({"Effect":"Allow","Action":"*","Resource":"*","Condition":{)" +
                      cc.condition + "}}")};
    for (const auto& [k, v] : cc.context) c.context.SetList(k, v);
    EXPECT_EQ(c.Run().allowed(), cc.allowed) << cc.condition;
  }
}

TEST(PolicyCondition, StringOperators) {
  RunConditionTable({
      {R"("StringEquals":{"aws:ResourceTag/team":"a"})", {{"aws:ResourceTag/team", {"a"}}}, true},
      {R"("StringEquals":{"aws:ResourceTag/team":"a"})", {{"aws:ResourceTag/team", {"A"}}}, false},
      {R"("StringEquals":{"aws:ResourceTag/team":["b","a"]})", {{"aws:resourcetag/TEAM", {"a"}}}, true},
      {R"("StringEquals":{"aws:ResourceTag/team":"a"})", {}, false},
      {R"("StringNotEquals":{"aws:ResourceTag/team":"a"})", {{"aws:ResourceTag/team", {"b"}}}, true},
      {R"("StringNotEquals":{"aws:ResourceTag/team":"a"})", {{"aws:ResourceTag/team", {"a"}}}, false},
      {R"("StringNotEquals":{"aws:ResourceTag/team":"a"})", {}, true},  // absent key
      {R"("StringEqualsIgnoreCase":{"aws:ResourceTag/team":"a"})", {{"aws:ResourceTag/team", {"A"}}}, true},
      {R"("StringNotEqualsIgnoreCase":{"aws:ResourceTag/team":"a"})", {{"aws:ResourceTag/team", {"A"}}}, false},
      {R"("StringLike":{"secretsmanager:Name":"team-a/*"})", {{"secretsmanager:Name", {"team-a/db"}}}, true},
      {R"("StringLike":{"secretsmanager:Name":"team-?/db"})", {{"secretsmanager:Name", {"team-b/db"}}}, true},
      {R"("StringNotLike":{"secretsmanager:Name":"team-a/*"})", {{"secretsmanager:Name", {"team-a/db"}}}, false},
      {R"("StringEquals":{"aws:x":"a*"})", {{"aws:x", {"abc"}}}, false},  // no wildcards
      {R"("StringEqualsIfExists":{"aws:ResourceTag/team":"a"})", {}, true},
      {R"("StringEqualsIfExists":{"aws:ResourceTag/team":"a"})", {{"aws:ResourceTag/team", {"b"}}}, false},
  });
}

TEST(PolicyCondition, NumericDateBoolBinaryNull) {
  RunConditionTable({
      {R"("NumericLessThan":{"secretsmanager:RecoveryWindowInDays":"10"})", {{"secretsmanager:RecoveryWindowInDays", {"7"}}}, true},
      {R"("NumericLessThan":{"secretsmanager:RecoveryWindowInDays":10})", {{"secretsmanager:RecoveryWindowInDays", {"10"}}}, false},
      {R"("NumericLessThanEquals":{"aws:n":"10"})", {{"aws:n", {"10"}}}, true},
      {R"("NumericGreaterThan":{"aws:n":"1.5"})", {{"aws:n", {"2"}}}, true},
      {R"("NumericGreaterThanEquals":{"aws:n":"2"})", {{"aws:n", {"1"}}}, false},
      {R"("NumericEquals":{"aws:n":"2"})", {{"aws:n", {"2.0"}}}, true},
      {R"("NumericNotEquals":{"aws:n":"2"})", {{"aws:n", {"3"}}}, true},
      {R"("NumericEquals":{"aws:n":"2"})", {{"aws:n", {"two"}}}, false},
      {R"("DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"})", {{"aws:CurrentTime", {"2026-12-02T17:00:00Z"}}}, true},
      {R"("DateGreaterThan":{"aws:CurrentTime":"2030-01-01"})", {{"aws:CurrentTime", {"2026-12-02T17:00:00Z"}}}, false},
      {R"("DateEquals":{"aws:EpochTime":"2020-01-01T00:00:00Z"})", {{"aws:EpochTime", {"1577836800"}}}, true},
      {R"("DateNotEquals":{"aws:CurrentTime":"2020-01-01T01:00:00+01:00"})", {{"aws:CurrentTime", {"2020-01-01T00:00:00Z"}}}, false},
      {R"("DateLessThanEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"})", {{"aws:CurrentTime", {"2020-01-01T00:00:00.500Z"}}}, true},
      {R"("DateGreaterThanEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"})", {{"aws:CurrentTime", {"2019-12-31T23:59:59Z"}}}, false},
      {R"("Bool":{"aws:SecureTransport":"true"})", {{"aws:SecureTransport", {"true"}}}, true},
      {R"("Bool":{"aws:SecureTransport":true})", {{"aws:SecureTransport", {"false"}}}, false},
      {R"("BoolIfExists":{"aws:MultiFactorAuthPresent":"true"})", {}, true},
      {R"("BinaryEquals":{"aws:b":"QmluYXJ5"})", {{"aws:b", {"QmluYXJ5"}}}, true},
      {R"("Null":{"aws:ResourceTag/team":"true"})", {}, true},
      {R"("Null":{"aws:ResourceTag/team":"true"})", {{"aws:ResourceTag/team", {"a"}}}, false},
      {R"("Null":{"aws:ResourceTag/team":"false"})", {{"aws:ResourceTag/team", {"a"}}}, true},
  });
}

TEST(PolicyCondition, IpAndArnOperators) {
  RunConditionTable({
      {R"("IpAddress":{"aws:SourceIp":"203.0.113.0/24"})", {{"aws:SourceIp", {"203.0.113.7"}}}, true},
      {R"("IpAddress":{"aws:SourceIp":"203.0.113.0/24"})", {{"aws:SourceIp", {"203.0.114.7"}}}, false},
      {R"("IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]})", {{"aws:SourceIp", {"2001:db8:1::5"}}}, true},
      {R"("IpAddress":{"aws:SourceIp":"2001:db8::/32"})", {{"aws:SourceIp", {"2001:db9::5"}}}, false},
      {R"("IpAddress":{"aws:SourceIp":"127.0.0.1"})", {{"aws:SourceIp", {"127.0.0.1"}}}, true},
      {R"("NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"})", {{"aws:SourceIp", {"198.51.100.1"}}}, true},
      {R"("NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"})", {{"aws:SourceIp", {"203.0.113.1"}}}, false},
      {R"("ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/app-*"})", {{"aws:PrincipalArn", {"arn:aws:iam::111122223333:role/app-web"}}}, true},
      {R"("ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/app"})", {{"aws:PrincipalArn", {"arn:aws:iam::111122223333:role/app"}}}, true},
      {R"("ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/app-*"})", {{"aws:PrincipalArn", {"arn:aws:iam::111122223333:user/app-web"}}}, false},
      {R"("ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin"})", {{"aws:PrincipalArn", {"arn:aws:iam::111122223333:role/app"}}}, true},
      {R"("ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/app"})", {{"aws:PrincipalArn", {"arn:aws:iam::111122223333:role/app"}}}, false},
  });
}

TEST(PolicyCondition, SetOperators) {
  RunConditionTable({
      // ForAllValues: every request value is in the set (an empty or absent set passes).
      {R"("ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]})", {{"aws:TagKeys", {"team"}}}, true},
      {R"("ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]})", {{"aws:TagKeys", {"team", "owner"}}}, false},
      {R"("ForAllValues:StringEquals":{"aws:TagKeys":["team"]})", {}, true},
      // ForAnyValue: at least one request value is in the set (absent fails).
      {R"("ForAnyValue:StringEquals":{"aws:TagKeys":["team"]})", {{"aws:TagKeys", {"owner", "team"}}}, true},
      {R"("ForAnyValue:StringEquals":{"aws:TagKeys":["team"]})", {{"aws:TagKeys", {"owner"}}}, false},
      {R"("ForAnyValue:StringEquals":{"aws:TagKeys":["team"]})", {}, false},
      {R"("ForAnyValue:StringLike":{"aws:TagKeys":["t*"]})", {{"aws:TagKeys", {"x", "team"}}}, true},
      {R"("ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]})", {{"aws:TagKeys", {"a", "b"}}}, true},
      {R"("ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]})", {{"aws:TagKeys", {"a", "secret"}}}, false},
  });
}

TEST(PolicyCondition, ConditionsAndKeysAreAndedValuesOred) {
  RunConditionTable({
      {R"("StringEquals":{"aws:a":"1","aws:b":"2"})", {{"aws:a", {"1"}}, {"aws:b", {"2"}}}, true},
      {R"("StringEquals":{"aws:a":"1","aws:b":"2"})", {{"aws:a", {"1"}}, {"aws:b", {"3"}}}, false},
      {R"("StringEquals":{"aws:a":"1"},"Bool":{"aws:SecureTransport":"true"})", {{"aws:a", {"1"}}}, false},
  });
}

// What AWS's IAM accepts (its validated answers to moto's valid-policy table) parses, and
// means: an operator block with no keys (even of an unknown operator) is ignored, a key with
// no values matches no context value, a key needs no vendor prefix.
TEST(PolicyCondition, BlocksAndKeysAwsAccepts) {
  RunConditionTable({
      {R"("x":{},"y":{})", {}, true},
      {R"("StringEquals":{})", {}, true},
      {R"("StringEquals":{"aws:a":[]})", {{"aws:a", {"1"}}}, false},
      {R"("StringNotEquals":{"aws:a":[]})", {{"aws:a", {"1"}}}, true},
      {R"("StringEquals":{"a":"1"})", {{"a", {"1"}}}, true},
      {R"("StringEquals":{"a":"1"})", {}, false},
  });
  auto bad = ParsePolicy(
      R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"x":{"a":"1"}}}})",
      PolicyUse::kIdentity);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "Invalid Condition type : x.");
}

// --- variables ------------------------------------------------------------------------------

TEST(PolicyVariables, SubstitutedInResourcesAndConditions) {
  Case c;
  c.resource = "arn:aws:secretsmanager:us-east-1:111122223333:secret:home/alice/db-AbCdEf";
  c.identity = {Doc(R"({"Effect":"Allow","Action":"*","Resource":"arn:aws:secretsmanager:*:*:secret:home/${aws:username}/*"})")};
  EXPECT_TRUE(c.Run().allowed());
  c.principal = User(kAcct, "bob");
  c.context = {};
  EXPECT_FALSE(c.Run().allowed());
  // A value from the context is literal: a user named "*" matches no more than "*".
  c.principal = User(kAcct, "*");
  c.context = {};
  EXPECT_FALSE(c.Run().allowed());
}

TEST(PolicyVariables, PrincipalTagAbacAndDefaultsAndEscapes) {
  Case c;
  c.principal = RoleSession();
  c.principal.tags = {{"team", "a"}};
  c.identity = {Doc(R"({"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}})")};
  c.context.Set("aws:ResourceTag/team", "a");
  EXPECT_TRUE(c.Run().allowed());
  c.context.Set("aws:ResourceTag/team", "b");
  EXPECT_FALSE(c.Run().allowed());
  // Missing variable without default: the value matches nothing.
  Case m;
  m.identity = {Doc(R"({"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}})")};
  m.context.Set("aws:ResourceTag/team", "");
  EXPECT_FALSE(m.Run().allowed());
  // With a default.
  Case d;
  d.identity = {Doc(R"({"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team, 'none'}"}}})")};
  d.context.Set("aws:ResourceTag/team", "none");
  EXPECT_TRUE(d.Run().allowed());
  // ${*} is a literal star.
  Case s;
  s.identity = {Doc(R"({"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:x":"a${*}b"}}})")};
  s.context.Set("aws:x", "a*b");
  EXPECT_TRUE(s.Run().allowed());
  s.context.Set("aws:x", "axxb");
  EXPECT_FALSE(s.Run().allowed());
  // Version 2008-10-17: no variables, the text is literal.
  Case v;
  v.identity = {R"({"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:x":"${aws:username}"}}}]})"};
  v.context.Set("aws:x", "${aws:username}");
  EXPECT_TRUE(v.Run().allowed());
}

// --- boundaries, sessions, resource policies, cross account ---------------------------------

TEST(PolicyEval, PermissionsBoundaryIntersects) {
  Case c;
  c.identity = {Doc(kAllowAll)};
  c.boundary = Doc(R"({"Effect":"Allow","Action":"secretsmanager:Describe*","Resource":"*"})");
  Decision d = c.Run();
  EXPECT_EQ(d.decision, EvalDecision::kImplicitDeny);
  EXPECT_EQ(d.reason, DecisionReason::kNoBoundaryAllow);
  EXPECT_EQ(d.allowed_by_boundary, false);
  c.action = "secretsmanager:DescribeSecret";
  d = c.Run();
  EXPECT_TRUE(d.allowed());
  EXPECT_EQ(d.allowed_by_boundary, true);
  // The boundary alone grants nothing.
  c.identity = {};
  EXPECT_EQ(c.Run().reason, DecisionReason::kNoIdentityAllow);
  // An explicit deny in the boundary.
  c.identity = {Doc(kAllowAll)};
  c.boundary = Doc(kAllowAll + R"(,{"Effect":"Deny","Action":"secretsmanager:Describe*","Resource":"*"})");
  EXPECT_EQ(c.Run().reason, DecisionReason::kExplicitDenyBoundary);
}

TEST(PolicyEval, SessionPoliciesIntersect) {
  Case c;
  c.principal = RoleSession();
  c.identity = {Doc(kAllowAll)};
  c.session = {Doc(R"({"Effect":"Allow","Action":"secretsmanager:Describe*","Resource":"*"})")};
  EXPECT_EQ(c.Run().reason, DecisionReason::kNoSessionAllow);
  c.action = "secretsmanager:DescribeSecret";
  EXPECT_TRUE(c.Run().allowed());
  c.session = {Doc(R"({"Effect":"Deny","Action":"*","Resource":"*"})")};
  EXPECT_EQ(c.Run().reason, DecisionReason::kExplicitDenySession);
}

TEST(PolicyEval, ResourcePolicyAllowsWithinTheAccount) {
  Case c;  // no identity policy
  c.resource_policy = Doc(R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"secretsmanager:GetSecretValue","Resource":"*"})");
  Decision d = c.Run();
  EXPECT_TRUE(d.allowed());
  EXPECT_EQ(d.reason, DecisionReason::kResourcePolicyAllow);
  // Naming the user directly is not limited by a boundary.
  c.boundary = Doc(R"({"Effect":"Allow","Action":"s3:*","Resource":"*"})");
  EXPECT_TRUE(c.Run().allowed());
  // Naming the account only delegates to IAM policies.
  Case a;
  a.resource_policy = Doc(R"({"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"*","Resource":"*"})");
  EXPECT_FALSE(a.Run().allowed());
  a.identity = {Doc(kAllowGet)};
  EXPECT_TRUE(a.Run().allowed());
  // Naming the role: its sessions are allowed, within the boundary.
  Case r;
  r.principal = RoleSession();
  r.resource_policy = Doc(R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":"*","Resource":"*"})");
  EXPECT_TRUE(r.Run().allowed());
  r.boundary = Doc(R"({"Effect":"Allow","Action":"s3:*","Resource":"*"})");
  EXPECT_FALSE(r.Run().allowed());
  // A deny in the resource policy.
  Case x;
  x.identity = {Doc(kAllowAll)};
  x.resource_policy = Doc(R"({"Effect":"Deny","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"a"}}})");
  EXPECT_EQ(x.Run().reason, DecisionReason::kExplicitDenyResource);
  x.principal.tags = {{"team", "a"}};
  EXPECT_TRUE(x.Run().allowed());
}

TEST(PolicyEval, CrossAccountNeedsBothSides) {
  Case c;
  c.principal = User(kOther, "carol");
  c.identity = {Doc(kAllowGet)};
  Decision d = c.Run();
  EXPECT_EQ(d.reason, DecisionReason::kNoResourceAllow);
  EXPECT_NE(DenialMessage(c.principal, c.action, c.resource, d)
                .find("because no resource-based policy allows the secretsmanager:GetSecretValue action"),
            std::string::npos);
  c.resource_policy = Doc(R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"secretsmanager:GetSecretValue","Resource":"*"})");
  EXPECT_TRUE(c.Run().allowed());
  c.identity = {};
  EXPECT_EQ(c.Run().reason, DecisionReason::kNoIdentityAllow);
  // The other account's root: its own side is always allowed.
  Case r;
  r.principal = Root(kOther);
  EXPECT_EQ(r.Run().reason, DecisionReason::kNoResourceAllow);
  r.resource_policy = c.resource_policy;
  EXPECT_TRUE(r.Run().allowed());
}

TEST(PolicyEval, RootOfTheAccountUnlessExplicitlyDenied) {
  Case c;
  c.principal = Root();
  Decision d = c.Run();
  EXPECT_TRUE(d.allowed());
  EXPECT_EQ(d.reason, DecisionReason::kRootOfAccount);
  c.resource_policy = Doc(R"({"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"})");
  EXPECT_EQ(c.Run().decision, EvalDecision::kExplicitDeny);
}

TEST(PolicyEval, NotPrincipal) {
  Case c;
  c.identity = {Doc(kAllowAll)};
  c.resource_policy = Doc(R"({"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/admin"},"Action":"*","Resource":"*"})");
  EXPECT_EQ(c.Run().decision, EvalDecision::kExplicitDeny);
  c.principal = User(kAcct, "admin");
  EXPECT_TRUE(c.Run().allowed());
}

// --- KMS key policies and grants -------------------------------------------------------------

const std::string kDefaultKeyPolicy = Doc(
    R"({"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"})");

TEST(PolicyKms, DefaultKeyPolicyDelegatesToIam) {
  Case c;
  c.kms_key = true;
  c.action = "kms:Decrypt";
  c.resource = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  c.resource_policy = kDefaultKeyPolicy;
  EXPECT_FALSE(c.Run().allowed());
  c.identity = {Doc(R"({"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"})")};
  EXPECT_TRUE(c.Run().allowed());
  c.principal = Root();
  c.identity = {};
  EXPECT_TRUE(c.Run().allowed());
}

TEST(PolicyKms, KeyPolicyWithoutTheAccountLocksIamOut) {
  Case c;
  c.kms_key = true;
  c.action = "kms:Decrypt";
  c.resource = "arn:aws:kms:us-east-1:111122223333:key/k";
  c.resource_policy = Doc(R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"kms:*","Resource":"*"})");
  c.identity = {Doc(kAllowAll)};
  Decision d = c.Run();
  EXPECT_EQ(d.reason, DecisionReason::kNoResourceAllow);
  c.principal = Root();  // even root, as on AWS
  EXPECT_FALSE(c.Run().allowed());
  c.principal = User(kAcct, "bob");
  c.identity = {};
  EXPECT_TRUE(c.Run().allowed());
}

TEST(PolicyKms, KeyPolicyDenyingOneRole) {
  Case c;
  c.kms_key = true;
  c.action = "kms:Decrypt";
  c.resource = "arn:aws:kms:us-east-1:111122223333:key/k";
  c.resource_policy = Doc(
      R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
         {"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:role/blocked"},"Action":"kms:Decrypt","Resource":"*"})");
  c.principal = RoleSession(kAcct, "blocked");
  c.identity = {Doc(kAllowAll)};
  EXPECT_EQ(c.Run().reason, DecisionReason::kExplicitDenyResource);
  c.principal = RoleSession(kAcct, "app");
  EXPECT_TRUE(c.Run().allowed());
}

// kms:Decrypt by alice of a key with the default key policy, and a grant to her of Decrypt
// (the caller adds the grant's constraints and sets c.grants).
Case DecryptByGrantCase(KmsGrantView* g) {
  Case c;
  c.kms_key = true;
  c.action = "kms:Decrypt";
  c.resource = "arn:aws:kms:us-east-1:111122223333:key/k";
  c.resource_policy = kDefaultKeyPolicy;
  g->grantee_principal = "arn:aws:iam::111122223333:user/alice";
  g->operations = {"Decrypt"};
  return c;
}

TEST(PolicyKms, GrantsAllowWithTheirConstraints) {
  KmsGrantView g;
  Case c = DecryptByGrantCase(&g);
  g.encryption_context_subset = {{"Dept", "IT"}};
  c.grants = {g};
  EXPECT_FALSE(c.Run().allowed());  // the constraint is not met
  c.context.Set("kms:EncryptionContext:Dept", "IT");
  Decision d = c.Run();
  EXPECT_TRUE(d.allowed());
  EXPECT_EQ(d.reason, DecisionReason::kGrantAllow);
  c.action = "kms:Encrypt";
  EXPECT_FALSE(c.Run().allowed());
}

// CreateGrant's SourceArn constraint is "effectively the same as having the aws:SourceArn
// global condition key in the grant"; a grant to a service principal allows only that
// service, which signs no request a caller sends.
TEST(PolicyKms, SourceArnAndServicePrincipalGrants) {
  KmsGrantView g;
  Case c = DecryptByGrantCase(&g);
  g.source_arn = "arn:aws:dynamodb:us-east-1:111122223333:table/T";
  c.grants = {g};
  EXPECT_FALSE(c.Run().allowed());  // made on behalf of no resource
  c.context.Set("aws:SourceArn", "arn:aws:dynamodb:us-east-1:111122223333:table/Other");
  EXPECT_FALSE(c.Run().allowed());
  c.context.Set("aws:SourceArn", g.source_arn);
  EXPECT_TRUE(c.Run().allowed());
  KmsGrantView service = g;
  service.grantee_principal = "dynamodb.amazonaws.com";
  service.grantee_is_service = true;
  c.grants = {service};
  EXPECT_FALSE(c.Run().allowed());
}

// AWS (API_GrantConstraints): "Encryption context grant constraints are not applied to
// operations that do not support an encryption context, such as ... DescribeKey or RetireGrant".
TEST(PolicyKms, GrantConstraintsApplyOnlyToOperationsWithAContext) {
  Case c;
  c.kms_key = true;
  c.resource = "arn:aws:kms:us-east-1:111122223333:key/k";
  c.resource_policy = kDefaultKeyPolicy;
  KmsGrantView g;
  g.grantee_principal = "arn:aws:iam::111122223333:user/alice";
  g.operations = {"DescribeKey", "Decrypt", "GenerateDataKeyPair"};
  g.encryption_context_equals = {{"dept", "A"}};
  c.grants = {g};
  c.action = "kms:DescribeKey";
  EXPECT_TRUE(c.Run().allowed());
  for (const char* action : {"kms:Decrypt", "kms:GenerateDataKeyPair"}) {
    c.action = action;
    EXPECT_FALSE(c.Run().allowed()) << action;
  }
}

// A grant allowing CreateGrant allows only grants it covers: its own operations at most, and
// constraints as strict as its own or stricter (developer guide, "Creating grants"; CreateGrant
// Constraints). Keys compare case-insensitively, values case-sensitively.
TEST(PolicyKms, GrantsCreatedFromAGrantAreAttenuated) {
  Case c;
  c.kms_key = true;
  c.action = "kms:CreateGrant";
  c.resource = "arn:aws:kms:us-east-1:111122223333:key/k";
  c.resource_policy = kDefaultKeyPolicy;
  KmsGrantView parent;
  parent.grantee_principal = "arn:aws:iam::111122223333:user/alice";
  parent.operations = {"CreateGrant", "Decrypt"};
  c.grants = {parent};
  EXPECT_FALSE(c.Run().allowed());  // no requested grant to compare: never by a grant
  auto want = [&](std::vector<std::string> ops, std::map<std::string, std::string> eq,
                  std::map<std::string, std::string> sub) {
    c.requested_grant = KmsGrantView{"arn:aws:iam::111122223333:user/bob", std::move(ops),
                                     std::move(eq), std::move(sub)};
    return c.Run().allowed();
  };
  EXPECT_TRUE(want({"Decrypt"}, {}, {}));
  EXPECT_TRUE(want({"Decrypt", "CreateGrant"}, {}, {{"x", "1"}}));
  EXPECT_FALSE(want({"Decrypt", "Encrypt"}, {}, {}));
  EXPECT_FALSE(want({"GenerateDataKey"}, {}, {}));

  c.grants[0].encryption_context_subset = {{"Dept", "A"}};
  EXPECT_TRUE(want({"Decrypt"}, {}, {{"dept", "A"}}));
  EXPECT_TRUE(want({"Decrypt"}, {}, {{"DEPT", "A"}, {"team", "x"}}));
  EXPECT_TRUE(want({"Decrypt"}, {{"dept", "A"}, {"team", "x"}}, {}));
  EXPECT_FALSE(want({"Decrypt"}, {}, {}));
  EXPECT_FALSE(want({"Decrypt"}, {}, {{"dept", "a"}}));
  EXPECT_FALSE(want({"Decrypt"}, {{"team", "x"}}, {}));

  c.grants[0].encryption_context_subset.clear();
  c.grants[0].encryption_context_equals = {{"dept", "A"}};
  EXPECT_TRUE(want({"Decrypt"}, {{"Dept", "A"}}, {}));
  EXPECT_FALSE(want({"Decrypt"}, {}, {{"dept", "A"}}));  // admits {dept:A, more:...}
  EXPECT_FALSE(want({"Decrypt"}, {{"dept", "A"}, {"x", "1"}}, {}));
  EXPECT_FALSE(want({"Decrypt"}, {}, {}));
}

TEST(PolicyEval, MissingContextKeysAreReported) {
  Case c;
  c.identity = {Doc(R"({"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"a"},"Bool":{"aws:SecureTransport":"true"}}})")};
  Decision d = c.Run();
  EXPECT_FALSE(d.allowed());
  EXPECT_EQ(d.missing_context_keys,
            (std::vector<std::string>{"aws:ResourceTag/team", "aws:SecureTransport"}));
}

TEST(PolicyGlob, Wildcards) {
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXXbYY"));
  EXPECT_TRUE(GlobMatch("a?c", "abc"));
  EXPECT_FALSE(GlobMatch("a?c", "ac"));
  EXPECT_TRUE(GlobMatchEscaped("a\\*c", "a*c"));
  EXPECT_FALSE(GlobMatchEscaped("a\\*c", "abc"));
}

TEST(PolicyCache, ParsesOncePerText) {
  PolicyCache cache;
  auto a = cache.Get(Doc(kAllowGet), PolicyUse::kIdentity);
  auto b = cache.Get(Doc(kAllowGet), PolicyUse::kIdentity);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->get(), b->get());
  auto bad = cache.Get("{", PolicyUse::kIdentity);
  EXPECT_EQ(bad.status().code(), ErrorCode::kMalformedPolicyDocument);
}

}  // namespace
}  // namespace arcana::auth::policy
