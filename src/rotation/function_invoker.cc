#include "rotation/function_invoker.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <thread>

#include "cli/operator_client.h"
#include "common/civil_time.h"
#include "common/json.h"
#include "crypto/aead.h"
#include "rotation/builtin_rotators.h"
#include "rotation/function_package.h"

namespace arcana::rotation {

namespace rot = domain::rotation;
using Clock = std::chrono::steady_clock;

namespace {

// Runs a function written for AWS Lambda's Python runtime: argv = folder, handler, timeout
// seconds, the function's ARN, the result file's descriptor, the request id (the Invoke's, as
// Lambda's context.aws_request_id; "" = a new one), [the built-in's source]. Folder "." is the
// one it was started in (a function user's package: its own path when that user may pass
// every folder above it, else /proc/self/cwd). Imports the handler's module from the folder,
// reads the event from stdin and calls handler(event, context) with a Lambda-shaped context.
// The result file gets "R" + the return value as JSON, or "E" + an error document as
// Lambda's Python runtime (awslambdaric's bootstrap) makes it: {"errorMessage", "errorType",
// "requestId", "stackTrace"}, with its Runtime.* types for a module that cannot be imported
// (ImportModuleError; UserCodeSyntaxError), a handler it lacks (HandlerNotFound), an answer
// that is no JSON (MarshalError) and sys.exit (ExitError); an exception's trace is printed to
// the function's log too (exit 1). Logging at INFO goes to stderr, as Lambda's runtime sends
// the root logger's records to the function's log.
constexpr const char* kPythonShim = R"py(
import importlib, json, logging, os, sys, time, traceback, uuid
folder, handler, timeout_s, arn, result = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
request_id = sys.argv[6] or str(uuid.uuid4())
deadline = time.time() + timeout_s
logging.basicConfig(level=logging.INFO, stream=sys.stderr)
module_name, _, func_name = handler.rpartition(".")
def emit(kind, text):
    with open(result, "w", closefd=False) as f:
        f.seek(0)
        f.truncate()
        f.write(kind + text)
def end(code):
    # As Lambda, the invocation ends when the handler returns: a thread or process it left
    # running is not waited for (the interpreter's exit would join non-daemon threads).
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    os._exit(code)
def fail(message, error_type, trace=(), rid=""):
    # awslambdaric's make_error: all four members, always (an init failure has no request id).
    emit("E", json.dumps({"errorMessage": message or "", "errorType": error_type or "",
                          "requestId": rid, "stackTrace": list(trace)}))
    end(1)
def user_frames(tb):
    # The trace from the first frame of the function's own code (this runner's are "<string>").
    frames = traceback.extract_tb(tb)
    for i, fr in enumerate(frames):
        if fr.filename != "<string>":
            return traceback.format_list(frames[i:])
    return []
def exited(e):
    code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    why = "Runtime exited with error: exit status %d" % code if code else "Runtime exited without providing a reason"
    # Lambda's service (not the runtime) reports this one: two members only.
    emit("E", json.dumps({"errorType": "Runtime.ExitError",
                          "errorMessage": "RequestId: %s Error: %s" % (request_id, why)}))
    end(1)
try:
    if folder == "-":  # a built-in rotator: its module's source is argv[7]
        import types
        module = types.ModuleType(module_name)
        exec(compile(sys.argv[7], module_name + ".py", "exec"), module.__dict__)
        sys.modules[module_name] = module
        os.chdir("/tmp")
    else:
        if folder == ".":  # entered for it: its path may cross folders this user cannot pass
            folder = os.getcwd()
            if not os.access(folder, os.R_OK | os.X_OK):
                folder = "/proc/self/cwd"
        sys.path.insert(0, folder)
        os.chdir(folder)
        module = importlib.import_module(module_name.replace("/", "."))
except ImportError as e:
    traceback.print_exc()
    fail("Unable to import module '%s': %s" % (module_name, e), "Runtime.ImportModuleError")
except SyntaxError as e:
    traceback.print_exc()
    fail("Syntax error in module '%s': %s" % (module_name, e), "Runtime.UserCodeSyntaxError",
         ['  File "%s" Line %s\n    %s\n' % (e.filename, e.lineno, e.text)])
except SystemExit as e:
    exited(e)
except BaseException as e:
    traceback.print_exc()
    fail(str(e), type(e).__name__, user_frames(e.__traceback__))
class Context:
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
    function_version = "$LATEST"
    invoked_function_arn = arn
    memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
    aws_request_id = request_id
    log_group_name = "/aws/lambda/" + function_name
    log_stream_name = "arcana"
    def get_remaining_time_in_millis(self):
        return max(0, int((deadline - time.time()) * 1000))
if not hasattr(module, func_name):
    fail("Handler '%s' missing on module '%s'" % (func_name, module_name),
         "Runtime.HandlerNotFound", (), request_id)
try:
    event = json.load(sys.stdin)
    answer = getattr(module, func_name)(event, Context())
except SystemExit as e:
    exited(e)
except BaseException as e:
    traceback.print_exc()
    fail(str(e), type(e).__name__, user_frames(e.__traceback__), request_id)
try:
    emit("R", json.dumps(answer))
except (TypeError, ValueError) as e:
    fail("Unable to marshal response: " + str(e), "Runtime.MarshalError", (), request_id)
end(0)
)py";

Status Failed(std::string msg) { return Status(ErrorCode::kInternalFailure, std::move(msg)); }

void Redact(std::string& text, const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) {
    if (s.empty()) continue;
    for (size_t at = text.find(s); at != std::string::npos; at = text.find(s, at + 3)) {
      text.replace(at, s.size(), "***");
    }
  }
}

