#include "audit/http_sink.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <thread>

#include "cli/operator_client.h"
#include "net/http_client.h"

namespace arcana::audit {
namespace {
constexpr size_t kMaxPending = 1 << 16;
// Every call of a batch (and every call queued behind it) waits for the endpoint: an endpoint
// that accepts connections but never answers must cost seconds, not the 120 s default of an
// operator exchange per attempt. One attempt gets kAttemptTimeout, the batch kBatchDeadline
// (attempts and backoff together); then its calls are refused (fail-closed) and Healthy()
// refuses the next ones for kRetryAfterFailure before the endpoint is tried again.
constexpr std::chrono::seconds kAttemptTimeout{5};
constexpr std::chrono::seconds kBatchDeadline{10};
// After a failed batch the endpoint is not tried for this long (Healthy() refuses calls
// before they run, and batches already queued fail at once): a probe can cost a whole
// deadline, so not every second.
constexpr std::chrono::seconds kRetryAfterFailure{5};
}  // namespace

HttpSink::HttpSink(std::string url, bool fail_closed)
    : GroupCommitWriter(kMaxPending, std::chrono::milliseconds(1000)),
      url_(std::move(url)),
      fail_closed_(fail_closed) {}

Result<std::unique_ptr<AuditSink>> HttpSink::Open(const std::string& url, bool fail_closed) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return Status(ErrorCode::kInvalidParameter, "the audit HTTP URL must be http:// or https://");
  }
  ARCANA_RETURN_IF_ERROR(cli::ParseEndpoint(url).status());
  std::unique_ptr<HttpSink> s(new HttpSink(url, fail_closed));
  s->StartWriter();
  return std::unique_ptr<AuditSink>(std::move(s));
}

HttpSink::~HttpSink() { Close(); }

Status HttpSink::Write(std::string_view record_json) {
  return Submit(std::string(record_json), fail_closed_);
}

void HttpSink::WriteAsync(std::string_view record_json, std::function<void(Status)> done) {
  if (!fail_closed_) return done(Submit(std::string(record_json), false));
  SubmitAsync(std::string(record_json), std::move(done));
}

bool HttpSink::Healthy() const { return HealthyNow(kRetryAfterFailure); }

void HttpSink::Close() { StopWriter(); }

Status HttpSink::CommitBatch(std::vector<std::string>& batch) {
  if (fail_closed_ && std::chrono::steady_clock::now() < failing_until_) {
    return Status(ErrorCode::kServiceUnavailable,
                  "The audit endpoint did not accept the previous records, so this call was "
                  "refused.");
  }
  std::string body = "[";
  for (size_t i = 0; i < batch.size(); ++i) {
    if (i > 0) body += ',';
    body += batch[i];
  }
  body += ']';
  net::ClientRequest req;
  req.method = "POST";
  req.url = url_;
  req.body = std::move(body);
  req.content_type = "application/json";
  req.user_agent = "arcana-audit";
  if (const char* ca = std::getenv("ARCANA_CA_CERT"); ca != nullptr) req.ca_file = ca;
  std::string last_error;
  auto backoff = std::chrono::milliseconds(100);
  const auto deadline = std::chrono::steady_clock::now() + kBatchDeadline;
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(backoff);
      backoff *= 4;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= std::chrono::milliseconds(0)) {
      last_error += " (gave up after " + std::to_string(kBatchDeadline.count()) + " s)";
      break;
    }
    // The exchange's own deadline (connect, TLS, request, answer): a blocking read on a
    // socket has none.
    req.timeout = std::min<std::chrono::milliseconds>(kAttemptTimeout, left);
    auto reply = net::HttpExchange(req);
    if (reply.ok() && reply->status >= 200 && reply->status < 300) return Status::Ok();
    last_error = reply.ok() ? "HTTP " + std::to_string(reply->status) : reply.status().message();
  }
  spdlog::error("audit: the HTTP sink lost {} record(s): {}", batch.size(), last_error);
  failing_until_ = std::chrono::steady_clock::now() + kRetryAfterFailure;
  return Status(ErrorCode::kServiceUnavailable,
                "The audit endpoint did not accept this call's record (" + last_error +
                    "), so it was refused.");
}

}  // namespace arcana::audit
