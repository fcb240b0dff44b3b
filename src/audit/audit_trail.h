// The audit trail of one arcanad: every sink a record goes to (file, syslog, ...), and the
// one place that decides whether a call may be answered. A record goes to every sink; if a
// fail-closed sink cannot make it durable, Record fails and the caller refuses the call
// (the pipeline answers ServiceUnavailable; audit/audit_sink.h).
// Thread-safety: AddSink before use; then every method from any thread.
#pragma once

#include <functional>
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
  // Record without holding the caller: `done` runs exactly once with what Record would have
  // returned, once every fail-closed sink has the record durable (on the thread of the last
  // one to finish: usually the file sink's writer), or at once when none is fail-closed.
  // It must be quick and must not throw.
  void RecordAsync(const AuditEvent& event, std::function<void(Status)> done);
  // Whether every fail-closed sink can take records now (audit_sink.h: Healthy).
  bool Healthy() const;
  // Final delivery and digests; idempotent.
  void Close();

 private:
  std::vector<std::unique_ptr<AuditSink>> sinks_;
};

}  // namespace arcana::audit