// Writes all of data to fd (a pipe the child may close early: EPIPE ends it).
void WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

// The file descriptor a Python function's answer goes to (the shim's argv[5]).
constexpr int kResultFd = 3;

// What a function made through the Lambda API may take (any principal allowed
// lambda:CreateFunction makes one), so that it cannot take the host's memory: its MemorySize
// bounds its data segment (RLIMIT_DATA: heap and private writable mappings, Linux >= 4.7),
// with room on top for the interpreter and for kThreadStacks threads' stacks (each thread's
// stack is such a mapping, RLIMIT_STACK's size, whether or not it is used: Lambda counts only
// memory in use, so without that room a 128 MB function could not start 30 threads). And
// Lambda's other documented bounds: 1,024 descriptors, 1,024 processes and threads (only
// with --function-user: see LimitsOf), /tmp's 512 MB as the largest file, no core dump. A
// function registered by the operator (`arcana functions create`: no Lambda attributes) is
// trusted as arcanad itself and runs unbounded.
using RlimitResource = decltype(RLIMIT_DATA);  // glibc's enum under C++
struct ChildLimits {
  std::vector<std::pair<RlimitResource, rlimit>> limits;  // resource, its bound
};
constexpr rlim_t kInterpreterDataBytes = rlim_t{96} << 20;
constexpr rlim_t kThreadStacks = 64;
constexpr rlim_t kMaxThreadStackBytes = rlim_t{8} << 20;  // the usual RLIMIT_STACK
constexpr rlim_t kMaxFunctionProcesses = 1024;
constexpr rlim_t kMaxFunctionFiles = 1024;
constexpr rlim_t kMaxFunctionFileBytes = rlim_t{512} << 20;

