#include "rotation/rotation_runner.h"

#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "common/json.h"
#include "crypto/aead.h"
#include "crypto/random.h"
#include "domain/rotation/function_spec.h"
#include "rotation/builtin_rotators.h"
#include "rotation/execution_role.h"

namespace arcana::rotation {

namespace rot = domain::rotation;
using View = services::sm::SecretsManagerService::RotationView;

namespace {

constexpr const char* kSteps[] = {"createSecret", "setSecret", "testSecret", "finishSecret"};
constexpr const char* kRotationRole = "arcana-rotation";
// A managed external secret's rotation metadata, for its rotator (builtin_rotators.cc).
constexpr const char* kExternalMetadataVariable = "ARCANA_ROTATION_METADATA";
constexpr int64_t kMinSessionSeconds = 900;  // STS's minimum

// AWS's event (user guide, rotate-secrets_lambda): {"Step","SecretId","ClientRequestToken",
// "RotationToken"}; the function passes RotationToken to PutSecretValue.
std::string EventJson(const std::string& arn, const std::string& token,
                      const std::string& rotation_token, const char* step) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "SecretId", arn);
  json::KV(w, "ClientRequestToken", token);
  json::KV(w, "RotationToken", rotation_token);
  json::KV(w, "Step", step);
  w.EndObject();
  return json::Finish(buf);
}

std::string JobName(const std::string& arn) { return std::string(kJobPrefix) + arn; }

}  // namespace

RotationRunner::RotationRunner(services::sm::SecretsManagerService& secrets,
                               storage::FunctionStore& functions, storage::JobStore& jobs,
                               const auth::IdentityResolver& identities,
                               const FunctionInvoker& invoker, RotationReporter report,
                               RotationOptions options)
    : secrets_(secrets),
      functions_(functions),
      jobs_(jobs),
      identities_(identities),
      invoker_(invoker),
      report_(std::move(report)),
      opts_(std::move(options)) {}

void RotationRunner::Register(jobs::Scheduler& scheduler) {
  scheduler_ = &scheduler;
  scheduler.OnPrefix(
      kJobPrefix, std::nullopt, [this](jobs::JobRun& run) { return RunJob(run); },
      opts_.parallel);
}

RotationRunner::Payload RotationRunner::Decode(const std::string& text) {
  Payload p;
  rapidjson::Document doc;
  if (text.empty() || !json::ParseBounded(text, &doc).ok() || !doc.IsObject()) return p;
  p.token = json::StrField(doc, "token");
  p.mode = json::StrField(doc, "mode") == "test" ? "test" : "rotate";
  p.failures = json::IntField(doc, "failures");
  return p;
}

std::string RotationRunner::Encode(const Payload& p) {
  if (p.token.empty()) return "";
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "token", p.token);
  json::KV(w, "mode", p.mode);
  w.Key("failures");
  w.Int64(p.failures);
  w.EndObject();
  return json::Finish(buf);
}

Result<std::optional<storage::RotationFunction>> RotationRunner::FindFunction(
    const std::string& lambda_arn) {
  auto parsed = rot::ParseLambdaArn(lambda_arn);
  if (parsed) return functions_.GetFunction({parsed->account, parsed->region}, parsed->name);
  // A managed rotator by its own ARN: no registration, so the defaults (30 s, no variables,
  // no master secret).
  auto managed = rot::ParseManagedRotatorArn(lambda_arn);
  if (!managed || !FindBuiltinRotator(managed->name)) return std::optional<storage::RotationFunction>();
  storage::RotationFunction f;
  f.account = managed->account;
  f.region = managed->region;
  f.name = rot::kManagedRotatorPrefix + managed->name;
  f.kind = rot::kKindBuiltin;
  f.target = managed->name;
  f.env_json = "{}";
  f.timeout_s = rot::kDefaultTimeoutSeconds;
  return std::optional<storage::RotationFunction>(std::move(f));
}

Status RotationRunner::CheckExternalRole(const std::string& role_arn,
                                         const std::string& secret_account,
                                         const std::string& secret_arn) {
  return ExternalRotationSession(identities_, secret_account, role_arn, secret_arn).status();
}

