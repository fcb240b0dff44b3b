#include "audit/http_sink.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "cli/operator_client.h"

namespace arcana::audit {
namespace {
constexpr size_t kMaxPending = 1 << 16;
}

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

bool HttpSink::Healthy() const { return HealthyNow(std::chrono::milliseconds(1000)); }

void HttpSink::Close() { StopWriter(); }

Status HttpSink::CommitBatch(std::vector<std::string>& batch) {
  // The endpoint: scheme://host[:port] and the path after it.
  std::string rest = url_.substr(url_.find("://") + 3);
  auto slash = rest.find('/');
  std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  std::string base = url_.substr(0, url_.find("://") + 3) +
                     (slash == std::string::npos ? rest : rest.substr(0, slash));
  auto ep = cli::ParseEndpoint(base);
  if (!ep.ok()) return Status(ErrorCode::kServiceUnavailable, ep.status().message());
  std::string body = "[";
  for (size_t i = 0; i < batch.size(); ++i) {
    if (i > 0) body += ',';
    body += batch[i];
  }
  body += ']';
  std::string last_error;
  auto backoff = std::chrono::milliseconds(100);
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(backoff);
      backoff *= 4;
    }
    auto reply = cli::OperatorCall(*ep, "POST", path, body, nullptr);
    if (reply.ok() && reply->status >= 200 && reply->status < 300) return Status::Ok();
    last_error = reply.ok() ? "HTTP " + std::to_string(reply->status) : reply.status().message();
  }
  spdlog::error("audit: the HTTP sink lost {} record(s): {}", batch.size(), last_error);
  return Status(ErrorCode::kServiceUnavailable,
                "The audit endpoint did not accept this call's record (" + last_error +
                    "), so it was refused.");
}

}  // namespace arcana::audit
