// The users and roles policies name by ARN, looked up as IAM holds them. A role's trust policy
// (IamService::BindTrustPolicy) and a KMS key policy (KmsService::LookUpPrincipalsWith, wired
// by the server) may name only identities that exist, as AWS refuses a policy naming one that
// does not; both ask here, so that they agree on what "exists" means.
// Thread-safety: as the store's.
#pragma once

#include <optional>

#include "common/status.h"
#include "domain/iam/identity.h"
#include "domain/iam/trust_principals.h"
#include "storage/identity_store.h"

namespace arcana::services::iam {

// The user or role `p` names: nullopt when p.account holds no user or role of that name, or
// one under another path (its ARN is not p.arn: a path is part of the name AWS matches).
Result<std::optional<domain::iam::Identity>> FindNamedPrincipal(
    storage::IdentityStore& store, const domain::iam::NamedPrincipal& p);

}  // namespace arcana::services::iam
