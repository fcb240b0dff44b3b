#include "app/background_jobs.h"

#include <spdlog/spdlog.h>

#include "audit/touched_resources.h"
#include "common/clock.h"

namespace arcana::app {

using namespace std::chrono_literals;

void RegisterBackgroundJobs(jobs::Scheduler& scheduler,
                            services::sm::SecretsManagerService& secrets_manager,
                            services::kms::KmsService& kms, services::ssm::SsmService& ssm,
                            storage::ChangeLog& changes, audit::AuditTrail& audit) {
  // The record of what a job did (after it committed: there is no caller to refuse).
  auto reporter = [&audit](const char* source, int64_t now_ms) {
    return [&audit, source, now_ms](const services::ServiceAction& a) {
      audit::AuditEvent e = audit::ServiceEvent(source, a.event_name, a.account, a.region, now_ms);
      e.resources.push_back(audit::Resource{a.resource_type, a.arn, a.account});
      Status st = audit.Record(e);
      if (!st.ok()) spdlog::error("audit: {} of {} not recorded: {}", a.event_name, a.arn, st.message());
    };
  };
  scheduler.Every("secretsmanager.purge", 60s, [&secrets_manager, reporter](jobs::JobRun& run) {
    return secrets_manager.PurgeExpired(run.now_ms, 10000,
                                        reporter("secretsmanager.amazonaws.com", run.now_ms));
  });
  scheduler.Every("kms.maintenance", 60s, [&kms, reporter](jobs::JobRun& run) {  // KMS
    return kms.Maintain(run.now_ms, reporter("kms.amazonaws.com", run.now_ms));
  });
  scheduler.Every("ssm.expiry", 10s, [&ssm, reporter](jobs::JobRun& run) {  // SSM
    return ssm.PurgeExpired(run.now_ms, 10000, reporter("ssm.amazonaws.com", run.now_ms));
  });
  scheduler.Every("changes.trim", 1h, [&changes](jobs::JobRun& run) -> Status {
    const int64_t before =
        run.now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(kChangeRetention).count();
    auto trimmed = changes.TrimChanges(before);
    if (!trimmed.ok()) return trimmed.status();
    if (*trimmed > 0) spdlog::info("change log: {} change(s) older than 7 days trimmed", *trimmed);
    return Status::Ok();
  });
}

rotation::RotationReporter RotationAuditReporter(audit::AuditTrail& audit) {
  return [&audit](const char* event, const std::string& arn, const std::string& account,
                  const std::string& region) {
    audit::AuditEvent e = audit::ServiceEvent("secretsmanager.amazonaws.com", event, account,
                                              region, SystemClock::Instance().NowMs());
    e.resources.push_back(audit::Resource{audit::kSecretType, arn, account});
    Status st = audit.Record(e);
    if (!st.ok()) spdlog::error("audit: {} of {} not recorded: {}", event, arn, st.message());
  };
}

void RegisterIdentityJobs(jobs::Scheduler& scheduler, storage::IdentityStore& identities) {
  scheduler.Every("sts.sessions", 1h, [&identities](jobs::JobRun& run) -> Status {
    constexpr int64_t kGraceMs = 24 * 3600 * 1000;  // expired sessions answer ExpiredToken a day
    auto deleted = identities.DeleteExpiredSessions(run.now_ms - kGraceMs, 1000);
    return deleted.status();
  });
}

}  // namespace arcana::app
