#include "services/lambda/lambda_encode.h"

#include <cstdio>

#include "common/civil_time.h"

#include "crypto/base64.h"
#include "crypto/hash.h"
#include "domain/rotation/function_spec.h"
#include "rotation/builtin_rotators.h"

namespace arcana::services::lambda {

namespace rot = domain::rotation;

std::string EncodeAttributes(const LambdaAttributes& a) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "Runtime", a.runtime);
  json::KV(w, "Role", a.role);
  json::KV(w, "Description", a.description);
  w.Key("MemorySize");
  w.Int64(a.memory_mb);
  json::KV(w, "CodeSha256", a.code_sha256);
  w.Key("CodeSize");
  w.Int64(a.code_size);
  if (!a.log_format.empty()) json::KV(w, "LogFormat", a.log_format);
  if (!a.log_group.empty()) json::KV(w, "LogGroup", a.log_group);
  if (!a.application_log_level.empty()) json::KV(w, "ApplicationLogLevel", a.application_log_level);
  if (!a.system_log_level.empty()) json::KV(w, "SystemLogLevel", a.system_log_level);
  if (a.modified_ms != 0) {
    w.Key("ModifiedMs");
    w.Int64(a.modified_ms);
  }
  w.EndObject();
  return json::Finish(buf);
}

LambdaAttributes AttributesOf(const storage::RotationFunction& f) {
  LambdaAttributes a;
  rapidjson::Document doc;
  if (!f.lambda_json.empty() && json::ParseBounded(f.lambda_json, &doc).ok() && doc.IsObject()) {
    json::Input in(doc);
    a.runtime = in.Str("Runtime").value_or("");
    a.role = in.Str("Role").value_or("");
    a.description = in.Str("Description").value_or("");
    a.memory_mb = in.Int("MemorySize").value_or(128);
    a.code_sha256 = in.Str("CodeSha256").value_or("");
    a.code_size = in.Int("CodeSize").value_or(0);
    a.log_format = in.Str("LogFormat").value_or("");
    a.log_group = in.Str("LogGroup").value_or("");
    a.application_log_level = in.Str("ApplicationLogLevel").value_or("");
    a.system_log_level = in.Str("SystemLogLevel").value_or("");
    a.modified_ms = in.Int("ModifiedMs").value_or(0);
    return a;
  }
  // Registered with `arcana functions create`: no package; the digest names the registration
  // (kind and target) without showing the target.
  const bool python = f.kind == rot::kKindPython || f.kind == rot::kKindBuiltin;
  a.runtime = python ? "python3.11" : "provided";
  a.role = "arn:aws:iam::" + f.account + ":role/arcana-rotation";
  a.description = "Registered with arcana functions create --" + f.kind;
  a.code_sha256 = crypto::Base64Encode(crypto::Sha256(f.kind + ":" + f.target + ":" + f.handler));
  return a;
}

std::string LambdaTimestamp(int64_t ms) {
  char millis[16];
  std::snprintf(millis, sizeof(millis), ".%03d+0000", static_cast<int>(ms % 1000));
  return FormatUtc(ms / 1000, "%Y-%m-%dT%H:%M:%S") + millis;
}

