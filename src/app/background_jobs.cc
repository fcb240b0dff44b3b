#include "app/background_jobs.h"

#include "app/audit_setup.h"

#include <spdlog/spdlog.h>

#include <string_view>

#include "audit/change_claims.h"
#include "audit/touched_resources.h"
#include "common/clock.h"
#include "events/detections.h"

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
      audit::ClaimThreadChanges(e);  // the action's write committed just before this report
      Status st = audit.Record(e);
      if (!st.ok()) spdlog::error("audit: {} of {} not recorded: {}", a.event_name, a.arn, st.message());
    };
  };
  // A job's writes no report claimed (e.g. a rotation postponed, a KMS key's deletion
  // scheduled once its last replica went) are recorded too: every change has its record.
  scheduler.OnUnclaimedChanges([&audit](const std::string& job, storage::CommittedChanges c) {
    RecordUnclaimedChanges(audit, job, c);
  });
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

rotation::RotationReporter RotationReporterFor(audit::AuditTrail& audit, events::EventBus* bus) {
  return [&audit, bus](const rotation::RotationReport& r) {
    const int64_t now_ms = SystemClock::Instance().NowMs();
    audit::AuditEvent e = audit::ServiceEvent("secretsmanager.amazonaws.com", r.event, r.account,
                                              r.region, now_ms);
    e.resources.push_back(audit::Resource{audit::kSecretType, r.secret_arn, r.account});
    audit::ClaimThreadChanges(e);
    Status st = audit.Record(e);
    if (!st.ok()) spdlog::error("audit: {} of {} not recorded: {}", r.event, r.secret_arn, st.message());
    // A rotation's outcome is also an event ("Secret Rotation Succeeded" / "... Failed").
    const bool succeeded = std::string_view(r.event) == "RotationSucceeded";
    if (bus == nullptr || (!succeeded && std::string_view(r.event) != "RotationFailed")) return;
    std::string step, reason = r.failure;
    if (auto colon = r.failure.find(": "); colon != std::string::npos) {
      step = r.failure.substr(0, colon);
      reason = r.failure.substr(colon + 2);
    }
    bus->Publish(events::RotationOutcomeEvent(r.account, r.region, r.secret_arn, r.version_id,
                                              succeeded, step, reason, now_ms));
  };
}

void RegisterAuditIndexJobs(jobs::Scheduler& scheduler, storage::AuditIndexStore& index) {
  scheduler.Every("audit.index-trim", 1h, [&index](jobs::JobRun& run) -> Status {
    const int64_t before = run.now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(
                                            storage::AuditIndexStore::kRetention).count();
    // In chunks, so that no one transaction holds a day of records.
    for (int rounds = 0; rounds < 1000; ++rounds) {
      ARCANA_ASSIGN_OR_RETURN(const bool more, index.TrimAuditRecords(before, 10000));
      if (!more) break;
    }
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
