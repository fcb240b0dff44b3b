#include "app/scheduled_backups.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>

#include "audit/audit_event.h"
#include "common/clock.h"
#include "common/dir_lock.h"
#include "common/json.h"
#include "storage/store_backup.h"

namespace arcana::app {

namespace {

constexpr int64_t kRetryMs = 10 * 60 * 1000;

void RecordBackup(audit::AuditTrail& audit, const config::Config& cfg, int64_t now_ms,
                  const std::string& file, const Result<storage::BackupReport>& made,
                  size_t deleted) {
  audit::AuditEvent e = audit::OperatorEvent("BackupStore", cfg.account_id, cfg.default_region, now_ms);
  rapidjson::StringBuffer details;
  json::Writer w(details);
  w.StartObject();
  w.Key("scheduled");
  w.Bool(true);
  json::KV(w, "backupFile", file);
  if (made.ok()) {
    w.Key("changeSequence");
    w.Int64(made->head);
    w.Key("deletedBackups");
    w.Uint64(deleted);
  }
  w.EndObject();
  e.service_event_details.assign(details.GetString(), details.GetSize());
  if (!made.ok()) {
    e.error_code = "BackupFailed";
    e.error_message = made.status().message();
  }
  if (Status st = audit.Record(e); !st.ok()) {
    spdlog::error("audit: BackupStore of {} not recorded: {}", file, st.message());
  }
}

}  // namespace

Status SetUpScheduledBackups(jobs::Scheduler& scheduler, storage::JobStore& jobs,
                             const config::Config& cfg, const std::string& sqlite_db,
                             audit::AuditTrail& audit) {
  if (cfg.backup_dir.empty()) {
    ARCANA_ASSIGN_OR_RETURN(auto left, jobs.GetJob(kBackupJob));
    return left ? jobs.CancelJob(kBackupJob) : Status::Ok();
  }
  std::error_code ec;
  std::filesystem::create_directories(cfg.backup_dir, ec);
  if (ec || !std::filesystem::is_directory(cfg.backup_dir, ec)) {
    return Status(ErrorCode::kInvalidParameter,
                  "--backup-dir " + cfg.backup_dir + " is not a directory that can be made");
  }
  // The backups hold every sealed value: the directory is the owner's, as the data dir.
  ::chmod(cfg.backup_dir.c_str(), 0700);
  // One store per directory: another node's pruning would delete this one's backups. The
  // data dir's (or store dir's) own lock is this process's already.
  const bool own_dir = std::filesystem::equivalent(cfg.backup_dir, cfg.data_dir, ec) ||
                       std::filesystem::equivalent(cfg.backup_dir,
                                                   std::filesystem::path(sqlite_db).parent_path(), ec);
  if (!own_dir && !LockDirForThisProcess(cfg.backup_dir)) {
    return Status(ErrorCode::kInvalidParameter,
                  "--backup-dir " + cfg.backup_dir +
                      " is in use by another arcanad (arcanad.lock): give each store its own");
  }
  const int64_t period_ms = int64_t{cfg.backup_every_seconds} * 1000;
  const int64_t now_ms = SystemClock::Instance().NowMs();
  ARCANA_ASSIGN_OR_RETURN(auto job, jobs.GetJob(kBackupJob));
  if (!job) {
    // The first backup right away: it also shows that the directory works.
    ARCANA_RETURN_IF_ERROR(jobs.ScheduleJob(kBackupJob, now_ms, "", false));
  } else if (job->due_ms > now_ms + period_ms) {
    ARCANA_RETURN_IF_ERROR(jobs.ScheduleJob(kBackupJob, now_ms + period_ms, "", true));
  }
  scheduler.Every(kBackupJob, std::chrono::milliseconds(period_ms),
                  [&cfg, &audit, sqlite_db, period_ms](jobs::JobRun& run) -> Status {
                    const std::string file =
                        cfg.backup_dir + "/" + storage::BackupFileName(run.now_ms);
                    auto made = storage::BackupSqliteStore(sqlite_db, file);
                    size_t deleted = 0;
                    if (made.ok()) {
                      auto pruned = storage::KeepNewestBackups(
                          cfg.backup_dir, static_cast<size_t>(cfg.backup_keep),
                          storage::BackupFileName(run.now_ms), run.now_ms);
                      if (pruned.ok()) {
                        deleted = *pruned;
                      } else {
                        spdlog::warn("backup: older backups not deleted: {}",
                                     pruned.status().message());
                      }
                      spdlog::info("backup: {} ({} bytes, changes up to {})", file, made->bytes,
                                   made->head);
                    } else {
                      spdlog::error("backup: {} failed: {}", file, made.status().message());
                      run.reschedule_at_ms = run.now_ms + std::min(period_ms, kRetryMs);
                    }
                    RecordBackup(audit, cfg, run.now_ms, file, made, deleted);
                    return Status::Ok();  // a failure is rescheduled above, not as an error
                  });
  return Status::Ok();
}

}  // namespace arcana::app
