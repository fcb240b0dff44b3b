// IAM service-linked roles: CreateServiceLinkedRole, DeleteServiceLinkedRole and
// GetServiceLinkedRoleDeletionStatus, and the protection AWS gives such roles (only the service
// may change them: IamService::Call refuses the role-changing calls with UnmodifiableEntity).
// Infrastructure code creates them before it uses a service (Terraform's
// aws_iam_service_linked_role, CloudFormation's AWS::IAM::ServiceLinkedRole, CDK), so their
// names and shapes must be AWS's: a role named by the service (AWSServiceRoleForAutoScaling,
// not derived from the service name by a rule), under the path /aws-service-role/SERVICE/,
// trusting that service principal.
//
// Names are those AWS recorded for LocalStack's AWS-validated TestIAMServiceRoles (read from the
// table LocalStack keeps to pass it) and those seen in AWS's answers quoted by users; a service
// not in the table gets "AWSServiceRoleFor" + its first label capitalised. On AWS each role has
// the service's AWS managed policy attached; Arcana's catalog of AWS managed policies does not
// hold those documents (no service runs here to use them), so the role has none.
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>

#include "crypto/random.h"
#include "services/common/write_retry.h"
#include "services/iam/iam_service.h"
#include "storage/identity_codec.h"

namespace arcana::services::iam {

using domain::iam::Identity;
using storage::EntityWrite;

namespace {

constexpr std::string_view kServiceSuffix = ".amazonaws.com";
constexpr std::string_view kSlrPathPrefix = "/aws-service-role/";
constexpr std::string_view kTaskPrefix = "task/aws-service-role/";
// A deletion task is kept as an entity of this kind named by its id's final UUID.
constexpr const char* kDeletionTaskKind = "slr-deletion-task";

struct LinkedRole {
  std::string_view service;  // without ".amazonaws.com"
  std::string_view role;
  bool custom_suffix = false;  // CustomSuffix allowed (recorded: autoscaling, connect, lexv2)
};

constexpr std::array<LinkedRole, 82> kLinkedRoles = {{
    {"accountdiscovery.ssm", "AWSServiceRoleForAmazonSSM_AccountDiscovery"},
    {"access-analyzer", "AWSServiceRoleForAccessAnalyzer"},
    {"acm", "AWSServiceRoleForCertificateManager"},
    // Made by EventBridge's CreateConnection (observed on AWS).
    {"apidestinations.events", "AWSServiceRoleForAmazonEventBridgeApiDestinations"},
    {"appmesh", "AWSServiceRoleForAppMesh"},
    {"autoscaling", "AWSServiceRoleForAutoScaling", true},
    {"autoscaling-plans", "AWSServiceRoleForAutoScalingPlans_EC2AutoScaling"},
    {"backup", "AWSServiceRoleForBackup"},
    {"batch", "AWSServiceRoleForBatch"},
    {"cassandra.application-autoscaling",
     "AWSServiceRoleForApplicationAutoScaling_CassandraTable"},
    {"cks.kms", "AWSServiceRoleForKeyManagementServiceCustomKeyStores"},
    {"cloudtrail", "AWSServiceRoleForCloudTrail"},
    {"codestar-notifications", "AWSServiceRoleForCodeStarNotifications"},
    {"config", "AWSServiceRoleForConfig"},
    {"connect", "AWSServiceRoleForAmazonConnect", true},
    {"dms", "AWSServiceRoleForDMSServerless"},
    {"dms-fleet-advisor", "AWSServiceRoleForDMSFleetAdvisor"},
    {"docdb-elastic", "AWSServiceRoleForDocDB-Elastic"},
    {"ec2-instance-connect", "AWSServiceRoleForEc2InstanceConnect"},
    {"ec2.application-autoscaling",
     "AWSServiceRoleForApplicationAutoScaling_EC2SpotFleetRequest"},
    {"ec2fleet", "AWSServiceRoleForEC2Fleet"},
    {"ecr", "AWSServiceRoleForECRTemplate"},
    {"ecs", "AWSServiceRoleForECS"},
    {"eks", "AWSServiceRoleForAmazonEKS"},
    {"eks-connector", "AWSServiceRoleForAmazonEKSConnector"},
    {"eks-fargate", "AWSServiceRoleForAmazonEKSForFargate"},
    {"eks-nodegroup", "AWSServiceRoleForAmazonEKSNodegroup"},
    {"elasticache", "AWSServiceRoleForElastiCache"},
    {"elasticbeanstalk", "AWSServiceRoleForElasticBeanstalk"},
    {"elasticfilesystem", "AWSServiceRoleForAmazonElasticFileSystem"},
    {"elasticloadbalancing", "AWSServiceRoleForElasticLoadBalancing"},
    {"email.cognito-idp", "AWSServiceRoleForAmazonCognitoIdpEmailService"},
    {"emr-containers", "AWSServiceRoleForAmazonEMRContainers"},
    {"emrwal", "AWSServiceRoleForEMRWAL"},
    {"es", "AWSServiceRoleForAmazonElasticsearchService"},
    {"fis", "AWSServiceRoleForFIS"},
    {"grafana", "AWSServiceRoleForAmazonGrafana"},
    {"guardduty", "AWSServiceRoleForAmazonGuardDuty"},
    {"imagebuilder", "AWSServiceRoleForImageBuilder"},
    {"iotmanagedintegrations", "AWSServiceRoleForIoTManagedIntegrations"},
    {"kafka", "AWSServiceRoleForKafka"},
    {"kafkaconnect", "AWSServiceRoleForKafkaConnect"},
    {"lakeformation", "AWSServiceRoleForLakeFormationDataAccess"},
    {"lex", "AWSServiceRoleForLexBots"},
    {"lexv2", "AWSServiceRoleForLexV2Bots", true},
    {"lightsail", "AWSServiceRoleForLightsail"},
    {"m2", "AWSServiceRoleForAWSM2"},
    {"memorydb", "AWSServiceRoleForMemoryDB"},
    {"mq", "AWSServiceRoleForAmazonMQ"},
    {"mrk.kms", "AWSServiceRoleForKeyManagementServiceMultiRegionKeys"},
    {"notifications", "AWSServiceRoleForAwsUserNotifications"},
    {"observability.aoss", "AWSServiceRoleForAmazonOpenSearchServerless"},
    {"opensearchservice", "AWSServiceRoleForAmazonOpenSearchService"},
    {"ops.apigateway", "AWSServiceRoleForAPIGateway"},
    {"ops.emr-serverless", "AWSServiceRoleForAmazonEMRServerless"},
    {"opsdatasync.ssm", "AWSServiceRoleForSystemsManagerOpsDataSync"},
    {"opsinsights.ssm", "AWSServiceRoleForAmazonSSM_OpsInsights"},
    {"organizations", "AWSServiceRoleForOrganizations"},
    {"pullthroughcache.ecr", "AWSServiceRoleForECRPullThroughCache"},
    {"ram", "AWSServiceRoleForResourceAccessManager"},
    {"rds", "AWSServiceRoleForRDS"},
    {"redshift", "AWSServiceRoleForRedshift"},
    {"replication.cassandra", "AWSServiceRoleForKeyspacesReplication"},
    {"replication.ecr", "AWSServiceRoleForECRReplication"},
    {"repository.sync.codeconnections", "AWSServiceRoleForGitSync"},
    {"resource-explorer-2", "AWSServiceRoleForResourceExplorer"},
    {"rolesanywhere", "AWSServiceRoleForRolesAnywhere"},
    {"s3-outposts", "AWSServiceRoleForS3OnOutposts"},
    {"securityhub", "AWSServiceRoleForSecurityHub"},
    {"servicequotas", "AWSServiceRoleForServiceQuotas"},
    {"ses", "AWSServiceRoleForAmazonSES"},
    {"shield", "AWSServiceRoleForAWSShield"},
    {"spot", "AWSServiceRoleForEC2Spot"},
    {"ssm", "AWSServiceRoleForAmazonSSM"},
    {"ssm-incidents", "AWSServiceRoleForIncidentManager"},
    {"ssm-quicksetup", "AWSServiceRoleForSSMQuickSetup"},
    {"sso", "AWSServiceRoleForSSO"},
    {"support", "AWSServiceRoleForSupport"},
    {"trustedadvisor", "AWSServiceRoleForTrustedAdvisor"},
    {"vpcorigin.cloudfront", "AWSServiceRoleForCloudFrontVPCOrigin"},
    {"waf", "AWSServiceRoleForWAFLogging"},
    {"wafv2", "AWSServiceRoleForWAFV2Logging"},
}};

// The role a service principal's linked role is: its name (with "_" + `suffix` when one is
// given), its path, and whether the service takes a CustomSuffix at all.
struct LinkedRoleNaming {
  std::string name;
  std::string path;
  bool suffix_allowed = false;
};

LinkedRoleNaming NamingOf(const std::string& principal, const std::string& suffix) {
  const std::string_view service = std::string_view(principal).substr(
      0, principal.ends_with(kServiceSuffix) ? principal.size() - kServiceSuffix.size()
                                             : principal.size());
  LinkedRoleNaming n;
  n.path = std::string(kSlrPathPrefix) + principal + "/";
  const auto known = std::find_if(kLinkedRoles.begin(), kLinkedRoles.end(),
                                  [&](const LinkedRole& r) { return r.service == service; });
  if (known != kLinkedRoles.end()) {
    n.name = std::string(known->role);
    n.suffix_allowed = known->custom_suffix;
  } else {
    std::string label(service.substr(0, service.find('.')));
    if (!label.empty()) {
      label[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(label[0])));
    }
    n.name = "AWSServiceRoleFor" + label;
  }
  if (!suffix.empty()) n.name += "_" + suffix;
  return n;
}

// {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":S},
// "Action":"sts:AssumeRole"}]}: the trust policy AWS writes (its GetRole answers, exported).
std::string TrustPolicyFor(const std::string& principal) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "Version", "2012-10-17");
  w.Key("Statement");
  w.StartArray();
  w.StartObject();
  json::KV(w, "Effect", "Allow");
  w.Key("Principal");
  w.StartObject();
  json::KV(w, "Service", principal);
  w.EndObject();
  json::KV(w, "Action", "sts:AssumeRole");
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return json::Finish(buf);
}

