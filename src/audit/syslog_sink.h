// A syslog(3) sink: each record as one message (ident "arcanad-audit", facility AUTHPRIV by
// default). syslog(3) reports no delivery errors, so this sink is always fail-open: keep
// the file sink (fail-closed) beside it when records must not be lost.
// Thread-safety: syslog(3) is thread-safe.
#pragma once

#include <memory>
#include <string>

#include "audit/audit_sink.h"

namespace arcana::audit {

class SyslogSink final : public AuditSink {
 public:
  // facility: "authpriv", "auth", "daemon", "local0".."local7". Errors: kInvalidParameter.
  static Result<std::unique_ptr<AuditSink>> Open(const std::string& facility);
  ~SyslogSink() override;
  std::string_view name() const override { return "syslog"; }
  bool fail_closed() const override { return false; }
  Status Write(std::string_view record_json) override;
  bool Healthy() const override { return true; }
  void Close() override {}

 private:
  explicit SyslogSink(int facility) : facility_(facility) {}
  int facility_;
};

}  // namespace arcana::audit
