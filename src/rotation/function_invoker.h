// Invokes a registered rotation function (storage/function_store.h) for one step, as Lambda
// would invoke it:
//  - kind "url": POST of the event JSON (Content-Type application/json). The environment
//    (the registered variables and the runtime's: credentials, region, endpoint) travels in
//    one header, X-Arcana-Environment, a JSON object. Success: a 2xx answer.
//  - kind "exec": the executable runs with the event JSON on stdin, in its own process group,
//    with exactly that environment (plus PATH=/usr/local/bin:/usr/bin:/bin, HOME=/tmp). Success:
//    exit status 0.
// The step is killed (exec) or abandoned (url) at the function's timeout.
// Output (exec: stdout and stderr; url: the answer body) goes to the function's log,
// <log_dir>/<account>-<region>-<name>.log (0600, appended): at most kMaxOutputBytes per
// invocation, with every `redact` string (the credentials and any value Arcana sent)
// replaced by "***", so the log never holds them. Arcana itself never logs the output.
// Thread-safety: Invoke may run concurrently; lines of concurrent invocations of one function
// are written whole (one write per invocation).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "domain/rotation/function_spec.h"
#include "storage/function_store.h"

namespace arcana::rotation {

inline constexpr size_t kMaxOutputBytes = 64 * 1024;

struct Invocation {
  std::string event_json;
  domain::rotation::EnvVars runtime_env;  // added to (and overriding) the registered ones
  std::vector<std::string> redact;        // never written to the log
  std::string step;                       // for the log line
};

class FunctionInvoker {
 public:
  explicit FunctionInvoker(std::string log_dir) : log_dir_(std::move(log_dir)) {}
  // Ok when the function succeeded. kInternalFailure otherwise, with a message that says how
  // (HTTP status, exit status, signal, timeout, unreachable), never the output itself.
  Status Invoke(const storage::RotationFunction& f, const Invocation& call) const;

 private:
  Status InvokeUrl(const storage::RotationFunction& f, const domain::rotation::EnvVars& env,
                   const Invocation& call, std::string* output) const;
  Status InvokeExec(const storage::RotationFunction& f, const domain::rotation::EnvVars& env,
                    const Invocation& call, std::string* output) const;
  void AppendLog(const storage::RotationFunction& f, const Invocation& call,
                 const Status& outcome, std::string output) const;

  std::string log_dir_;
};

}  // namespace arcana::rotation
