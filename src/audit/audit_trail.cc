#include "audit/audit_trail.h"

#include <spdlog/spdlog.h>

namespace arcana::audit {

Status AuditTrail::Record(const AuditEvent& event) {
  std::string line = EventJson(event);
  Status result = Status::Ok();
  for (auto& sink : sinks_) {
    Status st = sink->Write(line);
    if (st.ok()) continue;
    if (sink->fail_closed()) {
      if (result.ok()) result = Status(ErrorCode::kServiceUnavailable, st.message());
    } else {
      spdlog::warn("audit: the {} sink (fail-open) lost a record: {}", sink->name(), st.message());
    }
  }
  return result;
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
