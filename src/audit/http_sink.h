// An HTTP endpoint sink: records are POSTed as JSON arrays (Content-Type application/json),
// many per request (group commit, audit/group_commit.h), to an http:// or https:// URL
// (https verifies the server against the system CAs or ARCANA_CA_CERT; net/http_client.h). A batch is delivered
// when the endpoint answers 2xx; otherwise it is retried 3 more times (0.1 s, 0.4 s, 1.6 s
// apart), each attempt bounded to 5 s and the batch to 10 s in all (a silent endpoint then
// fails the batch instead of holding every call for minutes); fail-closed, for 5 s after a
// failed batch calls are refused before they run and batches already queued fail at once. Fail-open (the default): Write queues and returns, a batch that still fails is
// logged and dropped. Fail-closed: Write returns once the endpoint accepted its batch, or
// kServiceUnavailable (the call is refused).
// Thread-safety: as AuditSink.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "audit/audit_sink.h"
#include "audit/group_commit.h"

namespace arcana::audit {

class HttpSink final : public AuditSink, private GroupCommitWriter {
 public:
  // Errors: kInvalidParameter for a malformed URL.
  static Result<std::unique_ptr<AuditSink>> Open(const std::string& url, bool fail_closed);
  ~HttpSink() override;

  std::string_view name() const override { return "http"; }
  bool fail_closed() const override { return fail_closed_; }
  Status Write(std::string_view record_json) override;
  void WriteAsync(std::string_view record_json, std::function<void(Status)> done) override;
  bool Healthy() const override;
  void Close() override;

 private:
  HttpSink(std::string url, bool fail_closed);
  Status CommitBatch(std::vector<std::string>& batch) override;

  std::string url_;
  bool fail_closed_;
  // Writer thread, fail-closed: until then a batch fails at once (the endpoint just failed
  // one), so the calls queued behind a failed batch are refused too instead of waiting a
  // deadline each.
  std::chrono::steady_clock::time_point failing_until_{};
};

}  // namespace arcana::audit
