#include "audit/audit_trail.h"

#include <memory>
#include <mutex>

#include <spdlog/spdlog.h>

namespace arcana::audit {

namespace {

// The record's JSON, built on first use: when no sink wants a record (the file sink off and
// no event rule in its account) the call pays nothing for it.
class LazyLine {
 public:
  explicit LazyLine(const AuditEvent& event) : event_(event) {}
  const std::string& Get() {
    if (!built_) {
      line_ = EventJson(event_);
      built_ = true;
    }
    return line_;
  }

 private:
  const AuditEvent& event_;
  std::string line_;
  bool built_ = false;
};

}  // namespace

Status AuditTrail::Record(const AuditEvent& event) {
  LazyLine line(event);
  Status result = Status::Ok();
  for (auto& sink : sinks_) {
    if (!sink->Wants(event)) continue;
    Status st = sink->Write(line.Get());
    if (st.ok()) continue;
    if (sink->fail_closed()) {
      if (result.ok()) result = Status(ErrorCode::kServiceUnavailable, st.message());
    } else {
      spdlog::warn("audit: the {} sink (fail-open) lost a record: {}", sink->name(), st.message());
    }
  }
  return result;
}

namespace {

// The outcome of one record across its fail-closed sinks: the first refusal wins, and the
// last sink to finish calls the caller back.
struct Outstanding {
  explicit Outstanding(size_t n, std::function<void(Status)> d) : left(n), done(std::move(d)) {}
  void Finish(Status st) {
    Status result;
    {
      std::lock_guard<std::mutex> l(mu);
      if (!st.ok() && first_error.ok()) {
        first_error = Status(ErrorCode::kServiceUnavailable, st.message());
      }
      if (--left > 0) return;
      result = first_error;
    }
    done(result);
  }
  std::mutex mu;
  size_t left;
  Status first_error;
  std::function<void(Status)> done;
};

}  // namespace

void AuditTrail::RecordAsync(const AuditEvent& event, std::function<void(Status)> done) {
  LazyLine line(event);
  // Fail-open sinks only queue: written here. The fail-closed ones answer through `done`.
  std::vector<AuditSink*> closed;
  for (auto& sink : sinks_) {
    if (!sink->Wants(event)) continue;
    if (sink->fail_closed()) {
      closed.push_back(sink.get());
      continue;
    }
    Status st = sink->Write(line.Get());
    if (!st.ok()) {
      spdlog::warn("audit: the {} sink (fail-open) lost a record: {}", sink->name(), st.message());
    }
  }
  if (closed.empty()) return done(Status::Ok());
  if (closed.size() == 1) {  // the usual case (the file sink): no shared state needed
    return closed[0]->WriteAsync(line.Get(), [done = std::move(done)](Status st) {
      done(st.ok() ? st : Status(ErrorCode::kServiceUnavailable, st.message()));
    });
  }
  auto outstanding = std::make_shared<Outstanding>(closed.size(), std::move(done));
  for (AuditSink* sink : closed) {
    sink->WriteAsync(line.Get(), [outstanding](Status st) { outstanding->Finish(std::move(st)); });
  }
}

bool AuditTrail::Healthy() const {
  for (const auto& sink : sinks_) {
    if (sink->fail_closed() && !sink->Healthy()) return false;
  }
  return true;
}

void AuditTrail::Close() {
  for (auto& sink : sinks_) sink->Close();
}

}  // namespace arcana::audit
