// RotateSecret / CancelRotateSecret, and the secret-side steps of a rotation run that the
// rotation engine (rotation/rotation_runner.h, through RotationLauncher) drives: the
// AWSPENDING placeholder, LastRotatedDate / NextRotationDate. The engine runs the function;
// everything that changes a secret's versions or labels stays here.
#include "domain/rotation/function_spec.h"
#include "domain/secretsmanager/external_secrets.h"
#include "domain/secretsmanager/names.h"
#include "domain/secretsmanager/rotation_rules.h"
#include "domain/secretsmanager/rotation_schedule.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "services/common/write_retry.h"
#include "services/secretsmanager/secrets_manager.h"
#include "services/secretsmanager/sm_encode.h"

namespace arcana::services::sm {

namespace dsm = domain::sm;

namespace {

Status NotFound() {
  return Status(ErrorCode::kResourceNotFound, "Secrets Manager can't find the specified secret.");
}

Status InProgress() {
  return Status(ErrorCode::kInvalidRequest,
                "A previous rotation isn't complete. That rotation will be reattempted.");
}

// Adds the empty AWSPENDING version `token` (the "empty version" of AWS's rotation
// protocol: GetSecretValue on it is ResourceNotFound, PutSecretValue with the token fills
// it). AWSPENDING leaves the version it sat on (only ever the current one here).
Status AddPlaceholder(Secret& s, const std::string& token, int64_t now_ms) {
  if (s.FindVersion(token) != nullptr) {
    return Status(ErrorCode::kInvalidRequest,
                  "A version with the ClientRequestToken " + token + " already exists.");
  }
  for (auto& v : s.versions) std::erase(v.stages, std::string(dsm::kPending));
  SecretVersion v;
  v.version_id = token;
  v.stages = {dsm::kPending};
  v.created_ms = now_ms;
  s.versions.push_back(std::move(v));
  return Status::Ok();
}

}  // namespace

Result<std::string> SecretsManagerService::RotateSecret(const In& in, const CallContext& ctx) {
  // The token becomes the new version's id. AWS answers its absence (a raw request; SDKs
  // fill it) with InvalidParameterException here, unlike the other writers.
  if (!in.Str("ClientRequestToken")) {
    return dsm::MissingClientRequestToken(ErrorCode::kInvalidParameter);
  }
  const std::string token = *in.Str("ClientRequestToken");
  const bool immediately = in.Bool("RotateImmediately").value_or(true);
  dsm::RotationRules rules;
  bool rules_given = false;
  if (const auto* r = in.Get("RotationRules")) {
    json::Input ri(*r);
    rules.automatically_after_days = ri.Int("AutomaticallyAfterDays");
    rules.schedule_expression = ri.Str("ScheduleExpression");
    rules.duration = ri.Str("Duration");
    ARCANA_RETURN_IF_ERROR(dsm::ValidateRotationRules(rules));
    rules_given = true;
  }
  // A managed external secret's rotation (domain/secretsmanager/external_secrets.h).
  const std::optional<std::string> lambda_given = in.Str("RotationLambdaARN");
  const std::optional<std::string> role_given = in.Str("ExternalSecretRotationRoleArn");
  std::optional<std::vector<dsm::MetadataItem>> metadata_given;
  if (const auto* m = in.Get("ExternalSecretRotationMetadata"); m != nullptr && m->IsArray()) {
    metadata_given.emplace();
    for (const auto& item : m->GetArray()) {
      json::Input ii(item);
      metadata_given->push_back({ii.Str("Key").value_or(""), ii.Str("Value").value_or("")});
    }
  }
  if (lambda_given && (role_given || metadata_given)) {
    return Status(ErrorCode::kInvalidParameter,
                  "You can't specify RotationLambdaARN together with "
                  "ExternalSecretRotationRoleArn or ExternalSecretRotationMetadata: a secret "
                  "rotates with a Lambda function or as a managed external secret.");
  }
  std::string arn;
  ARCANA_ASSIGN_OR_RETURN(std::string body, RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(Secret s, LoadWritable(ctx, in.Str("SecretId").value_or("")));
    ARCANA_RETURN_IF_ERROR(RefuseManaged(s));
    auto& rot = s.rotation;
    // External when the call says so, or when it names no function and the secret either
    // rotates that way already or is of a type Arcana rotates so.
    const bool external =
        !lambda_given && (role_given || metadata_given ||
                          (rot.lambda_arn.empty() && (!rot.external_role_arn.empty() ||
                                                      dsm::ExternalRotatorFor(s.type))));
    std::string lambda;
    std::string role;
    std::vector<dsm::MetadataItem> metadata;
    if (external) {
      if (!dsm::ExternalRotatorFor(s.type)) {
        return Status(ErrorCode::kInvalidRequest,
                      "This secret's type (" + (s.type.empty() ? std::string("none") : s.type) +
                          ") is no managed external secret type that Arcana rotates (" +
                          dsm::ExternalRotationTypes() + "). Nothing was changed.");
      }
      metadata = metadata_given ? *metadata_given : rot.external_metadata;
      ARCANA_RETURN_IF_ERROR(dsm::ValidateExternalMetadata(s.type, metadata));
      role = role_given.value_or(rot.external_role_arn);
      if (role.empty()) {
        return Status(ErrorCode::kInvalidParameter,
                      "ExternalSecretRotationRoleArn is required to rotate a managed external "
                      "secret.");
      }
      // Validated at setup, as AWS does (and again at every run).
      if (launcher_ != nullptr) {
        ARCANA_RETURN_IF_ERROR(launcher_->CheckExternalRole(role, s.account, s.arn));
      }
    } else {
      lambda = lambda_given.value_or(rot.lambda_arn);
      if (lambda.empty()) {
        return Status(ErrorCode::kInvalidRequest,
                      "No Lambda rotation function ARN is associated with this secret.");
      }
      // Arcana's managed rotators (function:arcana:...) are no Lambda functions.
      if (!domain::rotation::ParseManagedRotatorArn(lambda)) {
        ARCANA_RETURN_IF_ERROR(AuthorizeInvoke(ctx, lambda));
      }
    }
    const SecretVersion* pending = s.FindStage(dsm::kPending);
    if (pending != nullptr && !pending->HasStage(dsm::kCurrent)) return InProgress();
    if (immediately && launcher_ == nullptr) {
      return Status(ErrorCode::kInvalidRequest,
                    "This server runs no rotations, so it cannot rotate now with " +
                        (external ? "the managed rotation of " + s.type : lambda) +
                        ". Call RotateSecret with RotateImmediately=false to store "
                        "the rotation schedule; nothing was changed.");
    }
    // Before anything changes, whether it rotates now or not: an unknown function leaves the
    // secret as it was. RotateImmediately=false too (AWS tests the configuration then), else
    // the schedule would be stored with a function every run of it fails to find.
    if (!external && launcher_ != nullptr) {
      ARCANA_RETURN_IF_ERROR(launcher_->CheckFunction(lambda, s.account, s.arn));
    }
    if (immediately) ARCANA_RETURN_IF_ERROR(AddPlaceholder(s, token, ctx.now_ms));
    rot.enabled = true;
    rot.lambda_arn = lambda;
    rot.external_role_arn = role;
    rot.external_metadata = std::move(metadata);
    if (rules_given) {
      rot.rules_set = true;
      rot.automatically_after_days = rules.automatically_after_days;
      rot.schedule_expression = rules.schedule_expression.value_or("");
      rot.duration = rules.duration.value_or("");
    }
    dsm::ScheduleFromPreviousRotation(rot, ctx.now_ms);
    s.last_changed_ms = ctx.now_ms;
    ARCANA_RETURN_IF_ERROR(Save(s, "RotateSecret"));
    arn = s.arn;
    return ArnNameBody(s, immediately ? token : "");
  }));
  // As AWS: the answer comes once the run is started, not finished.
  if (launcher_ != nullptr) {
    ARCANA_RETURN_IF_ERROR(launcher_->Start(arn, token, /*test_only=*/!immediately, ctx.now_ms));
  }
  return body;
}