// RLIMIT_NPROC counts every process of the user the function runs as: set only for the
// function user (a non-root arcanad runs functions as itself, whose user's other processes
// count too). A bound arcanad already has lower stays (an unprivileged process cannot raise
// its hard limit).
ChildLimits LimitsOf(const storage::RotationFunction& f, bool as_function_user) {
  ChildLimits l;
  if (f.lambda_json.empty()) return l;
  int64_t memory_mb = 128;  // Lambda's default MemorySize
  rapidjson::Document doc;
  if (json::ParseBounded(f.lambda_json, &doc).ok() && doc.IsObject()) {
    memory_mb = json::Input(doc).Int("MemorySize").value_or(128);
  }
  memory_mb = std::clamp<int64_t>(memory_mb, 128, 10240);  // Lambda's range
  auto bound = [&l](RlimitResource resource, rlim_t value) {
    rlimit now{};
    if (::getrlimit(resource, &now) == 0 && now.rlim_max != RLIM_INFINITY) {
      value = std::min(value, now.rlim_max);
    }
    l.limits.emplace_back(resource, rlimit{value, value});
  };
  rlimit stack{};
  rlim_t stack_bytes = kMaxThreadStackBytes;
  if (::getrlimit(RLIMIT_STACK, &stack) == 0 && stack.rlim_cur != RLIM_INFINITY) {
    stack_bytes = std::min(stack.rlim_cur, kMaxThreadStackBytes);
  }
  bound(RLIMIT_DATA, (static_cast<rlim_t>(memory_mb) << 20) + kInterpreterDataBytes +
                         kThreadStacks * stack_bytes);
  bound(RLIMIT_NOFILE, kMaxFunctionFiles);
  bound(RLIMIT_FSIZE, kMaxFunctionFileBytes);
  bound(RLIMIT_CORE, 0);
  if (as_function_user) bound(RLIMIT_NPROC, kMaxFunctionProcesses);
  return l;
}

// In the forked child (async-signal-safe: setrlimit is a system call; no allocation).
bool ApplyLimits(const ChildLimits& l) {
  for (const auto& [resource, value] : l.limits) {
    if (::setrlimit(resource, &value) != 0) return false;
  }
  return true;
}

}  // namespace

Result<FunctionUser> ResolveFunctionUser(const std::string& name) {
  std::vector<char> buf(16384);
  passwd pw {};
  passwd* found = nullptr;
  if (name.empty() || ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 ||
      found == nullptr) {
    return Status(ErrorCode::kInvalidParameter, "no such user: " + name);
  }
  if (pw.pw_uid == 0 || pw.pw_gid == 0) {
    return Status(ErrorCode::kInvalidParameter,
                  "user " + name + " is root or in group root: functions would not be confined");
  }
  return FunctionUser{name, pw.pw_uid, pw.pw_gid};
}

void FunctionInvoker::RunPackagesAs(FunctionUser user) { package_user_ = std::move(user); }

class FunctionInvoker::PackageUse {
 public:
  PackageUse(const FunctionInvoker& inv, std::string digest)
      : inv_(inv), digest_(std::move(digest)) {
    std::lock_guard lock(inv_.packages_mu_);
    ++inv_.packages_in_use_[digest_];
  }
  // The last use of a folder that a sweep found unused by the store's functions sweeps again:
  // the folder of an update's old code goes once the invocations still running it end.
  ~PackageUse() {
    bool sweep = false;
    {
      std::lock_guard lock(inv_.packages_mu_);
      auto it = inv_.packages_in_use_.find(digest_);
      if (--it->second == 0) {
        inv_.packages_in_use_.erase(it);
        sweep = inv_.packages_sweep_due_.erase(digest_) != 0;
      }
    }
    if (sweep) inv_.SweepPackages();
  }
  PackageUse(const PackageUse&) = delete;
  PackageUse& operator=(const PackageUse&) = delete;

 private:
  const FunctionInvoker& inv_;
  std::string digest_;
};

void FunctionInvoker::KeepPackagesOf(storage::FunctionStore& store) {
  packages_store_ = &store;
  // Before any invocation of this process: a .unpack-* folder here is one a killed arcanad
  // left (it never reached its rename), and only the start of the next one can see that.
  std::optional<gid_t> readers;
  if (package_user_) readers = package_user_->gid;
  RemoveInterruptedWork(log_dir_ + "/code", readers);
  // Likewise the answer files of Python functions running when an arcanad was killed (what
  // a function returned may hold a secret value): earlier versions kept them there.
  std::vector<std::string> answers;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(log_dir_, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with(".result-")) answers.push_back(log_dir_ + "/" + name);
  }
  for (const auto& path : answers) ::unlink(path.c_str());
}

