// The rotation engine: runs AWS's four-step rotation protocol (createSecret, setSecret,
// testSecret, finishSecret; spec 6.3) against registered functions (function_invoker.h), as
// durable leased jobs so that with several nodes on one store each run happens once.
//
// One job per secret, "rotation:<secret ARN>", payload {"token","mode","failures"}:
//  - RotateSecret (RotationLauncher::Start) makes it due now with the token of the AWSPENDING
//    placeholder the service just committed; mode "rotate" runs the four steps, mode "test"
//    (RotateImmediately=false) adds the placeholder, runs testSecret, and drops it again.
//  - With no token it is the scheduled rotation: due at the start of the next rotation window
//    (NextRotationDate is that window's end), it adds a placeholder under a new token (or
//    takes over a pending one left by an abandoned run) and rotates. Its due time follows the
//    schedule when a manual value update moves it (ScheduleAt); a run that finds the window
//    later than its due time (another node's update) waits for the window.
//  - While the secret is scheduled for deletion the job waits as it is (a retry keeps its
//    token and count) until the deletion date, then goes with the secret; RestoreSecret makes
//    it due again (Resume), so a restored secret rotates on its schedule and a pending retry
//    runs. A node dying between RestoreSecret's commit and Resume leaves the job waiting
//    until the old deletion date, when it finds the secret restored and goes on.
//  - Each invocation gets fresh STS session credentials, AWS_REGION / AWS_DEFAULT_REGION, and
//    AWS_ENDPOINT_URL / SECRETS_MANAGER_ENDPOINT = this node. A function made through the
//    Lambda API runs as the execution role it declared (CreateFunction's Role), as Lambda runs
//    it: a session of that role, with the role's policies and boundary only, named after the
//    function; the role must exist in the function's account and trust lambda.amazonaws.com
//    (checked at every run; otherwise the run fails, the function not invoked); such a
//    function, of the secret's account or another, only when its policy lets Secrets Manager
//    invoke it for the secret (SecretsManagerMayInvoke, checked at RotateSecret and every
//    run), as AWS requires. A function
//    registered with the CLI declares no role: it rotates the secrets of its own account (of
//    another, only through its policy, as above); its session is Arcana's own, allowed only what
//    a rotation role needs on that secret, plus GetSecretValue on the master secrets its
//    registration names (domain/rotation: RotationSessionPolicy, MasterSecretsOf).
//  - A managed external secret (domain/secretsmanager/external_secrets.h) has no function: its
//    type's managed rotator runs, as a session of the secret's ExternalSecretRotationRoleArn
//    (ExternalRotationSession: the role must still trust secretsmanager.amazonaws.com at every
//    run), with the secret's rotation metadata as ARCANA_ROTATION_METADATA (a JSON object).
//    Managed rotators also get SSL_CERT_FILE = ARCANA_CA_CERT when this node has one.
//  - Before every step the secret is read again: rotation disabled (CancelRotateSecret), the
//    secret deleted, the placeholder gone or AWSCURRENT moved to another version since the
//    run began ends the run. After finishSecret the token's version must hold AWSCURRENT,
//    else the run failed.
//  - A manual new version (PutSecretValue / UpdateSecret) abandons the rotation in progress,
//    as AWS does: the service takes AWSPENDING off its version and calls Abandon, which
//    records RotationAbandoned and turns the job back into the scheduled rotation (a retry
//    never resumes that token); a running step's function may still finish, but no further
//    step runs, so a value built from the old AWSCURRENT never becomes current.
//  - Success: LastRotatedDate = now, NextRotationDate from the rules; the job waits for that
//    window's start (or goes, when there is no schedule). Audit: RotationStarted / RotationSucceeded.
//  - Failure (a step failed, timed out, the function is not registered): AWSCURRENT is
//    untouched and AWSPENDING stays for the retry; RotationFailed is audited (with the
//    reason, never a value) and the run is retried after retry_base * 2^(failures-1), up to
//    max_attempts runs; then RotationAbandoned, NextRotationDate moves to the next window
//    counted from now, and the pending rotation is reattempted at
//    the next scheduled date (RotateSecret meanwhile answers that one is in progress).
//  - A RotateSecret that lands while a run ends (its Start rewrote the job) is run next, not
//    dropped by the end of this run: the run's completion keeps a reschedule made meanwhile
//    (JobStore::CompleteJob compares the job's generation), and the scheduler claims it at once.
// Runs are parallel jobs (RotationOptions::parallel per node, each on its own thread), so a
// long rotation does not delay the node's other jobs. While a step's function runs, the run
// holds no root-key hold (jobs::JobRun::ReleaseRootHold), so a root rotation (rotate-root)
// completes meanwhile rather than rolling back after waiting for it; a server sealed by the
// step's end hands the run back, not completed, for after the unseal. A stopping node kills
// the running step's function and hands the run back. Known limit: a CancelRotateSecret racing the end
// of a run may leave the job row behind, which its next claim drops (rotation is disabled
// by then). ScheduleAt and Resume read the job and then write it: a RotateSecret committed
// in between (right after a restore or a manual update) can have its run turned into the
// scheduled rotation, which takes that pending version over at the next window.
// Thread-safety: Start/ScheduleAt/Resume/Stop/CheckFunction from any thread; RunJob from the
// scheduler.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "auth/identity_resolver.h"
#include "jobs/scheduler.h"
#include "rotation/function_invoker.h"
#include "services/secretsmanager/secrets_manager.h"
#include "storage/function_store.h"
#include "storage/job_store.h"