Result<std::string> SecretsManagerService::CancelRotateSecret(const In& in,
                                                              const CallContext& ctx) {
  std::string arn;
  ARCANA_ASSIGN_OR_RETURN(std::string body, RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(Secret s, LoadWritable(ctx, in.Str("SecretId").value_or("")));
    s.rotation.enabled = false;
    s.rotation.next_rotation_ms.reset();
    s.rotation.next_window_start_ms.reset();
    s.last_changed_ms = ctx.now_ms;
    ARCANA_RETURN_IF_ERROR(Save(s, "CancelRotateSecret"));
    arn = s.arn;
    // The partly rotated version, if a rotation was left mid-way (AWSPENDING not on current).
    // As on AWS its label stays: the caller removes it (or moves AWSCURRENT to it).
    const SecretVersion* pending = s.FindStage(dsm::kPending);
    return ArnNameBody(s, pending != nullptr && !pending->HasStage(dsm::kCurrent)
                                 ? pending->version_id
                                 : "");
  }));
  // The run sees RotationEnabled=false before its next step; its job goes now.
  if (launcher_ != nullptr) ARCANA_RETURN_IF_ERROR(launcher_->Stop(arn));
  return body;
}

Result<std::optional<SecretsManagerService::RotationView>> SecretsManagerService::RotationViewOf(
    const std::string& arn, const std::string& token) {
  ARCANA_ASSIGN_OR_RETURN(auto s, store_.GetSecretByArn(arn));
  if (!s) return std::optional<RotationView>();
  RotationView v;
  v.arn = s->arn;
  v.account = s->account;
  v.region = s->region;
  v.lambda_arn = s->rotation.lambda_arn;
  if (v.lambda_arn.empty() && !s->rotation.external_role_arn.empty()) {
    // A managed external secret: its type's managed rotator, as the role it names.
    if (auto rotator = dsm::ExternalRotatorFor(s->type)) {
      v.lambda_arn = domain::rotation::LambdaArnOf(
          s->region, s->account, std::string(domain::rotation::kManagedRotatorPrefix) + *rotator);
    }
    v.external_role_arn = s->rotation.external_role_arn;
    v.external_metadata = s->rotation.external_metadata;
  }
  v.enabled = s->rotation.enabled.value_or(false);
  v.deleted = s->deleted_ms.has_value();
  v.deletion_ms = s->deleted_ms;
  v.next_rotation_ms = s->rotation.next_rotation_ms;
  // Records written before windows were kept: due at the window's end, as they were.
  v.next_window_start_ms = s->rotation.next_window_start_ms
                               ? s->rotation.next_window_start_ms
                               : s->rotation.next_rotation_ms;
  if (const SecretVersion* p = s->FindStage(dsm::kPending)) {
    v.pending_version = p->version_id;
    v.pending_is_current = p->HasStage(dsm::kCurrent);
  }
  if (const SecretVersion* t = s->FindVersion(token)) v.token_current = t->HasStage(dsm::kCurrent);
  if (const SecretVersion* c = s->FindStage(dsm::kCurrent)) v.current_version = c->version_id;
  return std::optional<RotationView>(std::move(v));
}

