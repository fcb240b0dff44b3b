#include "app/audit_setup.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "audit/chain.h"
#include "audit/change_claims.h"
#include "audit/file_trail.h"
#include "audit/http_sink.h"
#include "audit/syslog_sink.h"
#include "audit/unrecorded_changes.h"

namespace arcana::app {

std::string AuditNodeName(const config::Config& cfg, unsigned short port) {
  if (!cfg.audit_node.empty()) return cfg.audit_node;
  char host[256] = {0};
  if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof(host), "arcanad");
  std::string name = std::string(host).substr(0, 48) + "-" + std::to_string(port);
  for (char& c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) c = '_';
  }
  return name;
}

Status OpenAuditTrail(const config::Config& cfg, unsigned short port,
                      audit::DigestSigner& signer, audit::AuditTrail& trail,
                      audit::FileTrail** file_sink) {
  *file_sink = nullptr;
  if (cfg.audit_file != "off") {
    audit::FileTrailOptions fo;
    fo.dir = config::EffectiveAuditDir(cfg);
    fo.node = AuditNodeName(cfg, port);
    fo.max_file_bytes = static_cast<uint64_t>(cfg.audit_max_file_mb) << 20;
    fo.digest_interval = std::chrono::seconds(cfg.audit_digest_seconds);
    fo.fail_closed = cfg.audit_file == "fail-closed";
    fo.retention = std::chrono::hours(24) * cfg.audit_retention_days;
    ARCANA_ASSIGN_OR_RETURN(auto file, audit::FileTrail::Open(std::move(fo), &signer));
    *file_sink = file.get();
    trail.AddSink(std::move(file));
  }
  if (!cfg.audit_http_url.empty()) {
    ARCANA_ASSIGN_OR_RETURN(auto http, audit::HttpSink::Open(cfg.audit_http_url,
                                                             cfg.audit_http_mode == "fail-closed"));
    trail.AddSink(std::move(http));
  }
  if (!cfg.audit_syslog.empty()) {
    ARCANA_ASSIGN_OR_RETURN(auto sys, audit::SyslogSink::Open(cfg.audit_syslog));
    trail.AddSink(std::move(sys));
  }
  return Status::Ok();
}

void RecordUnclaimedChanges(audit::AuditTrail& trail, const std::string& by,
                            const storage::CommittedChanges& changes) {
  if (changes.empty()) return;
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  for (const auto& e : audit::UnclaimedChangeEvents(by, changes, now)) {
    Status st = trail.Record(e);
    if (!st.ok()) spdlog::error("audit: {} by {} not recorded: {}", e.event_name, by, st.message());
  }
}

void RecordChangesACrashLeft(audit::AuditTrail& trail, const config::Config& cfg,
                             unsigned short port, const audit::FileTrail& file,
                             storage::ChangeLog& changes, int64_t head_at_start) {
  if (!file.interrupted()) return;
  const std::string node = AuditNodeName(cfg, port);
  // A shared store's log must say which node made each change (PostgreSQL does): another
  // node's change is never this node's to claim (audit/unrecorded_changes.h).
  if (!changes.HeadIsLocal() && !changes.NamesNodes()) {
    spdlog::warn("audit: node {} did not close its audit files (a crash): this store's changes "
                 "do not name their node, so any it committed without a record stay unrecorded "
                 "(`arcana audit verify --all-nodes` names them)", node);
    return;
  }
  auto found = audit::FindUnrecordedChanges(config::EffectiveAuditDir(cfg), node, changes,
                                            head_at_start);
  if (!found.ok()) {
    spdlog::error("audit: cannot look for changes a crash left without a record: {}",
                  found.status().message());
    return;
  }
  if (found->cut) {
    spdlog::warn("audit: more than {} store changes after change {}: only those were looked at "
                 "for a record", audit::kUnrecordedMaxChanges, found->after);
  }
  if (found->changes.empty()) return;
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  for (const auto& e : audit::RecoveredChangeEvents(node, found->changes, found->after,
                                                    found->head, now)) {
    Status st = trail.Record(e);
    if (!st.ok()) spdlog::error("audit: RecoverUnrecordedChanges not recorded: {}", st.message());
  }
  spdlog::warn("audit: node {} did not close its audit files (a crash): {} store change(s) it "
               "committed without a record ({}..{}) are now claimed by RecoverUnrecordedChanges",
               node, found->changes.size(), found->changes.front().seq,
               found->changes.back().seq);
}

namespace {

audit::AuditEvent OperatorEvent(const config::Config& cfg, const std::string& op,
                                const net::HttpRequest& req) {
  std::string name = op == "unseal" ? "Unseal" : op == "seal" ? "Seal"
                   : op == "rotate-root" ? "RotateRoot" : "Unknown";
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  audit::AuditEvent e = audit::OperatorEvent(name, cfg.account_id, cfg.default_region, now);
  e.source_ip = req.remote_address;
  e.user_agent = std::string(req.Header("User-Agent"));
  return e;
}

}  // namespace

Status RecordOperatorAction(audit::AuditTrail& trail, const config::Config& cfg,
                            const std::string& op, const net::HttpRequest& req, int status) {
  audit::AuditEvent e = OperatorEvent(cfg, op, req);
  if (status >= 400) {
    e.error_code = "HTTP" + std::to_string(status);
    e.error_message = "the operator request was refused";
  }
  audit::ClaimThreadChanges(e);  // e.g. RotateRoot's rewrap (server_app.cc collects them)
  return trail.Record(e);
}

Status RecordOperatorStart(audit::AuditTrail& trail, const config::Config& cfg,
                           const std::string& op, const net::HttpRequest& req) {
  audit::AuditEvent e = OperatorEvent(cfg, op, req);
  e.service_event_details = R"({"phase":"started"})";
  return trail.Record(e);
}

}  // namespace arcana::app
