// Invokes a registered rotation function (storage/function_store.h) for one step, as Lambda
// would invoke it:
//  - kind "url": POST of the event JSON (Content-Type application/json). The environment
//    (the registered variables and the runtime's: credentials, region, endpoint) travels in
//    one header, X-Arcana-Environment, a JSON object. Success: a 2xx answer.
//  - kind "exec": the executable runs with the event JSON on stdin, in its own process group,
//    with exactly that environment (plus PATH=/usr/local/bin:/usr/bin:/bin, HOME=/tmp). Success:
//    exit status 0.
//  - kind "python": a function written for AWS Lambda's Python runtime (a folder and a
//    handler "module.function"), run unchanged by the configured interpreter
//    (/usr/bin/python3) through a small shim that calls handler(event, context); like exec
//    otherwise (an uncaught exception: exit status 1, its traceback in the log).
// The step is killed (exec) or abandoned (url) at the function's timeout.
// Output (exec: stdout and stderr; url: the answer body) goes to the function's log,
// <log_dir>/<account>-<region>-<name>.log (0600, appended): at most kMaxOutputBytes per
// invocation, with every `redact` string (the credentials and any value Arcana sent)
// replaced by "***", so the log never holds them. Arcana itself never logs the output.
// Past kMaxLogBytes the log is moved to NAME.log.1 (one older file is kept).
// Thread-safety: Invoke may run concurrently; lines of concurrent invocations of one function
// are written whole (one write per invocation).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/status.h"
#include "domain/rotation/function_spec.h"
#include "storage/function_store.h"

namespace arcana::rotation {

inline constexpr size_t kMaxOutputBytes = 64 * 1024;
inline constexpr off_t kMaxLogBytes = 8 << 20;  // then NAME.log -> NAME.log.1

struct Invocation {
  std::string event_json;
  domain::rotation::EnvVars runtime_env;  // added to (and overriding) the registered ones
  std::vector<std::string> redact;        // never written to the log
  std::string step;                       // for the log line
};

class FunctionInvoker {
 public:
  // python: the interpreter of kind "python" functions (Debian's, not whatever is on PATH).
  explicit FunctionInvoker(std::string log_dir, std::string python = "/usr/bin/python3")
      : log_dir_(std::move(log_dir)), python_(std::move(python)) {}
  virtual ~FunctionInvoker() = default;
  // Ok when the function succeeded. kInternalFailure otherwise, with a message that says how
  // (HTTP status, exit status, signal, timeout, unreachable), never the output itself.
  // Virtual so that tests of the rotation runner can stand in for a function.
  virtual Status Invoke(const storage::RotationFunction& f, const Invocation& call) const;

 private:
  Status InvokeUrl(const storage::RotationFunction& f, const domain::rotation::EnvVars& env,
                   const Invocation& call, std::string* output) const;
  // args[0] is the executable's path.
  Status InvokeExec(const storage::RotationFunction& f, const domain::rotation::EnvVars& env,
                    std::vector<std::string> args, const Invocation& call,
                    std::string* output) const;
  void AppendLog(const storage::RotationFunction& f, const Invocation& call,
                 const Status& outcome, std::string output) const;

  std::string log_dir_;
  std::string python_;
};

}  // namespace arcana::rotation