Status SecretsManagerService::BeginRotation(const std::string& arn, const std::string& token,
                                            int64_t now_ms) {
  return RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(auto s, store_.GetSecretByArn(arn));
    if (!s || s->deleted_ms) return NotFound();
    if (!s->rotation.enabled.value_or(false)) {
      return Status(ErrorCode::kInvalidRequest, "Rotation is not enabled for this secret.");
    }
    const SecretVersion* pending = s->FindStage(dsm::kPending);
    if (pending != nullptr && pending->version_id == token) return Status::Ok();
    if (pending != nullptr && !pending->HasStage(dsm::kCurrent)) return InProgress();
    ARCANA_RETURN_IF_ERROR(AddPlaceholder(*s, token, now_ms));
    return Save(*s, "RotateSecret");
  });
}

Status SecretsManagerService::RecordRotation(const std::string& arn, const std::string& token,
                                             int64_t now_ms) {
  return RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(auto s, store_.GetSecretByArn(arn));
    if (!s) return NotFound();
    s->rotation.last_rotated_ms = now_ms;
    dsm::ScheduleFromPreviousRotation(s->rotation, now_ms);
    // finishSecret (AWS's templates) only moves AWSCURRENT; AWSPENDING is taken off the new
    // current version once the rotation completes: "Our backend cleans up the pending label
    // on rotation completion, outside the rotation lambda" (AWS, aws-samples/aws-secrets-
    // manager-rotation-lambdas#145), and the user guide's finishSecret step ends with no
    // AWSPENDING. LocalStack's AWS-validated rotation tests expect ["AWSCURRENT"] alone.
    if (SecretVersion* v = s->FindVersion(token); v != nullptr && v->HasStage(dsm::kCurrent)) {
      std::erase(v->stages, std::string(dsm::kPending));
    }
    return Save(*s, "RotationSucceeded");
  });
}

Status SecretsManagerService::PostponeRotation(const std::string& arn, int64_t now_ms) {
  return RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(auto s, store_.GetSecretByArn(arn));
    if (!s) return NotFound();
    dsm::ScheduleFromNow(s->rotation, now_ms);
    return Save(*s, "RotationAbandoned");
  });
}

std::string SecretsManagerService::RotationTokenOf(const std::string& arn,
                                                   const std::string& token) const {
  return crypto::HexEncode(crypto::HmacSha256(rotation_token_key_, arn + "\n" + token));
}

Status SecretsManagerService::DropPlaceholder(const std::string& arn, const std::string& token) {
  return RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(auto s, store_.GetSecretByArn(arn));
    if (!s) return Status::Ok();
    SecretVersion* v = s->FindVersion(token);
    if (v == nullptr) return Status::Ok();
    if (v->has_value) {
      if (!v->HasStage(dsm::kPending)) return Status::Ok();
      std::erase(v->stages, std::string(dsm::kPending));
    } else {
      std::erase_if(s->versions, [&](const SecretVersion& x) { return x.version_id == token; });
    }
    return Save(*s, "RotateSecret");
  });
}

}  // namespace arcana::services::sm
