// Who may see a change on the change stream (auth/change_visibility.h): whether the caller may
// read the changed secret or parameter, decided by the service that owns it as a
// GetSecretValue / GetParameter by full ARN would be.
// Thread-safety: the check may run concurrently (the services' reads and the store are).
#pragma once

#include "auth/change_visibility.h"
#include "services/secretsmanager/secrets_manager.h"
#include "services/ssm/ssm_service.h"
#include "storage/secret_store.h"

namespace arcana::app {

// Secrets: SecretsManagerService::MayReadValue; for another account's secret, only while the
// secret is still there (see the .cc). Parameters: SsmService::MayReadValue. The arguments
// must outlive the check.
auth::ReadCheck ChangeReadCheck(services::sm::SecretsManagerService& secrets_manager,
                                services::ssm::SsmService& ssm, storage::SecretStore& secrets);

}  // namespace arcana::app
