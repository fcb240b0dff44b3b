// Scheduled backups of a one-node SQLite store (arcanad --backup-dir DIR), for a team that
// wants them without a cron entry: a durable job ("store.backup", jobs/scheduler.h) writes a
// backup (storage/store_backup.h: a consistent snapshot while the node serves, 0600, whole or
// absent) into DIR every --backup-every-seconds, named by its UTC time
// (arcana-YYYYMMDDThhmmss.mmmZ.db), then deletes all but the --backup-keep newest such files
// (other files in DIR are left alone). One store per DIR: the node holds DIR's arcanad.lock,
// so a second node given the same DIR refuses to start. The first backup is made right after the option is
// first given; a shorter period takes effect at the next start. A failed backup is logged,
// recorded, and retried after min(period, 10 minutes).
//
// Every backup is recorded in the trail: eventSource arcana.operator, eventName BackupStore,
// identity ArcanaOperator, serviceEventDetails {"scheduled":true,"backupFile":...,
// "changeSequence":N,"deletedBackups":K} (errorCode BackupFailed and the reason when it
// failed). `arcana store restore --from FILE` puts one back. As every job, it runs while the
// node is unsealed (a Shamir node waits for its shares).
//
// Without --backup-dir the job is removed, so a node that stops backing up leaves no row
// behind. A PostgreSQL store is refused (server_app): PostgreSQL's tools back it up.
#pragma once

#include <string>

#include "audit/audit_trail.h"
#include "common/status.h"
#include "config/config.h"
#include "jobs/scheduler.h"
#include "storage/job_store.h"

namespace arcana::app {

inline constexpr const char* kBackupJob = "store.backup";

// Registers the job's handler (cfg.backup_dir set) and brings the job's row in line with
// cfg; removes the row otherwise. Call before scheduler.Start(). Errors: the store's, and
// kInvalidParameter when cfg.backup_dir cannot be made a directory.
Status SetUpScheduledBackups(jobs::Scheduler& scheduler, storage::JobStore& jobs,
                             const config::Config& cfg, const std::string& sqlite_db,
                             audit::AuditTrail& audit);

}  // namespace arcana::app
