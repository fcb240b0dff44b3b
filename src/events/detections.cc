#include "events/detections.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/json.h"

namespace arcana::events {
namespace {

const rapidjson::Value* Obj(const rapidjson::Value& o, const char* key) {
  if (!o.IsObject()) return nullptr;
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsObject() ? &it->value : nullptr;
}

// The ARNs of the record's resources of type AWS::SecretsManager::Secret.
std::vector<std::string> Secrets(const rapidjson::Value& record) {
  std::vector<std::string> out;
  auto it = record.FindMember("resources");
  if (it == record.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& r : it->value.GetArray()) {
    if (json::StrField(r, "type") == "AWS::SecretsManager::Secret") out.push_back(json::StrField(r, "ARN"));
  }
  return out;
}

// The ARNs of additionalEventData.refusedItems (audit/audit_event.h) refused because the
// secret is marked for deletion.
std::vector<std::string> RefusedForDeletion(const rapidjson::Value& record) {
  std::vector<std::string> out;
  const rapidjson::Value* extra = Obj(record, "additionalEventData");
  if (extra == nullptr) return out;
  auto items = extra->FindMember("refusedItems");
  if (items == extra->MemberEnd() || !items->value.IsArray()) return out;
  for (const auto& item : items->value.GetArray()) {
    if (json::StrField(item, "errorCode") == "InvalidRequestException" &&
        json::StrField(item, "errorMessage").find("marked for deletion") != std::string::npos) {
      out.push_back(json::StrField(item, "ARN"));
    }
  }
  return out;
}

// {"eventName","eventID","principal","secretArn"?, extra...}
std::string Detail(const rapidjson::Value& record, const std::string& secret,
                   const std::vector<std::pair<const char*, std::string>>& extra) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "eventName", json::StrField(record, "eventName"));
  json::KV(w, "eventID", json::StrField(record, "eventID"));
  if (const auto* u = Obj(record, "userIdentity")) json::KV(w, "principal", json::StrField(*u, "arn"));
  if (!secret.empty()) json::KV(w, "secretArn", secret);
  for (const auto& [k, v] : extra) json::KV(w, k, v);
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace

bool IsAccessDenied(const std::string& code) {
  return code == "AccessDenied" || code == "AccessDeniedException";
}

std::vector<Event> Detector::Observe(const rapidjson::Value& record, int64_t now_ms) {
  std::vector<Event> out;
  if (!record.IsObject()) return out;
  const std::string name = json::StrField(record, "eventName");
  const std::string error = json::StrField(record, "errorCode");
  const std::string account = json::StrField(record, "recipientAccountId");
  const std::string region = json::StrField(record, "awsRegion");
  const bool sm = json::StrField(record, "eventSource") == "secretsmanager.amazonaws.com";
  const bool service_event = json::StrField(record, "eventType") == "AwsServiceEvent";
  auto emit = [&](const char* type, const std::string& resource, const std::string& detail) {
    out.push_back(MakeEvent(kDetectionSource, type, account, region, now_ms,
                            resource.empty() ? std::vector<std::string>{}
                                             : std::vector<std::string>{resource},
                            detail));
  };

  if (sm && name == "DeleteSecret" && error.empty()) {
    const auto* req = Obj(record, "requestParameters");
    bool force = req != nullptr && req->HasMember("forceDeleteWithoutRecovery") &&
                 (*req)["forceDeleteWithoutRecovery"].IsBool() &&
                 (*req)["forceDeleteWithoutRecovery"].GetBool();
    const char* type = force || service_event ? "Secret Deleted" : "Secret Scheduled For Deletion";
    for (const auto& arn : Secrets(record)) emit(type, arn, Detail(record, arn, {}));
  }
  if (sm && (name == "GetSecretValue" || name == "BatchGetSecretValue") &&
      error == "InvalidRequestException" &&
      json::StrField(record, "errorMessage").find("marked for deletion") != std::string::npos) {
    for (const auto& arn : Secrets(record)) emit("Pending Deletion Secret Read", arn, Detail(record, arn, {}));
  }
  // BatchGetSecretValue answers 200 and refuses items one by one: its record lists them.
  if (sm && name == "BatchGetSecretValue" && error.empty()) {
    for (const auto& arn : RefusedForDeletion(record)) {
      emit("Pending Deletion Secret Read", arn, Detail(record, arn, {}));
    }
  }
  if (sm && name == "GetSecretValue" && error.empty()) {
    const auto* req = Obj(record, "requestParameters");
    std::string stage = req ? json::StrField(*req, "versionStage") : "";
    std::string version = req ? json::StrField(*req, "versionId") : "";
    for (const auto& arn : Secrets(record)) {
      bool deprecated = stage == "AWSPREVIOUS";
      if (!deprecated && stage.empty() && !version.empty() && stages_) {
        auto stages = stages_(account, region, arn, version);
        deprecated = stages && std::find(stages->begin(), stages->end(), "AWSCURRENT") == stages->end() &&
                     std::find(stages->begin(), stages->end(), "AWSPENDING") == stages->end();
      }
      if (deprecated) {
        emit("Deprecated Secret Version Read", arn,
             Detail(record, arn, {{"versionStage", stage}, {"versionId", version}}));
      }
    }
  }
  if (IsAccessDenied(error) && denials_ != nullptr) {
    std::string principal;
    if (const auto* u = Obj(record, "userIdentity")) principal = json::StrField(*u, "arn");
    if (!principal.empty()) {
      auto count = [&] {
        return denials_->CountDenial(principal, now_ms, kDeniedWindowMs, kDeniedBucketMs,
                                     static_cast<int64_t>(kDeniedBurst));
      };
      auto fired = count();
      if (!fired.ok() && fired.status().code() == ErrorCode::kWriteConflict) fired = count();
      if (!fired.ok()) {
        spdlog::warn("events: an access denial to {} was not counted: {}", principal,
                     fired.status().message());
      } else if (*fired > 0) {
        emit("Denied Access Burst", principal,
             Detail(record, "", {{"deniedCalls", std::to_string(*fired)},
                                 {"windowSeconds", std::to_string(kDeniedWindowMs / 1000)}}));
      }
    }
  }
  return out;
}

Event RotationOutcomeEvent(const std::string& account, const std::string& region,
                           const std::string& secret_arn, const std::string& version_id,
                           bool succeeded, const std::string& step, const std::string& reason,
                           int64_t now_ms) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "secretArn", secret_arn);
  json::KV(w, "versionId", version_id);
  if (!succeeded) {
    json::KV(w, "step", step);
    json::KV(w, "reason", reason);
  }
  w.EndObject();
  return MakeEvent(kDetectionSource, succeeded ? "Secret Rotation Succeeded" : "Secret Rotation Failed",
                   account, region, now_ms, {secret_arn}, json::Finish(buf));
}

}  // namespace arcana::events
