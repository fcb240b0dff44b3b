// An HTTP endpoint sink: records are POSTed as JSON arrays (Content-Type application/json),
// many per request (group commit, audit/group_commit.h), to an http:// or https:// URL
// (https verifies the server against the system CAs or ARCANA_CA_CERT). A batch is delivered
// when the endpoint answers 2xx; otherwise it is retried 3 more times (0.1 s, 0.4 s, 1.6 s
// apart). Fail-open (the default): Write queues and returns, a batch that still fails is
// logged and dropped. Fail-closed: Write returns once the endpoint accepted its batch, or
// kServiceUnavailable (the call is refused).
// Thread-safety: as AuditSink.
#pragma once

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
};

}  // namespace arcana::audit
