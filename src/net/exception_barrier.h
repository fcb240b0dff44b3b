// The exception barrier: what the server does with an exception a stage or handler threw.
// Errors are values in this code base, but the standard library and allocators still throw
// (std::stoi, std::out_of_range, std::bad_alloc, ...). Such an exception must cost one
// request, never the process: the stage boundary catches it, answers AWS's generic
// InternalFailure and logs what was thrown.
// Thread-safety: stateless; call from any thread.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace arcana::net {

// The status a caught exception answers with: InternalFailure (HTTP 500) and AWS's generic
// message. The exception's text is never sent to the caller.
Status InternalFailureStatus();

// Logs the exception being handled (call only inside a catch block): where it was caught
// (`stage`, e.g. "secretsmanager.GetSecretValue"), the request id, and the exception's
// demangled type and what() (cut to a few hundred bytes). Never request values: no header,
// body or parameter is passed here.
void LogCaughtException(std::string_view stage, std::string_view request_id);

}  // namespace arcana::net
