// The server's periodic background work, registered as leased jobs (jobs/scheduler.h) so
// that with several nodes on one store each due run happens on one node only:
//   secretsmanager.purge   every 60 s  secrets whose recovery window ended are deleted
//   kms.maintenance        every 60 s  keys whose deletion window ended are purged; due
//                                      automatic rotations are performed
//   ssm.expiry             every 10 s  parameters whose Expiration policy passed are deleted
//   changes.trim           every hour  change-log rows older than 7 days are dropped (the
//                                      newest always stays: storage/change_log.h)
//   sts.sessions           every hour  STS sessions expired for a day are deleted (they are
//                                      refused from their expiry on; this only reclaims rows)
//   audit.index-trim       every hour  (a store with an audit index) records older than 90
//                                      days leave the index
//   events.deliveries, events.trim     the event bus's jobs (app/events_setup.h)
// Every deletion or rotation a job performs is recorded in the audit trail as an
// AwsServiceEvent (DeleteSecret, DeleteKey, RotateKey, DeleteParameter) naming the resource
// and the store changes its write committed (audit/change_claims.h); changes a job committed
// without a report of their own are recorded too (jobs::Scheduler::OnUnclaimedChanges).
// Each handler is idempotent and works from the store's state, so a run repeated after a
// lost lease, or racing a restore on another node, is harmless: the deletes carry the
// revision they read, and a conflicting write wins.
#pragma once

#include <chrono>

#include "audit/audit_trail.h"
#include "events/event_bus.h"
#include "jobs/scheduler.h"
#include "rotation/rotation_runner.h"
#include "services/kms/kms_service.h"
#include "services/secretsmanager/secrets_manager.h"
#include "services/ssm/ssm_service.h"
#include "storage/audit_index_store.h"
#include "storage/change_log.h"
#include "storage/identity_store.h"

namespace arcana::app {

inline constexpr std::chrono::hours kChangeRetention{7 * 24};

void RegisterBackgroundJobs(jobs::Scheduler& scheduler,
                            services::sm::SecretsManagerService& secrets_manager,
                            services::kms::KmsService& kms, services::ssm::SsmService& ssm,
                            storage::ChangeLog& changes, audit::AuditTrail& audit);
// audit.index-trim, every hour: records older than the index's retention (90 days) leave the
// store's index (storage/audit_index_store.h); the nodes' record files keep them.
void RegisterAuditIndexJobs(jobs::Scheduler& scheduler, storage::AuditIndexStore& index);
void RegisterIdentityJobs(jobs::Scheduler& scheduler, storage::IdentityStore& identities);
// The rotation engine's records (RotationStarted, RotationSucceeded, RotationFailed,
// RotationAbandoned) as AwsServiceEvents of secretsmanager.amazonaws.com naming the secret.
// Rotation engine reports: an AwsServiceEvent audit record each, and the outcome of a run
// (succeeded, or a failed attempt) on the event bus when there is one.
rotation::RotationReporter RotationReporterFor(audit::AuditTrail& audit, events::EventBus* bus);

}  // namespace arcana::app