// The stored document of a deletion task: {"task": ID}.
std::string TaskDoc(const std::string& task) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "task", task);
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace

std::string ServiceLinkedRoleArn(const std::string& account, const std::string& principal,
                                 const std::string& suffix) {
  const LinkedRoleNaming n = NamingOf(principal, suffix);
  return domain::iam::IdentityArn(account, "role", n.path, n.name);
}

bool IsServiceLinkedRoleArn(std::string_view arn) {
  return arn.find(":role/aws-service-role/") != std::string_view::npos;
}

// AWS's refusals, as its answers are quoted by users: a name taken is InvalidInput (not
// EntityAlreadyExists) "Service role name X has been taken in this account, please try a
// different suffix."; a suffix the service does not take "Custom suffix is not allowed for S".
// A principal that is no AWS service's (not "*.amazonaws.com") is InvalidInput in our words:
// AWS's were not found.
Result<Identity> IamService::PutServiceLinkedRole(const CallContext& ctx,
                                                  const std::string& principal,
                                                  const std::string& suffix,
                                                  const std::string& description) {
  const LinkedRoleNaming n = NamingOf(principal, suffix);
  Identity r;
  r.account = ctx.account;
  r.kind = "role";
  r.name = n.name;
  r.path = n.path;
  r.id = domain::iam::NewUniqueId("AROA");
  r.created_ms = ctx.now_ms;
  r.trust_policy = TrustPolicyFor(principal);
  r.description = description;
  r.max_session_duration = 3600;
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    return WriteEntities(ctx, {{EntityWrite::Op::kPut, storage::ToEntity(r), QuotaOf("role")}},
                         "CreateServiceLinkedRole");
  }));
  return r;
}