namespace arcana::rotation {

inline constexpr const char* kJobPrefix = "rotation:";

struct RotationOptions {
  std::string endpoint_url;  // this node, as the functions call it back
  std::chrono::milliseconds retry_base{30'000};
  int max_attempts = 5;
  // Rotations this node runs at once, each on its own thread (they wait on functions and
  // databases; the node's other jobs go on meanwhile).
  size_t parallel = 4;
};

// What the engine reports of its own actions, for the audit trail and the event bus.
struct RotationReport {
  const char* event;  // "RotationStarted", "RotationSucceeded", "RotationFailed", "RotationAbandoned"
  const std::string& secret_arn;
  const std::string& account;
  const std::string& region;
  const std::string& version_id;  // the rotation's token (AWSPENDING version)
  std::string failure;  // RotationFailed: "<step>: <why>" (never a secret value or output)
};
using RotationReporter = std::function<void(const RotationReport&)>;

class RotationRunner : public services::sm::RotationLauncher {
 public:
  RotationRunner(services::sm::SecretsManagerService& secrets, storage::FunctionStore& functions,
                 storage::JobStore& jobs, const auth::IdentityResolver& identities,
                 const FunctionInvoker& invoker, RotationReporter report, RotationOptions options);

  // Handles the "rotation:" jobs of `scheduler`; Start() wakes it.
  void Register(jobs::Scheduler& scheduler);

  Status CheckFunction(const std::string& lambda_arn, const std::string& secret_account,
                       const std::string& secret_arn) override;
  Status CheckExternalRole(const std::string& role_arn, const std::string& secret_account,
                           const std::string& secret_arn) override;
  Status Start(const std::string& secret_arn, const std::string& token, bool test_only,
               int64_t now_ms) override;
  Status ScheduleAt(const std::string& secret_arn, int64_t due_ms) override;
  Status Abandon(const std::string& secret_arn, const std::string& version_id) override;
  Status Resume(const std::string& secret_arn, int64_t now_ms) override;
  Status Stop(const std::string& secret_arn) override;

  Status RunJob(jobs::JobRun& run);

 private:
  struct Payload {
    std::string token;
    std::string mode = "rotate";  // "rotate" | "test"
    int64_t failures = 0;
  };
  static Payload Decode(const std::string& text);
  // The registered function a RotationLambdaARN names, or the managed rotator that
  // ...:function:arcana:ROTATOR names (builtin_rotators.h; defaults, no master secret);
  // nullopt when none.
  Result<std::optional<storage::RotationFunction>> FindFunction(const std::string& lambda_arn);
  static std::string Encode(const Payload& p);
  // Runs the steps; Ok when every step succeeded (and finishSecret moved AWSCURRENT).
  // *stopped: the run ended before a step because it was cancelled, the secret is gone or
  // the node stops (an error, but not the function's failure).
  Status RunSteps(const services::sm::SecretsManagerService::RotationView& view,
                  const Payload& p, jobs::JobRun& run, bool* stopped);
  // After a run: the job's next due time and payload (the next scheduled rotation, a retry,
  // or none).
  static void Reschedule(jobs::JobRun& run, std::optional<int64_t> due, const Payload& p);

  services::sm::SecretsManagerService& secrets_;
  storage::FunctionStore& functions_;
  storage::JobStore& jobs_;
  const auth::IdentityResolver& identities_;
  const FunctionInvoker& invoker_;
  RotationReporter report_;
  RotationOptions opts_;
  jobs::Scheduler* scheduler_ = nullptr;
};

}  // namespace arcana::rotation
