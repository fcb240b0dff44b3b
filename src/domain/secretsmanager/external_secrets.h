// Managed external secrets (Secrets Manager user guide, "Managed external secrets"): a secret
// whose Type names a partner's credential (GitLabAccessToken, ...) is rotated by Secrets
// Manager itself, with no Lambda function. RotateSecret gives the partner's rotation metadata
// (ExternalSecretRotationMetadata, key/value pairs the partner defines) and the role the
// rotation runs as (ExternalSecretRotationRoleArn).
//
// Arcana rotates the partner types whose service a team can run on its own machines (the
// SaaS-only partners are out of reach on-prem and air-gapped); each type has a managed rotator
// (rotation/builtin_rotators.h) that does the partner's part of the four rotation steps.
//
// Contract:
//  - ExternalRotatorFor(type): the managed rotator's name for a type Arcana rotates, nullopt
//    for any other type (a partner type it does not rotate, a user's own Type, none).
//  - ExternalRotationTypes(): "GitLabAccessToken, JenkinsApiToken" (the types it rotates, for
//    messages).
//  - ValidateExternalMetadata(type, items), for a type ExternalRotatorFor knows; all failures
//    kInvalidParameter: each key once, only the type's keys (GitLabAccessToken: adminSecretArn,
//    daysToExpiry; JenkinsApiToken: adminSecretArn); adminSecretArn a Secrets Manager secret
//    ARN, daysToExpiry an integer 1-365 (the partner pages' ranges). The model bounds each key (1-256) and value (1-2048) before this.
//  - MetadataValue(items, key): the value of `key`, nullopt when absent.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "domain/secretsmanager/secret.h"

namespace arcana::domain::sm {

std::optional<std::string> ExternalRotatorFor(std::string_view type);
std::string ExternalRotationTypes();
Status ValidateExternalMetadata(std::string_view type, const std::vector<MetadataItem>& items);
std::optional<std::string> MetadataValue(const std::vector<MetadataItem>& items,
                                         std::string_view key);

}  // namespace arcana::domain::sm
