// The policy engine on the hot path (Google Benchmark): what one authorization decision
// costs, with the policies already compiled (PolicyCache), as a GetSecretValue sees it.
//   cmake --build build --target policy_bench && build/policy_bench
#include <benchmark/benchmark.h>

#include "auth/authorizer.h"
#include "auth/policy/evaluator.h"
#include "auth/policy/policy_cache.h"

namespace {

using namespace arcana;
using namespace arcana::auth;

const char* kSecretArn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:team-a/db-AbCdEf";

// A realistic ABAC identity policy: a few statements, tag conditions with a variable.
const char* kIdentityPolicy = R"({"Version":"2012-10-17","Statement":[
 {"Sid":"ReadOwnTeam","Effect":"Allow","Action":["secretsmanager:GetSecretValue","secretsmanager:DescribeSecret"],
  "Resource":"arn:aws:secretsmanager:*:111122223333:secret:*",
  "Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}},
 {"Sid":"CreateOwnTeam","Effect":"Allow","Action":"secretsmanager:CreateSecret","Resource":"*",
  "Condition":{"StringEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/team}"},
               "ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}},
 {"Sid":"NoDeletes","Effect":"Deny","Action":"secretsmanager:DeleteSecret","Resource":"*"},
 {"Sid":"OnlyTls","Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"},"NotIpAddress":{"aws:SourceIp":["127.0.0.0/8","10.0.0.0/8"]}}}
]})";

std::shared_ptr<const Principal> MakeRole() {
  auto p = std::make_shared<Principal>();
  p->type = Principal::Type::kAssumedRole;
  p->account = "111122223333";
  p->arn = "arn:aws:sts::111122223333:assumed-role/app/s1";
  p->principal_arn = "arn:aws:iam::111122223333:role/app";
  p->user_id = "AROAEXAMPLE:s1";
  p->tags = {{"team", "a"}};
  p->identity_policies = {{kIdentityPolicy, "arn:aws:iam::111122223333:policy/abac",
                           PolicySource::Kind::kIdentity}};
  return p;
}

// The whole authorizer (context keys, cache lookups, evaluation) for one GetSecretValue.
void BM_AuthorizeGetSecretValue(benchmark::State& state) {
  PolicyAuthorizer authz;
  services::CallContext ctx;
  ctx.account = "111122223333";
  ctx.region = "us-east-1";
  ctx.now_ms = 1796000000000;
  ctx.source_ip = "10.1.2.3";
  ctx.principal = MakeRole();
  std::map<std::string, std::string> tags{{"team", "a"}, {"env", "prod"}};
  std::string resource_policy = R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"secretsmanager:*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}}]})";
  for (auto _ : state) {
    AccessRequest req;
    req.action = "secretsmanager:GetSecretValue";
    req.resource_arn = kSecretArn;
    req.resource_tags = &tags;
    req.service_tag_prefix = "secretsmanager";
    req.resource_policy = &resource_policy;
    req.keys.Set("secretsmanager:SecretId", "team-a/db");
    auto d = authz.Decide(ctx, req);
    if (!d.allowed()) state.SkipWithError("denied");
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_AuthorizeGetSecretValue);

// Dev mode / the account root: no identity policies to evaluate.
void BM_AuthorizeRoot(benchmark::State& state) {
  PolicyAuthorizer authz;
  services::CallContext ctx;
  ctx.account = "111122223333";
  ctx.region = "us-east-1";
  ctx.principal_arn = "arn:aws:iam::111122223333:root";
  for (auto _ : state) {
    AccessRequest req;
    req.action = "secretsmanager:GetSecretValue";
    req.resource_arn = kSecretArn;
    auto d = authz.Decide(ctx, req);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_AuthorizeRoot);

// Parsing and compiling the policy (what the cache saves on every call).
void BM_ParsePolicy(benchmark::State& state) {
  for (auto _ : state) {
    auto p = policy::ParsePolicy(kIdentityPolicy, policy::PolicyUse::kIdentity);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_ParsePolicy);

}  // namespace

BENCHMARK_MAIN();
