#include "audit/audit_log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "common/json.h"

namespace arcana::audit {

FileAuditSink::FileAuditSink(const std::string& path) {
  auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path);
  ::chmod(path.c_str(), 0600);
  logger_ = std::make_shared<spdlog::logger>("audit", std::move(sink));
  logger_->set_pattern("%v");
  logger_->set_level(spdlog::level::info);
  logger_->flush_on(spdlog::level::err);
  spdlog::flush_every(std::chrono::seconds(1));  // flushes every registered logger
  spdlog::register_logger(logger_);
}

FileAuditSink::~FileAuditSink() {
  logger_->flush();
  spdlog::drop("audit");
}

void FileAuditSink::Write(const AuditRecord& r) {
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
  logger_->info("{}", std::string_view(buf.GetString(), buf.GetSize()));
}

}  // namespace arcana::audit