Status IamService::EnsureServiceLinkedRole(const CallContext& ctx, const std::string& principal) {
  auto made = PutServiceLinkedRole(ctx, principal, "", "");
  if (made.ok() || made.status().code() == ErrorCode::kResourceExists) return Status::Ok();
  return made.status();
}

Result<std::string> IamService::CreateServiceLinkedRole(const In& in, const CallContext& ctx) {
  const std::string principal = *in.Str("AWSServiceName");
  if (!principal.ends_with(kServiceSuffix) || principal.size() == kServiceSuffix.size()) {
    return Status(ErrorCode::kInvalidParameter,
                  "AWSServiceName " + principal +
                      " is not the service principal of an AWS service (SERVICE.amazonaws.com).");
  }
  const auto suffix = in.Str("CustomSuffix");
  if (suffix && !NamingOf(principal, *suffix).suffix_allowed) {
    return Status(ErrorCode::kInvalidParameter, "Custom suffix is not allowed for " + principal);
  }
  // The suffix's own pattern and length are the validator's (customSuffixType); the role it
  // names must still be a role name (roleNameType: 64 at most), or no GetRole or
  // DeleteServiceLinkedRole could ever name it. Worded as AWS words a role name too long.
  if (const std::string role = NamingOf(principal, suffix.value_or("")).name; role.size() > 64) {
    return Status(ErrorCode::kValidation,
                  "1 validation error detected: Value '" + role +
                      "' at 'roleName' failed to satisfy constraint: Member must have length "
                      "less than or equal to 64");
  }
  auto made = PutServiceLinkedRole(ctx, principal, suffix.value_or(""),
                                   in.Str("Description").value_or(""));
  const Status st = made.status();
  if (st.code() == ErrorCode::kResourceExists) {
    return Status(ErrorCode::kInvalidParameter,
                  "Service role name " + NamingOf(principal, suffix.value_or("")).name +
                      " has been taken in this account, please try a different suffix.");
  }
  ARCANA_RETURN_IF_ERROR(st);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("Role");
  WriteRole(w, *made, View::kCreated);
  w.EndObject();
  return json::Finish(buf);
}