void FunctionInvoker::SweepPackages() const {
  namespace fs = std::filesystem;
  if (packages_store_ == nullptr) return;
  const std::string root = log_dir_ + "/code";
  std::vector<std::string> folders;
  std::vector<std::string> leftovers;  // .remove-* of a sweep that died before removing
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (IsPackageFolderName(name)) {
      folders.push_back(name);
    } else if (name.starts_with(".remove-")) {
      leftovers.push_back(name);
    }
  }
  for (const auto& name : leftovers) {
    std::error_code ignored;
    fs::remove_all(root + "/" + name, ignored);
  }
  for (size_t at = 0; at < folders.size(); at += storage::kMaxListLimit) {
    std::vector<std::string> batch(
        folders.begin() + static_cast<std::ptrdiff_t>(at),
        folders.begin() + static_cast<std::ptrdiff_t>(
                              std::min(folders.size(), at + storage::kMaxListLimit)));
    auto kept = packages_store_->PackagesInUse(batch);
    if (!kept.ok()) return;  // the folders stay for a later sweep
    std::sort(kept->begin(), kept->end());
    for (const auto& digest : batch) {
      if (std::binary_search(kept->begin(), kept->end(), digest)) continue;
      // Moved aside under the lock, so that an invocation marking it in use from now on finds
      // it gone and unpacks it again; removed (up to kMaxUnzippedBytes) outside the lock.
      std::string trash = root + "/.remove-XXXXXX";
      {
        std::lock_guard lock(packages_mu_);
        if (packages_in_use_.contains(digest)) {
          packages_sweep_due_.insert(digest);  // its last invocation sweeps again
          continue;
        }
        if (::mkdtemp(trash.data()) == nullptr) return;
        if (::rename((root + "/" + digest).c_str(), (trash + "/" + digest).c_str()) != 0) {
          ::rmdir(trash.c_str());  // gone already (another sweep)
          continue;
        }
      }
      std::error_code ignored;
      fs::remove_all(trash, ignored);
    }
  }
}

// {"errorMessage","errorType"} for a failure the runtime (not the handler) reports.
static std::string ErrorDocument(const std::string& message, const char* type) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "errorMessage", message);
  json::KV(w, "errorType", type);
  w.EndObject();
  return json::Finish(buf);
}

Status FunctionInvoker::Run(const storage::RotationFunction& f, const Invocation& call,
                            InvokeOutcome* out) const {
  rot::EnvVars env = rot::DecodeEnv(f.env_json);
  for (const auto& [k, v] : call.runtime_env) env[k] = v;
  std::string output;
  std::string payload;
  Status st;
  if (f.kind == rot::kKindUrl) {
    st = InvokeUrl(f, env, call, &output);
    payload = output;
  } else if (f.kind == rot::kKindExec) {
    st = InvokeExec(f, env, {f.target}, call, &output);
    payload = "null";
  } else if (f.kind == rot::kKindPython) {
    st = InvokePython(f, env, f.target, f.handler, "", call, &output, &payload);
  } else if (f.kind == rot::kKindZip) {
    PackageUse use(*this, f.target);  // until the function's process has ended
    bool unpacked = false;
    std::optional<gid_t> readers;
    if (package_user_) readers = package_user_->gid;
    // Traversable by the function user (as the data dir holding it), as is the code folder.
    std::error_code ec;
    std::filesystem::create_directories(log_dir_, ec);
    ::chmod(log_dir_.c_str(), FolderMode());
    auto folder = MaterialisePackage(log_dir_ + "/code", f.target, f.code, &unpacked, readers);
    if (!folder.ok()) return folder.status();  // nothing ran: not the function's failure
    // New code on this node: what an update or deletion on any node left goes now.
    if (unpacked) SweepPackages();
    // Code any principal allowed lambda:CreateFunction wrote: as the function user, and with
    // an id of its own when there is a pool of them (its processes and files end with it).
    std::unique_ptr<FunctionUidPool::Lease> lease;
    std::optional<FunctionUser> run_as = package_user_;
    if (package_uids_ != nullptr) {
      auto leased = package_uids_->Acquire();
      if (leased.ok()) {
        lease = std::move(*leased);
        run_as = FunctionUser{"uid " + std::to_string(lease->uid()), lease->uid(), lease->gid()};
      } else {
        st = Failed("cannot run function " + f.name + ": " + leased.status().message());
      }
    }
    if (package_uids_ == nullptr || lease != nullptr) {
      st = InvokePython(f, env, *folder, f.handler, "", call, &output, &payload,
                        run_as ? &*run_as : nullptr);
    }
  } else if (auto builtin = f.kind == rot::kKindBuiltin ? FindBuiltinRotator(f.target)
                                                         : std::nullopt) {
    st = InvokePython(f, env, "-", std::string(builtin->module) + ".lambda_handler",
                      builtin->source, call, &output, &payload);
  } else {
    st = Failed("function " + f.name + " has unknown kind " + f.kind);
  }
  std::string log = AppendLog(f, call, st, std::move(output));
  if (out != nullptr) {
    out->function_error = !st.ok();
    out->log = std::move(log);
    if (st.ok()) {
      out->payload = payload.empty() ? "null" : std::move(payload);
    } else if (!payload.empty() && f.kind != rot::kKindUrl) {
      out->payload = std::move(payload);  // the handler's own error document
    } else if (st.message().find(" timed out after ") != std::string::npos) {
      out->payload = ErrorDocument("Task timed out after " + std::to_string(f.timeout_s) +
                                       ".00 seconds",
                                   "Sandbox.Timedout");  // Lambda's words
    } else {
      out->payload = ErrorDocument(st.message(), "Runtime.ExitError");
    }
  }
  return st;
}

