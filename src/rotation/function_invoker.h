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
//  - kind "zip": a package made through the Lambda API (rotation/function_package.h),
//    unpacked on this node on first use under <log_dir>/code/<hex SHA-256>/, then run like
//    "python" but as the function user (RunPackagesAs) when one is set, and then each run as
//    a user id of its own (RunEachWithItsOwnUid, rotation/function_uids.h) with the function
//    user's group: any principal allowed lambda:CreateFunction writes that code, so it must
//    not run with arcanad's own rights (the data dir's root key, operator token and store),
//    nor reach another function's run. Those folders are a cache
//    bounded by what the store still runs: once a sweep (SweepPackages) finds a folder that
//    no function of the store (KeepPackagesOf) has as its package and that no invocation of
//    this process is using (from before it looks for the folder until its process has
//    ended), the folder is removed; an invocation that needs it again (one holding the
//    function as it read it before an update) unpacks it again from its own copy of the
//    package. A sweep runs whenever this node unpacks a package (so every node drops what an
//    update or deletion on another node left, the next time it runs new code), after an
//    UpdateFunctionCode or DeleteFunction served here, and when the last invocation using a
//    folder that a sweep found unused by the store ends. One arcanad process per data folder
//    (the in-use marks are this process's).
// The step is killed (exec) or abandoned (url) at the function's timeout; an exec function
// is also killed when the invocation is cancelled (the node stops) or arcanad dies.
// Run() also reports what Lambda's Invoke answers (InvokeOutcome): the Python handler's
// return value as JSON (written by the shim to a file of its own, so that the function's
// stdout stays its log: a memory file without a name, open on the function's fd 3, which
// nothing leaves on disk; another process of the same user id can still reach it through
// /proc/PID/fd/3 while the function runs), or the error document of an exception,
// and this invocation's log text. A run ends when its process ends: what it started and left
// running is not waited for (a run with an id of its own: killed then).
// Every function starts with only its stdin, stdout/stderr (and fd 3): no descriptor arcanad
// left open without O_CLOEXEC reaches it.
// Output (exec: stdout and stderr; url: the answer body) goes to the function's log,
// <log_dir>/<account>-<region>-<name>.log (0600, appended): at most kMaxOutputBytes per
// invocation, with every `redact` string (the credentials and any value Arcana sent)
// replaced by "***", so the log never holds them. Arcana itself never logs the output.
// Past kMaxLogBytes the log is moved to NAME.log.1 (one older file is kept).
// Thread-safety: Invoke may run concurrently; lines of concurrent invocations of one function
// are written whole (one write per invocation).
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "domain/rotation/function_spec.h"
#include "rotation/function_uids.h"
#include "storage/function_store.h"

namespace arcana::rotation {

inline constexpr size_t kMaxOutputBytes = 64 * 1024;
inline constexpr off_t kMaxLogBytes = 8 << 20;  // then NAME.log -> NAME.log.1
inline constexpr size_t kMaxPayloadBytes = 1 << 20;  // a handler's answer (AWS: 6 MB)

// The unprivileged user kind "zip" functions run as (arcanad running as root; with a pool of
// ids, each run is an id of its own in this user's group: function_uids.h): after fork,
// the child enters its package's folder, drops every group, takes gid and uid, and cannot
// gain privileges again (PR_SET_NO_NEW_PRIVS). The unpacked packages are readable by gid
// (function_package.h), nothing else of the data dir is (files 0600, other folders 0700);
// the data dir, <log_dir> and <log_dir>/code are only traversable (0711), so that the
// package's own absolute path works for it too where the folders above the data dir let it.
struct FunctionUser {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

// The user named `name` (its primary group as gid). kInvalidParameter when there is no such
// user or it is root (no sandbox at all).
Result<FunctionUser> ResolveFunctionUser(const std::string& name);

struct Invocation {
  std::string event_json;
  domain::rotation::EnvVars runtime_env;  // added to (and overriding) the registered ones
  std::vector<std::string> redact;        // never written to the log
  std::string step;                       // for the log line
  // Python kinds: the handler's context.aws_request_id and the requestId of its error
  // documents (Lambda's Invoke: the call's request id). Empty: a new one per run.
  std::string request_id;
  // Asked at least once a second while an exec/python/zip function runs; true kills it (its
  // process group) and the invocation fails as stopped. Unset: runs to its end or timeout.
  // (A url function's request is not interrupted: it ends at its timeout.)
  std::function<bool()> cancelled;
};

// What an invocation produced, as Lambda's Invoke reports it.
struct InvokeOutcome {
  bool function_error = false;  // the function failed (X-Amz-Function-Error: Unhandled)
  // The answer: the handler's return value as JSON (python kinds; "null" for None), the HTTP
  // answer body (url), "null" (exec); on a function error Lambda's error document
  // ({"errorMessage","errorType"[,"requestId","stackTrace"]}).
  std::string payload;
  std::string log;  // this invocation's log text (redacted), at most kMaxOutputBytes + a line
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
  virtual Status Invoke(const storage::RotationFunction& f, const Invocation& call) const {
    return Run(f, call, nullptr);
  }
  // Invoke, reporting the outcome into *out when it is not null. The status is the same as
  // Invoke's (a function error is kInternalFailure too); only a package that cannot be
  // unpacked is kInvalidParameter.
  Status Run(const storage::RotationFunction& f, const Invocation& call, InvokeOutcome* out) const;

