// Which services (and actions of them) a set of identity policies allows, as IAM's last
// accessed information (GenerateServiceLastAccessedDetails) and ListPoliciesGrantingServiceAccess
// decide it: "permissions policy logic" only. A service is allowed when an Allow statement's
// Action (or NotAction) can match one of its actions; Resource and Condition are not
// evaluated and Deny statements take nothing away, as AWS documents these reports ("the
// services that the resource could access using permissions policies", no other policy
// types). No I/O.
//
// The services Arcana serves are known with their actions (the operations of their embedded
// models): a wildcard ("*", "secrets*:Get*") or a NotAction names exactly those of them it can
// match. Any other service is known only by namespace, when a statement names it without a
// wildcard in the namespace ("s3:GetObject"): it is answered under its namespace, and a
// wildcard names none of them (AWS would list each of its hundreds of services).
// Thread-safety: immutable after the first call (a function-local static).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "auth/policy/policy.h"

namespace arcana::services::iam {

struct ServedService {
  std::string ns;                    // "secretsmanager"
  std::string name;                  // "AWS Secrets Manager", as access advisor names it
  std::vector<std::string> actions;  // "CreateSecret", ... (its model's operations), sorted
};

// Arcana's services, by namespace.
const std::vector<ServedService>& ServedServices();
// The served service of a namespace, nullptr for another.
const ServedService* FindServedService(std::string_view ns);
// The name a report gives a namespace: a served service's name, else the namespace.
std::string ServiceNameOf(std::string_view ns);

// Whether the policy allows some action of the namespace (`ns` in lower case).
bool AllowsService(const auth::policy::CompiledPolicy& policy, std::string_view ns);
// The actions of a served service the policies allow (in the service's order).
std::vector<std::string> AllowedActions(
    const std::vector<const auth::policy::CompiledPolicy*>& policies, const ServedService& s);
// The namespaces the policies allow: the served services they allow and the others their
// Allow statements name, in no particular order, each once.
std::vector<std::string> AllowedServices(
    const std::vector<const auth::policy::CompiledPolicy*>& policies);

}  // namespace arcana::services::iam