Status RotationRunner::CheckFunction(const std::string& lambda_arn,
                                     const std::string& secret_account,
                                     const std::string& secret_arn) {
  ARCANA_ASSIGN_OR_RETURN(auto fn, FindFunction(lambda_arn));
  if (!fn && rot::ParseManagedRotatorArn(lambda_arn)) {
    // Arcana's own managed-rotator namespace (no AWS counterpart): name the rotators it has.
    return Status(ErrorCode::kInvalidRequest,
                  "Secrets Manager cannot invoke the specified Lambda function " + lambda_arn +
                      ": it is no managed rotator (function:arcana:" + BuiltinRotatorNames() +
                      "). Nothing was changed.");
  }
  // The caller gets AWS's answer for a function it cannot invoke (recorded: an ARN naming no
  // function is AccessDeniedException, HTTP 400, with this text); what to do about it goes to
  // the operator's log.
  auto cannot_invoke = [] {
    return Status(ErrorCode::kAccessDenied,
                  "Secrets Manager cannot invoke the specified Lambda function. Ensure that the "
                  "function policy grants access to the principal secretsmanager.amazonaws.com.");
  };
  if (!fn) {
    spdlog::info("RotateSecret with {}: no such function is registered (arcana functions "
                 "create); nothing was changed", lambda_arn);
    return cannot_invoke();
  }
  if (!SecretsManagerMayInvoke(*fn, secret_account, secret_arn)) {
    spdlog::info("RotateSecret with {}: the function's policy does not let Secrets Manager "
                 "invoke it for {} (aws lambda add-permission --principal "
                 "secretsmanager.amazonaws.com --action lambda:InvokeFunction); nothing was "
                 "changed", lambda_arn, secret_arn);
    return cannot_invoke();
  }
  return Status::Ok();
}

Status RotationRunner::Start(const std::string& secret_arn, const std::string& token,
                             bool test_only, int64_t now_ms) {
  Payload p;
  p.token = token;
  p.mode = test_only ? "test" : "rotate";
  ARCANA_RETURN_IF_ERROR(jobs_.ScheduleJob(JobName(secret_arn), now_ms, Encode(p), true));
  if (scheduler_ != nullptr) scheduler_->Wake();
  return Status::Ok();
}

Status RotationRunner::ScheduleAt(const std::string& secret_arn, int64_t due_ms) {
  const std::string name = JobName(secret_arn);
  ARCANA_ASSIGN_OR_RETURN(auto job, jobs_.GetJob(name));
  // A run waiting with a token (RotateSecret's, or a retry) keeps its time: it rotates anyway.
  if (job && !Decode(job->payload).token.empty()) return Status::Ok();
  ARCANA_RETURN_IF_ERROR(jobs_.ScheduleJob(name, due_ms, "", true));
  if (scheduler_ != nullptr) scheduler_->Wake();
  return Status::Ok();
}

Status RotationRunner::Abandon(const std::string& secret_arn, const std::string& version_id) {
  ARCANA_ASSIGN_OR_RETURN(auto view, secrets_.RotationViewOf(secret_arn, ""));
  if (!view) return Status::Ok();
  report_({"RotationAbandoned", secret_arn, view->account, view->region, version_id, ""});
  spdlog::info("rotation of {} abandoned (version {}): a new version was made manually",
               secret_arn, version_id);
  const std::string name = JobName(secret_arn);
  ARCANA_ASSIGN_OR_RETURN(auto job, jobs_.GetJob(name));
  // Only a job holding that token is rewritten: another token is a later RotateSecret's run.
  if (!job || Decode(job->payload).token != version_id) return Status::Ok();
  if (!view->enabled || !view->next_window_start_ms) return jobs_.CancelJob(name);
  ARCANA_RETURN_IF_ERROR(jobs_.ScheduleJob(name, *view->next_window_start_ms, "", true));
  if (scheduler_ != nullptr) scheduler_->Wake();
  return Status::Ok();
}

Status RotationRunner::Resume(const std::string& secret_arn, int64_t now_ms) {
  const std::string name = JobName(secret_arn);
  ARCANA_ASSIGN_OR_RETURN(auto job, jobs_.GetJob(name));
  // Due now with what it held (a retry's token and failure count, or nothing: the scheduled
  // rotation, which then waits for its window). No job: create the scheduled one, without
  // replacing one a RotateSecret may have created meanwhile.
  ARCANA_RETURN_IF_ERROR(jobs_.ScheduleJob(name, now_ms, job ? job->payload : "", job.has_value()));
  if (scheduler_ != nullptr) scheduler_->Wake();
  return Status::Ok();
}

Status RotationRunner::Stop(const std::string& secret_arn) {
  return jobs_.CancelJob(JobName(secret_arn));
}

