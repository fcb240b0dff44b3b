#include "audit/syslog_sink.h"

#include <syslog.h>

#include <memory>
#include <string>

namespace arcana::audit {

Result<std::unique_ptr<AuditSink>> SyslogSink::Open(const std::string& facility) {
  static const std::pair<const char*, int> kFacilities[] = {
      {"authpriv", LOG_AUTHPRIV}, {"auth", LOG_AUTH},     {"daemon", LOG_DAEMON},
      {"local0", LOG_LOCAL0},     {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
      {"local3", LOG_LOCAL3},     {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
      {"local6", LOG_LOCAL6},     {"local7", LOG_LOCAL7},
  };
  for (const auto& [n, f] : kFacilities) {
    if (facility == n) {
      ::openlog("arcanad-audit", LOG_NDELAY | LOG_PID, f);
      return std::unique_ptr<AuditSink>(new SyslogSink(f));
    }
  }
  return Status(ErrorCode::kInvalidParameter, "unknown syslog facility: " + facility);
}

SyslogSink::~SyslogSink() { ::closelog(); }

Status SyslogSink::Write(std::string_view record_json) {
  std::string msg(record_json);
  ::syslog(facility_ | LOG_INFO, "%s", msg.c_str());
  return Status::Ok();
}

}  // namespace arcana::audit