Status FunctionInvoker::InvokePython(const storage::RotationFunction& f, const rot::EnvVars& env,
                                     const std::string& folder, const std::string& handler,
                                     const std::string& source, const Invocation& call,
                                     std::string* output, std::string* payload,
                                     const FunctionUser* as) const {
  // The answer file: in memory, nameless (nothing is left on disk, whatever happens to
  // arcanad; only processes of the function's own user can reach it, through /proc/PID/fd/3),
  // inherited as fd 3 by the function, whoever it runs as. Above 3, so that the child's dup2
  // onto 0-3 cannot clobber it.
  int mfd = ::memfd_create("arcana-result", MFD_CLOEXEC);
  int fd = mfd < 0 ? -1 : ::fcntl(mfd, F_DUPFD_CLOEXEC, kResultFd + 1);
  if (mfd >= 0) ::close(mfd);
  if (fd < 0) return Failed("cannot run function " + f.name + ": no result file");
  // Run as the function user, it starts in its folder (entered before the change of user, so
  // that the folders above need not let it through) and imports from there: ".".
  std::vector<std::string> args = {python_, "-s", "-c", kPythonShim,
                                   as != nullptr ? "." : folder, handler,
                                   std::to_string(f.timeout_s),
                                   rot::LambdaArnOf(f.region, f.account, f.name),
                                   std::to_string(kResultFd), call.request_id};
  if (folder == "-") args.push_back(source);
  Status st = InvokeExec(f, env, std::move(args), call, output, as, as != nullptr ? folder : "",
                         fd);
  // Bounded read: the function wrote it.
  std::string text;
  if (::lseek(fd, 0, SEEK_SET) == 0) {
    char buf[16384];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof(buf))) > 0 && text.size() <= kMaxPayloadBytes + 1) {
      text.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  if (text.size() > kMaxPayloadBytes + 1) {
    *payload = ErrorDocument("Response payload size exceeded maximum allowed payload size (" +
                                 std::to_string(kMaxPayloadBytes) + " bytes).",
                             "Function.ResponseSizeTooLarge");
    return st.ok() ? Failed("function " + f.name + " answered more than 1 MiB") : st;
  }
  if (!text.empty()) *payload = text.substr(1);
  // The handler returned: its answer stands, even when its process was then ended (its
  // deadline, or a stopping node, came between the answer and the exit).
  if (!text.empty() && text[0] == 'R') return Status::Ok();
  if (st.ok() && !text.empty() && text[0] == 'E') {
    return Failed("function " + f.name + " could not return its answer");
  }
  return st;
}