void RotationRunner::Reschedule(jobs::JobRun& run, std::optional<int64_t> due,
                                const Payload& p) {
  // A RotateSecret that lands during this run (Start rewrites the job: due now, its token)
  // is not undone by this: the scheduler's completion keeps a reschedule made meanwhile
  // (JobStore::CompleteJob), so that rotation runs next.
  run.reschedule_at_ms = due;  // nullopt: one-shot, the job goes
  if (due) run.reschedule_payload = Encode(p);
}

Status RotationRunner::RunJob(jobs::JobRun& run) {
  const std::string arn = run.job.name.substr(std::string_view(kJobPrefix).size());
  Payload p = Decode(run.job.payload);
  ARCANA_ASSIGN_OR_RETURN(auto view, secrets_.RotationViewOf(arn, p.token));
  // Gone or cancelled: nothing more to run.
  if (!view || !view->enabled) return Status::Ok();
  if (view->deleted) {
    // Scheduled for deletion: the job waits as it is (a retry keeps its token) until the
    // deletion date, when it goes with the secret; RestoreSecret (Resume) makes it due again.
    if (view->deletion_ms && *view->deletion_ms > run.now_ms) {
      Reschedule(run, *view->deletion_ms, p);
    }
    return Status::Ok();
  }
  // The start of the next window: the scheduled run is due then.
  const auto next_scheduled = [&]() -> std::optional<int64_t> {
    auto now_view = secrets_.RotationViewOf(arn, "");
    if (!now_view.ok() || !*now_view || !(*now_view)->enabled) return std::nullopt;
    return (*now_view)->next_window_start_ms;
  };
  if (p.token.empty()) {  // the scheduled rotation
    if (!view->next_window_start_ms) return Status::Ok();
    if (run.now_ms < *view->next_window_start_ms) {
      run.reschedule_at_ms = *view->next_window_start_ms;
      return Status::Ok();
    }
    // A rotation left pending by an abandoned run is reattempted, as AWS does.
    p.token = !view->pending_version.empty() && !view->pending_is_current
                  ? view->pending_version
                  : crypto::NewUuidV4();
    p.mode = "rotate";
    ARCANA_RETURN_IF_ERROR(secrets_.BeginRotation(arn, p.token, run.now_ms));
    ARCANA_ASSIGN_OR_RETURN(view, secrets_.RotationViewOf(arn, p.token));
    if (!view) return Status::Ok();
  }
  if (p.failures == 0) report_({"RotationStarted", arn, view->account, view->region, p.token, ""});
  bool stopped = false;
  Status st = RunSteps(*view, p, run, &stopped);
  if (p.mode == "test") {
    Status dropped = secrets_.DropPlaceholder(arn, p.token);
    if (!dropped.ok()) spdlog::warn("rotation of {}: test placeholder kept: {}", arn, dropped.message());
  }
  if (st.ok()) {
    if (p.mode == "rotate") {
      ARCANA_RETURN_IF_ERROR(secrets_.RecordRotation(arn, p.token, run.now_ms));
      report_({"RotationSucceeded", arn, view->account, view->region, p.token, ""});
      spdlog::info("rotation of {} succeeded (version {})", arn, p.token);
    }
    Reschedule(run, next_scheduled(), Payload{});
    return Status::Ok();
  }
  if (stopped) {
    spdlog::info("rotation of {} stopped: {}", arn, st.message());
    // Stopping node or lost lease: handed back as it is, to run again soon (here or
    // elsewhere). Secret scheduled for deletion: the same, and the next run keeps it waiting
    // for a restore (above). Cancelled or placeholder gone: on to the next scheduled date.
    auto now_view = secrets_.RotationViewOf(arn, "");
    const bool deleted = now_view.ok() && *now_view && (*now_view)->deleted;
    const bool hand_back = run.should_stop() || deleted;
    Reschedule(run, hand_back ? std::optional<int64_t>(run.now_ms) : next_scheduled(),
               hand_back ? p : Payload{});
    return Status::Ok();
  }
  spdlog::warn("rotation of {} failed: {}", arn, st.message());
  report_({"RotationFailed", arn, view->account, view->region, p.token, st.message()});
  ++p.failures;
  if (p.mode == "rotate" && p.failures < opts_.max_attempts) {
    int64_t backoff = opts_.retry_base.count() << std::min<int64_t>(p.failures - 1, 10);
    Reschedule(run, run.now_ms + backoff, p);
    return Status::Ok();
  }
  if (p.mode == "rotate") {
    report_({"RotationAbandoned", arn, view->account, view->region, p.token, ""});
    // Not at the date that is already past (that would start over at once).
    Status st2 = secrets_.PostponeRotation(arn, run.now_ms);
    if (!st2.ok()) spdlog::warn("rotation of {}: cannot postpone: {}", arn, st2.message());
  }
  // AWSPENDING stays: the next scheduled run takes that rotation over.
  Reschedule(run, next_scheduled(), Payload{});
  return Status::Ok();
}