  // Kind "zip" functions run as `user` from now on (only root can switch users). Set once, at
  // the node's start, before KeepPackagesOf and any invocation. Unset: they run as arcanad.
  void RunPackagesAs(FunctionUser user);
  // And each run of one with a user id of its own from `uids` (the group stays the function
  // user's), which outlives the invoker. Set once, after RunPackagesAs, before any invocation.
  void RunEachWithItsOwnUid(const FunctionUidPool* uids) { package_uids_ = uids; }
  // The mode of <log_dir> and <log_dir>/code (and of the data dir holding them): 0711 when a
  // function user must traverse them to its package, else 0700.
  mode_t FolderMode() const { return package_user_ ? 0711 : 0700; }

  // The store whose functions' packages this node's cache keeps; unset (tests of the runner),
  // nothing is swept. Set once, at the node's start, before the invoker is used: it takes the
  // cache over, removing what an arcanad killed mid-unpack or mid-sweep left in it
  // (RemoveInterruptedWork: one arcanad process per data folder, so none of that work can be
  // under way now), and the answer files (.result-*) that functions run by a killed arcanad
  // of an earlier version left. Package folders not made for the current function user (an
  // earlier start's, or from before there was one) go too: unpacked again on first use.
  void KeepPackagesOf(storage::FunctionStore& store);
  // Removes the unpacked package folders that no function of the store has as its package and
  // no invocation of this process is using. Best effort: a store or file-system error leaves
  // folders for a later sweep. Work: one listing of the cache folder and one bounded store
  // query per kMaxListLimit folders; a removal happens outside the lock invocations take.
  void SweepPackages() const;

 private:
  // Marks a package folder in use for an invocation's life (the sweep skips it).
  class PackageUse;
  Status InvokeUrl(const storage::RotationFunction& f, const domain::rotation::EnvVars& env,
                   const Invocation& call, std::string* output) const;
  // args[0] is the executable's path. `as`: the user to run it as (nullptr: arcanad's own);
  // workdir (not empty): the folder it starts in, entered before the change of user;
  // result_fd (>= 0): given to the child as its fd 3.
  Status InvokeExec(const storage::RotationFunction& f, const domain::rotation::EnvVars& env,
                    std::vector<std::string> args, const Invocation& call, std::string* output,
                    const FunctionUser* as = nullptr, const std::string& workdir = "",
                    int result_fd = -1) const;
  // Runs a Python-runtime function (folder "-": a built-in, its source in `source`) as `as`
  // (nullptr: arcanad's own user); its answer (or error document) into *payload.
  Status InvokePython(const storage::RotationFunction& f, const domain::rotation::EnvVars& env,
                      const std::string& folder, const std::string& handler,
                      const std::string& source, const Invocation& call, std::string* output,
                      std::string* payload, const FunctionUser* as = nullptr) const;
  // The log text (redacted) appended to the function's log.
  std::string AppendLog(const storage::RotationFunction& f, const Invocation& call,
                        const Status& outcome, std::string output) const;

  std::string log_dir_;
  std::string python_;
  std::optional<FunctionUser> package_user_;
  const FunctionUidPool* package_uids_ = nullptr;
  storage::FunctionStore* packages_store_ = nullptr;
  // Package folders (digests) in use by invocations of this process, with their counts; a
  // sweep checks and moves a folder away under packages_mu_, an invocation marks its folder
  // under it before looking for it.
  mutable std::mutex packages_mu_;
  mutable std::map<std::string, int> packages_in_use_;
  // In use when a sweep found them unused by the store: swept again after their last use.
  mutable std::set<std::string> packages_sweep_due_;
};

}  // namespace arcana::rotation
