#include "app/background_jobs.h"

#include <spdlog/spdlog.h>

namespace arcana::app {

using namespace std::chrono_literals;

void RegisterBackgroundJobs(jobs::Scheduler& scheduler,
                            services::sm::SecretsManagerService& secrets_manager,
                            services::kms::KmsService& kms, services::ssm::SsmService& ssm,
                            storage::ChangeLog& changes) {
  scheduler.Every("secretsmanager.purge", 60s, [&secrets_manager](jobs::JobRun& run) {
    return secrets_manager.PurgeExpired(run.now_ms);
  });
  scheduler.Every("kms.maintenance", 60s,  // KMS
                  [&kms](jobs::JobRun& run) { return kms.Maintain(run.now_ms); });
  scheduler.Every("ssm.expiry", 10s,  // SSM
                  [&ssm](jobs::JobRun& run) { return ssm.PurgeExpired(run.now_ms); });
  scheduler.Every("changes.trim", 1h, [&changes](jobs::JobRun& run) -> Status {
    const int64_t before =
        run.now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(kChangeRetention).count();
    auto trimmed = changes.TrimChanges(before);
    if (!trimmed.ok()) return trimmed.status();
    if (*trimmed > 0) spdlog::info("change log: {} change(s) older than 7 days trimmed", *trimmed);
    return Status::Ok();
  });
}

void RegisterIdentityJobs(jobs::Scheduler& scheduler, storage::IdentityStore& identities) {
  scheduler.Every("sts.sessions", 1h, [&identities](jobs::JobRun& run) -> Status {
    constexpr int64_t kGraceMs = 24 * 3600 * 1000;  // expired sessions answer ExpiredToken a day
    auto deleted = identities.DeleteExpiredSessions(run.now_ms - kGraceMs, 1000);
    return deleted.status();
  });
}

}  // namespace arcana::app