Status RotationRunner::RunSteps(const View& view, const Payload& p, jobs::JobRun& run,
                                bool* stopped) {
  // A run that ends before its next step (not a failure of the function).
  const auto Stopped = [stopped](std::string why) {
    *stopped = true;
    return Status(ErrorCode::kInvalidRequest, std::move(why));
  };
  ARCANA_ASSIGN_OR_RETURN(auto fn, FindFunction(view.lambda_arn));
  if (!fn) return Status(ErrorCode::kInternalFailure, "function " + view.lambda_arn + " is not registered");
  // Checked at every run, whatever the accounts: the function's policy may have changed
  // since RotateSecret (RemovePermission).
  if (!SecretsManagerMayInvoke(*fn, view.account, view.arn)) {
    return Status(ErrorCode::kInternalFailure,
                  "function " + fn->name + " of account " + fn->account +
                      " does not let Secrets Manager invoke it for " + view.arn +
                      " (its policy)");
  }
  domain::iam::Session session;
  if (!view.external_role_arn.empty()) {
    // A managed external secret: its type's managed rotator runs as the role the secret names
    // (ExternalSecretRotationRoleArn), checked again at every run as the role may have changed.
    ARCANA_ASSIGN_OR_RETURN(session, ExternalRotationSession(identities_, view.account,
                                                             view.external_role_arn, view.arn));
  } else if (auto role_arn = DeclaredRole(*fn)) {
    // A function made through the Lambda API runs as the execution role it declared, as in
    // AWS: what it may do (read a master secret, call other services) is what that role's
    // policies allow, never more. Secrets Manager's own part is only to invoke it.
    ARCANA_ASSIGN_OR_RETURN(session, ExecutionRoleSession(identities_, *fn, *role_arn));
  } else {
    // A function registered with the CLI declares no role: Arcana's own service session,
    // allowed only what a rotation role needs on this secret (and the master secrets its
    // registration names).
    session.kind = "service";
    session.subject = kRotationRole;
    session.session_name = fn->name;  // a role session name has no ':' (managed rotators)
    std::replace(session.session_name.begin(), session.session_name.end(), ':', '.');
    session.policies = {rot::RotationSessionPolicy(
        view.arn, view.region, rot::MasterSecretsOf(rot::DecodeEnv(fn->env_json)))};
  }
  if (p.mode == "test") ARCANA_RETURN_IF_ERROR(secrets_.BeginRotation(view.arn, p.token, run.now_ms));
  const int64_t seconds = std::max<int64_t>(kMinSessionSeconds, 4 * fn->timeout_s + 60);
  ARCANA_ASSIGN_OR_RETURN(auth::IssuedKey key,
                          identities_.CreateSession(
                              session.kind == "role" ? fn->account : view.account, session,
                              run.now_ms, seconds));
  Invocation call;
  call.runtime_env = {{"AWS_ACCESS_KEY_ID", key.access_key_id},
                      {"AWS_SECRET_ACCESS_KEY", key.secret_access_key},
                      {"AWS_SESSION_TOKEN", key.session_token},
                      {"AWS_REGION", view.region},
                      {"AWS_DEFAULT_REGION", view.region},
                      {"AWS_ENDPOINT_URL", opts_.endpoint_url},
                      {"SECRETS_MANAGER_ENDPOINT", opts_.endpoint_url},
                      {"AWS_LAMBDA_FUNCTION_NAME", fn->name}};
  if (!view.external_role_arn.empty()) {
    // The partner's metadata, as the rotator's one JSON object (the rotator's boto3 may
    // predate DescribeSecret's ExternalSecretRotationMetadata).
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    for (const auto& m : view.external_metadata) json::KV(w, m.key.c_str(), m.value);
    w.EndObject();
    call.runtime_env[kExternalMetadataVariable] = json::Finish(buf);
  }
  // The CAs this node trusts for outbound HTTPS (ARCANA_CA_CERT, as event deliveries use it)
  // are what a managed rotator trusts for the partner's service (Python's ssl reads
  // SSL_CERT_FILE); unset, the system's.
  if (const char* ca = std::getenv("ARCANA_CA_CERT"); ca != nullptr && fn->kind == rot::kKindBuiltin) {
    call.runtime_env["SSL_CERT_FILE"] = ca;
  }
  // Sensitive as the credentials: the function's output never shows it.
  std::string rotation_token = secrets_.RotationTokenOf(view.arn, p.token);
  call.redact = {key.secret_access_key, key.session_token, rotation_token};
  call.cancelled = run.should_stop;  // a stopping node does not wait for the function's end
  // The guard AWS's templates run, applied by the engine too: why the run ends here (a
  // cancelled rotation, a secret gone, a placeholder gone, an abandoned rotation), or nullopt.
  const auto StopReason = [&]() -> Result<std::optional<std::string>> {
    ARCANA_ASSIGN_OR_RETURN(auto now_view, secrets_.RotationViewOf(view.arn, p.token));
    if (!now_view || now_view->deleted || !now_view->enabled) {
      return std::optional<std::string>("rotation was cancelled or the secret is gone");
    }
    if (now_view->token_current) return std::optional<std::string>();
    if (now_view->pending_version != p.token) {
      return std::optional<std::string>("the AWSPENDING version " + p.token + " is gone");
    }
    // The new value is built from the AWSCURRENT the run began with: another version made
    // current meanwhile (a manual PutSecretValue abandons the rotation) must not be replaced
    // by it, even when a step still running labelled the version AWSPENDING again.
    if (now_view->current_version != view.current_version) {
      // Its AWSPENDING goes too, or the scheduled run would take that stale version over.
      Status dropped = secrets_.DropPlaceholder(view.arn, p.token);
      if (!dropped.ok()) {
        spdlog::warn("rotation of {}: AWSPENDING kept: {}", view.arn, dropped.message());
      }
      return std::optional<std::string>(
          "AWSCURRENT moved to another version: the rotation was abandoned");
    }
    return std::optional<std::string>();
  };
  Status result = Status::Ok();
  for (const char* step : kSteps) {
    if (p.mode == "test" && std::string_view(step) != "testSecret") continue;
    if (run.should_stop()) {
      result = Stopped("the node is stopping");
      break;
    }
    ARCANA_ASSIGN_OR_RETURN(auto why, StopReason());
    if (why) {
      result = Stopped(*why);
      break;
    }
    call.step = step;
    call.event_json = EventJson(view.arn, p.token, rotation_token, step);
    // A step may take minutes (a database password change over the network, a function's
    // own retries), longer than a root rotation waits for the holds taken before it. This
    // thread uses no root key while it waits (the session key above is committed; the
    // function's calls back take holds of their own), so the run's hold is given back
    // meanwhile and one of the then-current generation taken after it.
    run.ReleaseRootHold();
    result = invoker_.Invoke(*fn, call);
    if (!run.RetakeRootHold()) {
      result = Stopped(std::string(step) + ": the server was sealed");
      break;
    }
    if (!result.ok() && run.should_stop()) {
      result = Stopped(std::string(step) + ": the node is stopping");
      break;
    }
    if (!result.ok()) {
      // A step that failed because the rotation was cancelled or abandoned meanwhile (the
      // template's own guard raises then) is a stop, not the function's failure.
      ARCANA_ASSIGN_OR_RETURN(auto why_failed, StopReason());
      result = why_failed ? Stopped(std::string(step) + ": " + *why_failed)
                          : Status(result.code(), std::string(step) + ": " + result.message());
      break;
    }
  }
  if (result.ok() && p.mode == "rotate") {
    ARCANA_ASSIGN_OR_RETURN(auto after, secrets_.RotationViewOf(view.arn, p.token));
    if (!after || !after->token_current) {
      ARCANA_ASSIGN_OR_RETURN(auto why, StopReason());
      result = why ? Stopped(*why)
                   : Status(ErrorCode::kInternalFailure,
                            "finishSecret returned but version " + p.token + " is not AWSCURRENT");
    }
  }
  crypto::SecureWipe(key.secret_access_key);
  crypto::SecureWipe(key.session_token);
  crypto::SecureWipe(rotation_token);
  crypto::SecureWipe(call.event_json);
  for (auto& [k, v] : call.runtime_env) crypto::SecureWipe(v);
  for (auto& s : call.redact) crypto::SecureWipe(s);
  return result;
}

}  // namespace arcana::rotation
