// The audit trail of one arcanad: every sink a record goes to (file, syslog, ...), and the
// one place that decides whether a call may be answered. A record goes to every sink; if a
// fail-closed sink cannot make it durable, Record fails and the caller refuses the call
// (the pipeline answers ServiceUnavailable; audit/audit_sink.h).
// Thread-safety: AddSink before use; then every method from any thread.
#pragma once

#include <memory>
#include <vector>

#include "audit/audit_event.h"
#include "audit/audit_sink.h"

namespace arcana::audit {

class AuditTrail {
 public:
  void AddSink(std::unique_ptr<AuditSink> sink) { sinks_.push_back(std::move(sink)); }
  bool empty() const { return sinks_.empty(); }

  // Errors: kServiceUnavailable (a fail-closed sink refused the record).
  Status Record(const AuditEvent& event);
  // Whether every fail-closed sink can take records now (audit_sink.h: Healthy).
  bool Healthy() const;
  // Final delivery and digests; idempotent.
  void Close();

 private:
  std::vector<std::unique_ptr<AuditSink>> sinks_;
};

}  // namespace arcana::audit
