#include "domain/iam/aws_managed_policies.h"

#include <algorithm>

namespace arcana::domain::iam {
namespace {

// One entry per policy, from its AWS Managed Policy Reference page (stored copy read
// 2026-12-05): the description, "Creation time", "Edited time" (the default version's
// creation), "Policy version" and the JSON policy document, statement for statement (only
// whitespace differs). The pages give times to the minute, so seconds are 00, except for
// AdministratorAccess, whose 18:39:46 is what AWS's GetPolicy answers (recorded answers).
// The PolicyIds are not on the reference pages: they are the ids AWS's ListPolicies answers
// (a list generated from it, WALLIX awless, awsspec/policy.go; AdministratorAccess's also in
// many recorded GetPolicy answers).
// Left out, for want of the exact current document: SecretsManagerReadWrite (the stored
// reference page shows v5 cut short, and a mirror of AWS's answers shows a v6 of 2026-08-25
// the reference does not yet have).
struct Entry {
  const char* name;
  const char* id;
  const char* description;
  int64_t created_ms;
  int64_t updated_ms;
  const char* version;
  const char* document;
};

constexpr Entry kEntries[] = {
    {"AWSKeyManagementServicePowerUser", "ANPAJNPP7PPPPMJRV2SA4",
     "Provides access to AWS Key Management Service (KMS).",
     1423248000000,  // 2015-02-06 18:40 UTC
     1488848100000,  // 2017-03-07 00:55 UTC
     "v2",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:CreateAlias",)"
     R"("kms:CreateKey","kms:DeleteAlias","kms:Describe*","kms:GenerateRandom","kms:Get*",)"
     R"("kms:List*","kms:TagResource","kms:UntagResource","iam:ListGroups","iam:ListRoles",)"
     R"("iam:ListUsers"],"Resource":"*"}]})"},
    {"AdministratorAccess", "ANPAIWMBCKSKIEE64ZLYK",
     "Provides full access to AWS services and resources.",
     1423247986000,  // 2015-02-06 18:39:46 UTC
     1423247986000, "v1",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})"},
    {"AmazonSSMReadOnlyAccess", "ANPAJODSKQGGJTHRYZ5FC", "Provides read only access to Amazon SSM.",
     1432921440000,  // 2015-05-29 17:44 UTC
     1432921440000, "v1",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:Describe*",)"
     R"("ssm:Get*","ssm:List*"],"Resource":"*"}]})"},
    {"IAMFullAccess", "ANPAI7XKCFMBPM3QQRRVQ",
     "Provides full access to IAM via the AWS Management Console.",
     1423248000000,  // 2015-02-06 18:40 UTC
     1561146000000,  // 2019-06-21 19:40 UTC
     "v2",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*",)"
     R"("organizations:DescribeAccount","organizations:DescribeOrganization",)"
     R"("organizations:DescribeOrganizationalUnit","organizations:DescribePolicy",)"
     R"("organizations:ListChildren","organizations:ListParents",)"
     R"("organizations:ListPoliciesForTarget","organizations:ListRoots",)"
     R"("organizations:ListPolicies","organizations:ListTargetsForPolicy"],"Resource":"*"}]})"},
    {"IAMReadOnlyAccess", "ANPAJKSO7NDY4T57MWDSQ",
     "Provides read only access to IAM via the AWS Management Console.",
     1423248000000,  // 2015-02-06 18:40 UTC
     1516907460000,  // 2018-01-25 19:11 UTC
     "v4",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[)"
     R"("iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails","iam:Get*",)"
     R"("iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],)"
     R"("Resource":"*"}]})"},
    {"PowerUserAccess", "ANPAJYRXTHIB4FOVS3ZXS",
     "Provides full access to AWS services and resources, but does not allow management of "
     "Users and groups.",
     1423247940000,  // 2015-02-06 18:39 UTC
     1770919140000,  // 2026-02-12 17:59 UTC
     "v12",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*",)"
     R"("organizations:*","account:*"],"Resource":"*"},{"Effect":"Allow","Action":[)"
     R"("account:GetAccountInformation","account:GetGovCloudAccountInformation",)"
     R"("account:GetPrimaryEmail","account:ListRegions","iam:CreateServiceLinkedRole",)"
     R"("iam:DeleteServiceLinkedRole","iam:ListRoles","organizations:DescribeEffectivePolicy",)"
     R"("organizations:DescribeOrganization"],"Resource":"*"}]})"},
};

constexpr std::string_view kPrefix = "arn:aws:iam::aws:policy/";

std::vector<ManagedPolicy> Build() {
  std::vector<ManagedPolicy> out;
  for (const Entry& e : kEntries) {
    ManagedPolicy p;
    p.account = "aws";
    p.name = e.name;
    p.path = "/";
    p.id = e.id;
    p.created_ms = e.created_ms;
    p.updated_ms = e.updated_ms;
    p.description = e.description;
    p.default_version = e.version;
    // Only the default version is held: its creation is the policy's last edit.
    p.versions.push_back({e.version, e.document, e.updated_ms});
    out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(),
            [](const ManagedPolicy& a, const ManagedPolicy& b) { return a.name < b.name; });
  return out;
}

}  // namespace

bool IsAwsManagedPolicyArn(const std::string& arn) {
  return std::string_view(arn).starts_with(kPrefix);
}

const std::vector<ManagedPolicy>& AwsManagedPolicies() {
  static const std::vector<ManagedPolicy> kAll = Build();
  return kAll;
}

const ManagedPolicy* FindAwsManagedPolicy(const std::string& arn) {
  if (!IsAwsManagedPolicyArn(arn)) return nullptr;
  for (const auto& p : AwsManagedPolicies()) {
    if (p.Arn() == arn) return &p;
  }
  return nullptr;
}

}  // namespace arcana::domain::iam