Status FunctionInvoker::InvokeUrl(const storage::RotationFunction& f, const rot::EnvVars& env,
                                  const Invocation& call, std::string* output) const {
  std::string rest = f.target.substr(f.target.find("://") + 3);
  size_t slash = rest.find('/');
  std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  auto ep = cli::ParseEndpoint(f.target.substr(0, f.target.size() - rest.size()) +
                               rest.substr(0, slash));
  if (!ep.ok()) return Failed("function " + f.name + " has a bad URL");
  ep->timeout = std::chrono::seconds(f.timeout_s);
  std::string env_json = rot::EncodeEnv(env);
  auto reply = cli::SendRequest(*ep, "POST", path, call.event_json,
                                [&env_json](auth::SignableRequest& sr) {
                                  sr.headers.emplace_back("Content-Type", "application/json");
                                  sr.headers.emplace_back("X-Arcana-Environment", env_json);
                                });
  crypto::SecureWipe(env_json);
  if (!reply.ok()) return Failed("function " + f.name + " could not be reached or timed out");
  *output = reply->body.substr(0, kMaxOutputBytes);
  if (reply->status < 200 || reply->status > 299) {
    return Failed("function " + f.name + " answered HTTP " + std::to_string(reply->status));
  }
  return Status::Ok();
}

