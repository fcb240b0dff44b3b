// The audit record of one API call (audit/audit_event.h) from what the pipeline knows about
// it: the request (source address, user agent), the caller (CallContext: the Principal when
// the authenticate stage resolved one, else its ARN/account/access key), the model-validated
// input and the handler's output, both through the redaction allow-list (audit/redaction.h),
// the outcome, and the resources the handler reported (CallContext::Touch).
// Response elements are recorded for successful mutating calls only (as CloudTrail does:
// reads answer null), which also keeps the hot read path from re-parsing its answer.
// Thread-safety: pure function.
#pragma once

#include "audit/audit_event.h"
#include "net/api_call.h"
#include "net/http_types.h"

namespace arcana::net {

audit::AuditEvent ApiCallEvent(const HttpRequest& req, const ApiCall& call);
// The record of a request the pipeline refused before any stage ran (throttled, too large,
// unreadable, a POST naming no operation): eventSource/eventName as far as `call` resolved
// them (else "unknown"/"Unknown"), the access key and region the request claims (as for any
// call whose authentication never ran; req null: none known), the error as the wire spelled
// it, no parameters.
audit::AuditEvent RefusedRequestEvent(const HttpRequest* req, const ApiCall& call,
                                      const std::string& request_id, std::string error_code,
                                      std::string message, int64_t now_ms);
// userIdentity of a caller; "Unknown" with whatever is known when authentication failed.
audit::UserIdentity IdentityOf(const services::CallContext& ctx);

}  // namespace arcana::net