std::string RevisionOf(const storage::RotationFunction& f, ConfigurationOf when) {
  // Each field length-prefixed, so that no two different functions hash the same text.
  std::string all;
  for (const std::string* s : {&f.account, &f.region, &f.name, &f.kind, &f.target, &f.handler,
                               &f.env_json, &f.lambda_json, &f.policy}) {
    all += std::to_string(s->size()) + ":" + *s;
  }
  all += std::to_string(f.timeout_s) + ":" + std::to_string(f.created_ms);
  if (when == ConfigurationOf::kCreate) all += ":Pending";
  if (when == ConfigurationOf::kUpdate) all += ":InProgress";
  std::string hex = crypto::HexEncode(crypto::Sha256(all)).substr(0, 32);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

Status CheckRevision(const json::Input& in, const storage::RotationFunction& f) {
  auto asked = in.Str("RevisionId");
  if (!asked || *asked == RevisionOf(f)) return Status::Ok();
  // AWS's words for AddPermission, RemovePermission and the updates alike
  // (TestLambdaPermissions::test_lambda_permission_revisions, TestLambdaFunction::
  // test_function_revisions_basic).
  return Status(ErrorCode::kPreconditionNotMet,
                "The Revision Id provided does not match the latest Revision Id. Call the "
                "GetFunction/GetAlias API to retrieve the latest Revision Id");
}

void WriteConfiguration(json::Writer& w, const storage::RotationFunction& f,
                        ConfigurationOf when) {
  const LambdaAttributes a = AttributesOf(f);
  w.StartObject();
  json::KV(w, "FunctionName", f.name);
  json::KV(w, "FunctionArn", rot::LambdaArnOf(f.region, f.account, f.name));
  json::KV(w, "Runtime", a.runtime);
  json::KV(w, "Role", a.role);
  std::string handler = f.handler;
  if (f.kind == rot::kKindBuiltin) {
    if (auto b = rotation::FindBuiltinRotator(f.target)) handler = std::string(b->module) + ".lambda_handler";
  }
  if (!handler.empty()) json::KV(w, "Handler", handler);
  w.Key("CodeSize");
  w.Int64(a.code_size);
  json::KV(w, "Description", a.description);
  w.Key("Timeout");
  w.Int64(f.timeout_s);
  w.Key("MemorySize");
  w.Int64(a.memory_mb);
  json::KV(w, "LastModified", LambdaTimestamp(a.modified_ms != 0 ? a.modified_ms : f.created_ms));
  json::KV(w, "CodeSha256", a.code_sha256);
  json::KV(w, "Version", "$LATEST");
  json::KV(w, "RevisionId", RevisionOf(f, when));
  // AWS answers LoggingConfig with every configuration, {"LogFormat":"Text","LogGroup":
  // "/aws/lambda/NAME"} by default (LocalStack's AWS-validated snapshots, e.g.
  // TestLambdaFunction::test_function_lifecycle; the API reference names that default group).
  w.Key("LoggingConfig");
  w.StartObject();
  json::KV(w, "LogFormat", a.log_format.empty() ? std::string("Text") : a.log_format);
  if (!a.application_log_level.empty()) json::KV(w, "ApplicationLogLevel", a.application_log_level);
  if (!a.system_log_level.empty()) json::KV(w, "SystemLogLevel", a.system_log_level);
  json::KV(w, "LogGroup", a.log_group.empty() ? "/aws/lambda/" + f.name : a.log_group);
  w.EndObject();
  const rot::EnvVars env = rot::DecodeEnv(f.env_json);
  if (!env.empty()) {
    w.Key("Environment");
    w.StartObject();
    w.Key("Variables");
    w.StartObject();
    for (const auto& [k, v] : env) json::KV(w, k.c_str(), v);
    w.EndObject();
    w.EndObject();
  }
  w.Key("TracingConfig");
  w.StartObject();
  json::KV(w, "Mode", "PassThrough");
  w.EndObject();
  if (when == ConfigurationOf::kCreate) {
    json::KV(w, "State", "Pending");
    json::KV(w, "StateReason", "The function is being created.");
    json::KV(w, "StateReasonCode", "Creating");
  } else if (when == ConfigurationOf::kUpdate) {
    json::KV(w, "State", "Active");
    json::KV(w, "LastUpdateStatus", "InProgress");
    json::KV(w, "LastUpdateStatusReason", "The function is being created.");
    json::KV(w, "LastUpdateStatusReasonCode", "Creating");
  } else {
    json::KV(w, "State", "Active");
    json::KV(w, "LastUpdateStatus", "Successful");
  }
  json::KV(w, "PackageType", "Zip");
  w.Key("Architectures");
  json::WriteStringList(w, {"x86_64"});
  w.Key("EphemeralStorage");
  w.StartObject();
  w.Key("Size");
  w.Int(512);
  w.EndObject();
  // AWS answers SnapStart with every configuration (LocalStack's AWS-validated snapshots,
  // test_lambda_api.py::TestLambdaFunction::test_function_lifecycle and others), "None"/"Off"
  // for a function without it; SnapStart is not served, so that is what every function has.
  w.Key("SnapStart");
  w.StartObject();
  json::KV(w, "ApplyOn", "None");
  json::KV(w, "OptimizationStatus", "Off");
  w.EndObject();
  w.EndObject();
}

}  // namespace arcana::services::lambda