Status FunctionInvoker::InvokeExec(const storage::RotationFunction& f, const rot::EnvVars& env,
                                   std::vector<std::string> args, const Invocation& call,
                                   std::string* output, const FunctionUser* as,
                                   const std::string& workdir, int result_fd) const {
  // Everything the child needs is built before fork (no allocation after it).
  std::vector<std::string> env_strings = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp"};
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string path = args[0];
  // The child closes every descriptor above its own; the bound if close_range is missing.
  const int first_closed = result_fd >= 0 ? kResultFd + 1 : kResultFd;
  const long open_max = std::max(::sysconf(_SC_OPEN_MAX), 1024L);
  const ChildLimits limits = LimitsOf(f, as != nullptr);

  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return Failed("cannot create a pipe");
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    return Failed("cannot create a pipe");
  }
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    // Not left running (blocked on a node that is gone) when arcanad dies.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    // Only async-signal-safe calls from here (no allocation): arcanad may have other threads.
    if (::dup2(in_pipe[0], 0) < 0 || ::dup2(out_pipe[1], 1) < 0 || ::dup2(out_pipe[1], 2) < 0 ||
        (result_fd >= 0 && ::dup2(result_fd, kResultFd) < 0)) {
      ::_exit(127);
    }
    // Nothing else of arcanad's (a descriptor opened without O_CLOEXEC) reaches the function.
    if (::close_range(static_cast<unsigned>(first_closed), ~0U, 0) != 0) {
      for (long fd = first_closed; fd < open_max; ++fd) ::close(static_cast<int>(fd));
    }
    if (!workdir.empty() && ::chdir(workdir.c_str()) != 0) ::_exit(127);
    if (as != nullptr) {
      // Not dumpable while it still holds arcanad's memory as the function user (the kernel
      // does so on the uid change too; execve makes it dumpable again with its own memory).
      if (::prctl(PR_SET_DUMPABLE, 0) != 0 || ::setgroups(0, nullptr) != 0 ||
          ::setgid(as->gid) != 0 || ::setuid(as->uid) != 0 ||
          ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        ::_exit(127);
      }
      // The change of user cleared the parent-death signal: asked for again.
      if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(127);
    }
    if (!ApplyLimits(limits)) ::_exit(127);
    ::execve(path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  for (auto& s : env_strings) crypto::SecureWipe(s);
  if (pid < 0) {
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    return Failed("cannot start function " + f.name);
  }
  ::setpgid(pid, pid);  // also here: the child may not have run yet
  {
    // A child that stops reading stdin must not stop us: SIGPIPE ignored, and the event is
    // written as the child reads it (non-blocking, in the output loop below).
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ign, nullptr);
  }
  int in_fd = in_pipe[1];
  ::fcntl(in_fd, F_SETFL, ::fcntl(in_fd, F_GETFL) | O_NONBLOCK);
  size_t in_off = 0;
  auto close_in = [&in_fd] {
    if (in_fd >= 0) ::close(in_fd);
    in_fd = -1;
  };
  if (call.event_json.empty()) close_in();

  // The run ends when its process ends, not when every process holding the output pipe has
  // (what it left running is not waited for, as on Lambda). Without pidfds (Linux < 5.3): EOF.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  const auto deadline = Clock::now() + std::chrono::seconds(f.timeout_s);
  bool timed_out = false;
  bool cancelled = false;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    if (call.cancelled && call.cancelled()) {
      cancelled = true;
      break;
    }
    // poll skips the entries whose descriptor is negative (stdin written, no pidfd).
    pollfd p[3] = {{out_pipe[0], POLLIN, 0}, {in_fd, POLLOUT, 0}, {pidfd, POLLIN, 0}};
    int r = ::poll(p, 3, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    if (in_fd >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = ::write(in_fd, call.event_json.data() + in_off, call.event_json.size() - in_off);
      if (w > 0) in_off += static_cast<size_t>(w);
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || in_off == call.event_json.size()) {
        close_in();
      }
    }
    if (p[2].revents & POLLIN) {
      // Its process has ended: everything it wrote is in the pipe. Read that (bounded: what
      // it left running may go on writing), then stop.
      ::fcntl(out_pipe[0], F_SETFL, ::fcntl(out_pipe[0], F_GETFL) | O_NONBLOCK);
      for (size_t drained = 0; drained < kMaxOutputBytes;) {
        ssize_t n = ::read(out_pipe[0], buf, sizeof(buf));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        drained += static_cast<size_t>(n);
        if (output->size() < kMaxOutputBytes) {
          output->append(buf, std::min(static_cast<size_t>(n), kMaxOutputBytes - output->size()));
        }
      }
      break;
    }
    if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    ssize_t n = ::read(out_pipe[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: every writer (the child and its children) closed it
    if (output->size() < kMaxOutputBytes) {
      output->append(buf, std::min(static_cast<size_t>(n), kMaxOutputBytes - output->size()));
    }
  }
  close_in();
  ::close(out_pipe[0]);
  if (pidfd >= 0) ::close(pidfd);
  if (timed_out || cancelled) ::kill(-pid, SIGKILL);
  int wstatus = 0;
  // After EOF the child has exited or is about to; bound the wait by the deadline anyway.
  while (::waitpid(pid, &wstatus, WNOHANG) == 0) {
    if (Clock::now() >= deadline) {
      timed_out = true;
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &wstatus, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (cancelled) return Failed("function " + f.name + " was stopped: the node is stopping");
  if (timed_out) {
    return Failed("function " + f.name + " timed out after " + std::to_string(f.timeout_s) + " s");
  }
  if (WIFSIGNALED(wstatus)) {
    return Failed("function " + f.name + " was killed by signal " +
                  std::to_string(WTERMSIG(wstatus)));
  }
  int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
  if (code != 0) return Failed("function " + f.name + " exited with status " + std::to_string(code));
  return Status::Ok();
}

std::string FunctionInvoker::AppendLog(const storage::RotationFunction& f,
                                       const Invocation& call, const Status& outcome,
                                       std::string output) const {
  Redact(output, call.redact);
  std::error_code ec;
  std::filesystem::create_directories(log_dir_, ec);
  ::chmod(log_dir_.c_str(), FolderMode());
  std::string path = log_dir_ + "/" + f.account + "-" + f.region + "-" + f.name + ".log";
  // gmtime_r: rotation runs on several threads.
  const std::string stamp = FormatUtc(std::time(nullptr), "%Y-%m-%dT%H:%M:%SZ");
  std::string text = stamp + " step=" + call.step + " " +
                     (outcome.ok() ? "ok" : "failed: " + outcome.message()) + "\n" + output;
  if (!output.empty() && output.back() != '\n') text += '\n';
  // Bounded: past kMaxLogBytes the log moves to NAME.log.1 (replacing the older one).
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && st.st_size > kMaxLogBytes) {
    ::rename(path.c_str(), (path + ".1").c_str());
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return text;
  WriteAll(fd, text);
  ::close(fd);
  return text;
}

}  // namespace arcana::rotation