// The role is deleted at once (no service here holds resources that use it), in the same store
// write as its deletion task, whose id is AWS's form: task/aws-service-role/SERVICE/ROLE/UUID.
// A role that is not service-linked is NoSuchEntity (AWS's words were not found).
Result<std::string> IamService::DeleteServiceLinkedRole(const In& in, const CallContext& ctx) {
  const std::string name = *in.Str("RoleName");
  ARCANA_ASSIGN_OR_RETURN(Identity role, Load(ctx, "role", name));
  if (!role.path.starts_with(kSlrPathPrefix)) {
    return Status(ErrorCode::kResourceNotFound,
                  "There is no service-linked role with name " + name + ".");
  }
  const std::string uuid = crypto::NewUuidV4();
  const std::string task = "task" + role.path + role.name + "/" + uuid;
  storage::IamEntity row{ctx.account, kDeletionTaskKind, uuid, "", "/", TaskDoc(task),
                         ctx.now_ms, 0};
  ARCANA_RETURN_IF_ERROR(DeleteIdentity(ctx, "role", role.name, "DeleteServiceLinkedRole",
                                        {{EntityWrite::Op::kPut, row}}));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "DeletionTaskId", task);
  w.EndObject();
  return json::Finish(buf);
}

// A task of this account is SUCCEEDED (deletions complete before DeleteServiceLinkedRole
// answers, as AWS's do within seconds: the recorded test polls until SUCCEEDED). An id not of
// AWS's form is InvalidInput, one of no task here NoSuchEntity (AWS's words were not found).
Result<std::string> IamService::GetServiceLinkedRoleDeletionStatus(const In& in,
                                                                   const CallContext& ctx) {
  const std::string task = *in.Str("DeletionTaskId");
  const size_t slash = task.rfind('/');
  if (!task.starts_with(kTaskPrefix) || slash == std::string::npos || slash + 1 >= task.size()) {
    return Status(ErrorCode::kInvalidParameter, "Invalid deletion task id: " + task);
  }
  ARCANA_ASSIGN_OR_RETURN(auto row,
                          store_.GetEntity(ctx.account, kDeletionTaskKind, task.substr(slash + 1)));
  if (!row || row->doc != TaskDoc(task)) {
    return Status(ErrorCode::kResourceNotFound, "Deletion task " + task + " does not exist.");
  }
  return std::string("{\"Status\":\"SUCCEEDED\"}");
}

}  // namespace arcana::services::iam
