// The pipeline's audit stage: one structured record per API call. Records name the
// caller, the operation and the resource, never a secret value (the record is built
// from metadata only; request bodies are never copied into it). The audit issue will
// add a tamper-evident store and queries behind the same AuditSink interface.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <spdlog/logger.h>

namespace arcana::audit {

struct AuditRecord {
  int64_t time_ms = 0;
  std::string request_id;
  std::string source_ip;
  std::string principal_arn;
  std::string access_key_id;
  std::string account;
  std::string region;
  std::string operation;  // "secretsmanager.GetSecretValue"
  std::string resource;   // SecretId / Name / KeyId as given, if any
  std::string error_code;  // empty on success
  int http_status = 200;
  int64_t latency_us = 0;
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual void Write(const AuditRecord& record) = 0;
};

// Writes each record as one JSON line to <data-dir>/audit.log (mode 0600), independent of
// the server's log level. Lines are buffered and flushed every second (and at exit), so the
// hot path pays for no write syscall per call; a crash can lose the last second of lines.
// The audit issue replaces this with a tamper-evident, durable store behind AuditSink.
class FileAuditSink : public AuditSink {
 public:
  explicit FileAuditSink(const std::string& path);
  ~FileAuditSink() override;
  void Write(const AuditRecord& record) override;

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace arcana::audit
