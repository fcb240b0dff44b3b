// RotateSecret / CancelRotateSecret: the rotation configuration is stored and answered
// wire-exactly. Running a rotation function belongs to the rotation engine (a later
// issue); until it exists, a RotateSecret that must run one now fails clearly and
// changes nothing, rather than pretending to rotate.
#include "domain/secretsmanager/names.h"
#include "domain/secretsmanager/rotation_rules.h"
#include "crypto/aead.h"
#include "services/secretsmanager/secrets_manager.h"
#include "services/secretsmanager/sm_encode.h"

namespace arcana::services::sm {

namespace dsm = domain::sm;

namespace {
}  // namespace

Result<std::string> SecretsManagerService::RotateSecret(const In& in, const CallContext& ctx) {
  // The token becomes the new version's id. AWS answers its absence (a raw request; SDKs
  // fill it) with InvalidParameterException here, unlike the other writers.
  if (!in.Str("ClientRequestToken")) {
    return dsm::MissingClientRequestToken(ErrorCode::kInvalidParameter);
  }
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
  std::lock_guard<std::mutex> lock(write_mu_);
  ARCANA_ASSIGN_OR_RETURN(Secret s, LoadWritable(ctx, in.Str("SecretId").value_or("")));
  std::string lambda = in.Str("RotationLambdaARN").value_or(s.rotation.lambda_arn);
  if (lambda.empty()) {
    return Status(ErrorCode::kInvalidRequest,
                  "No Lambda rotation function ARN is associated with this secret.");
  }
  const SecretVersion* pending = s.FindStage(dsm::kPending);
  if (pending != nullptr && !pending->HasStage(dsm::kCurrent)) {
    return Status(ErrorCode::kInvalidRequest,
                  "A previous rotation isn't complete. That rotation will be reattempted.");
  }
  if (in.Bool("RotateImmediately").value_or(true)) {
    return Status(ErrorCode::kInvalidRequest,
                  "This server cannot invoke rotation functions yet, so it cannot rotate now "
                  "with " + lambda + ". Call RotateSecret with RotateImmediately=false to store "
                  "the rotation schedule; nothing was changed.");
  }
  auto& rot = s.rotation;
  rot.enabled = true;
  rot.lambda_arn = lambda;
  if (rules_given) {
    rot.rules_set = true;
    rot.automatically_after_days = rules.automatically_after_days;
    rot.schedule_expression = rules.schedule_expression.value_or("");
    rot.duration = rules.duration.value_or("");
  }
  dsm::RotationRules current;
  current.automatically_after_days = rot.automatically_after_days;
  if (!rot.schedule_expression.empty()) current.schedule_expression = rot.schedule_expression;
  if (!rot.duration.empty()) current.duration = rot.duration;
  int64_t from_ms = rot.last_rotated_ms.value_or(ctx.now_ms);
  int64_t next = dsm::NextRotationDate(current, from_ms / 1000);
  if (next > 0) {
    rot.next_rotation_ms = next * 1000;
  } else {
    rot.next_rotation_ms.reset();
  }
  s.last_changed_ms = ctx.now_ms;
  ARCANA_RETURN_IF_ERROR(Save("RotateSecret", s));
  return ArnNameBody(s);
}

Result<std::string> SecretsManagerService::CancelRotateSecret(const In& in,
                                                              const CallContext& ctx) {
  std::lock_guard<std::mutex> lock(write_mu_);
  ARCANA_ASSIGN_OR_RETURN(Secret s, LoadWritable(ctx, in.Str("SecretId").value_or("")));
  s.rotation.enabled = false;
  s.rotation.next_rotation_ms.reset();
  s.last_changed_ms = ctx.now_ms;
  ARCANA_RETURN_IF_ERROR(Save("CancelRotateSecret", s));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "ARN", s.arn);
  json::KV(w, "Name", s.name);
  // The partly rotated version, if a rotation was left mid-way (AWSPENDING not on current).
  const SecretVersion* pending = s.FindStage(dsm::kPending);
  if (pending != nullptr && !pending->HasStage(dsm::kCurrent)) {
    json::KV(w, "VersionId", pending->version_id);
  }
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace arcana::services::sm
