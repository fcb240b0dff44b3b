// The pipeline's audit stage: one structured record per API call. Records name the
// caller, the operation and the resource, never a secret value (the record is built
// from metadata only; request bodies are never copied into it). The audit issue will
// add a tamper-evident store and queries behind the same AuditSink interface.
#pragma once

#include <cstdint>
#include <string>

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

// Writes each record as one JSON line to the "audit" log (stderr by default).
class LogAuditSink : public AuditSink {
 public:
  void Write(const AuditRecord& record) override;
};

}  // namespace arcana::audit
