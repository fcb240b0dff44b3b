// Where audit records go. Every sink receives each record as one serialised JSON object
// (audit/audit_event.h). A sink is fail-closed or fail-open (per sink, configurable):
//   fail-closed  Write returns only once the record is durable there (on disk and fsync'd,
//                accepted by the HTTP endpoint, ...), or kServiceUnavailable: the caller
//                then refuses the API call (audit/audit_trail.h).
//   fail-open    Write queues the record and returns OK; delivery failures are logged.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace arcana::audit {
struct AuditEvent;
}

namespace arcana::audit {

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual std::string_view name() const = 0;  // "file", "syslog", "http": for logs
  virtual bool fail_closed() const = 0;
  // Whether this sink has any use for `event` (default: every record). Asked before the
  // record is handed over, so a sink that would discard most records (the event bus of an
  // account with no rules) costs the call no copy, queueing or parsing. Must be cheap.
  virtual bool Wants(const AuditEvent& event) { return true; }
  // See the file comment. Errors: kServiceUnavailable (fail-closed only).
  virtual Status Write(std::string_view record_json) = 0;
  // Write without holding the caller: `done` runs exactly once with what Write would have
  // returned, on any thread (a group-commit sink: its writer thread, once the batch is
  // durable). It must be quick and must not throw. The default calls Write.
  virtual void WriteAsync(std::string_view record_json, std::function<void(Status)> done) {
    done(Write(record_json));
  }
  // false while the sink knows it cannot make records durable (its last attempt failed a
  // moment ago): the pipeline refuses calls before doing their work. It turns true again
  // after a short back-off so that the next record probes the sink.
  virtual bool Healthy() const = 0;
  // Final delivery and, for the file sink, the closing digest. Idempotent.
  virtual void Close() = 0;
};

}  // namespace arcana::audit
