// What RotateSecret and CancelRotateSecret need from the rotation engine
// (rotation/rotation_runner.h implements it): the service owns the secret's state
// (configuration, the AWSPENDING placeholder), the engine runs the function.
// Thread-safety: implementations are called from any request thread.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace arcana::services::sm {

class RotationLauncher {
 public:
  virtual ~RotationLauncher() = default;
  // Whether lambda_arn names a registered function: kAccessDenied with AWS's message when
  // it does not, as AWS answers an ARN naming no function; kInvalidRequest for a managed
  // rotator ARN (function:arcana:...) naming none. Nothing may have changed yet when this
  // is asked. A function of another account than the secret's (secret_account, secret_arn)
  // that runs as an execution role must let Secrets Manager invoke it for this secret (its
  // policy), else the same kAccessDenied.
  virtual Status CheckFunction(const std::string& lambda_arn, const std::string& secret_account,
                               const std::string& secret_arn) = 0;
  // Whether a managed external secret's rotation may run as role_arn (RotateSecret's
  // ExternalSecretRotationRoleArn): a role of the secret's account that Secrets Manager may
  // assume; kInvalidParameter otherwise. Asked before anything changes.
  virtual Status CheckExternalRole(const std::string& role_arn, const std::string& secret_account,
                                   const std::string& secret_arn) = 0;
  // Runs the rotation of secret_arn whose AWSPENDING version `token` exists, as a leased job
  // due now: all four steps, or only testSecret (then the placeholder is dropped).
  virtual Status Start(const std::string& secret_arn, const std::string& token, bool test_only,
                       int64_t now_ms) = 0;
  // The scheduled rotation of secret_arn is now due at due_ms (its schedule moved: a manual
  // value update counted as a rotation). A run already waiting with a token (one a
  // RotateSecret started, or a failed run's retry) is left as it is.
  virtual Status ScheduleAt(const std::string& secret_arn, int64_t due_ms) = 0;
  // A manual new version (PutSecretValue / UpdateSecret) abandoned the rotation whose
  // AWSPENDING version was version_id, AWSPENDING already taken off it and committed
  // (domain::sm::AbandonRotation): recorded as RotationAbandoned; a run of that rotation stops
  // before its next step and its retries are dropped, the scheduled rotation waits for the
  // secret's next window. Best effort after the commit: a run that still finds the job stops
  // at its next step anyway (the version lost AWSPENDING, AWSCURRENT moved).
  virtual Status Abandon(const std::string& secret_arn, const std::string& version_id) = 0;
  // RestoreSecret: the rotation of secret_arn goes on as it was when the secret was deleted
  // (a pending retry runs, a scheduled rotation waits for its window), due now_ms; with no
  // job left (a store that dropped it) the scheduled rotation is created.
  virtual Status Resume(const std::string& secret_arn, int64_t now_ms) = 0;
  // Stops the schedule and any run in progress (a running step finishes; no further step starts).
  virtual Status Stop(const std::string& secret_arn) = 0;
};

}  // namespace arcana::services::sm
