#include "audit/audit_log.h"

#include <spdlog/spdlog.h>

#include "common/json.h"

namespace arcana::audit {

void LogAuditSink::Write(const AuditRecord& r) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("time");
  json::WriteTimestamp(w, r.time_ms);
  json::KV(w, "requestId", r.request_id);
  json::KV(w, "sourceIp", r.source_ip);
  json::KV(w, "principal", r.principal_arn);
  json::KV(w, "accessKeyId", r.access_key_id);
  json::KV(w, "account", r.account);
  json::KV(w, "region", r.region);
  json::KV(w, "operation", r.operation);
  if (!r.resource.empty()) json::KV(w, "resource", r.resource);
  if (!r.error_code.empty()) json::KV(w, "errorCode", r.error_code);
  w.Key("status");
  w.Int(r.http_status);
  w.Key("latencyUs");
  w.Int64(r.latency_us);
  w.EndObject();
  spdlog::info("audit {}", std::string_view(buf.GetString(), buf.GetSize()));
}

}  // namespace arcana::audit
