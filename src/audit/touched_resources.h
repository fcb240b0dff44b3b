// The resources a handler actually touched during one call, reported through the call's
// context (services::CallContext::Touch) instead of guessed from request member names:
// a batch read reports every secret it returned, a KMS call the key it resolved (not the
// alias it was given). They become the record's "resources" (audit/audit_event.h).
// Thread-safety: none; one per call, used by the worker thread handling it.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace arcana::audit {

struct Resource {
  std::string type;  // CloudTrail resource type: AWS::SecretsManager::Secret, AWS::KMS::Key, ...
  std::string arn;
  std::string account;
  // A batch call that answers 200 with per-item errors (BatchGetSecretValue): the error this
  // item was refused with ("" when served). Recorded in additionalEventData.refusedItems, so
  // that a refusal the call's own errorCode does not show is still in the trail.
  std::string refused_code = {};
  std::string refused_message = {};
};

inline constexpr const char* kSecretType = "AWS::SecretsManager::Secret";
inline constexpr const char* kKmsKeyType = "AWS::KMS::Key";
inline constexpr const char* kParameterType = "AWS::SSM::Parameter";
inline constexpr const char* kServiceSettingType = "AWS::SSM::ServiceSetting";
inline constexpr const char* kIamRoleType = "AWS::IAM::Role";
inline constexpr const char* kIamPolicyType = "AWS::IAM::Policy";
inline constexpr const char* kIamAccessKeyType = "AWS::IAM::AccessKey";

// The CloudTrail resource type of an IAM ARN (arn:aws:iam::ACCOUNT:user/..., role/, group/,
// policy/, instance-profile/, oidc-provider/, saml-provider/, server-certificate/, mfa/);
// nullptr for anything else ("*", another service's ARN).
inline const char* IamResourceType(std::string_view arn) {
  static constexpr std::pair<std::string_view, const char*> kTypes[] = {
      {"user/", "AWS::IAM::User"},
      {"role/", kIamRoleType},
      {"group/", "AWS::IAM::Group"},
      {"policy/", kIamPolicyType},
      {"instance-profile/", "AWS::IAM::InstanceProfile"},
      {"oidc-provider/", "AWS::IAM::OIDCProvider"},
      {"saml-provider/", "AWS::IAM::SAMLProvider"},
      {"server-certificate/", "AWS::IAM::ServerCertificate"},
      {"mfa/", "AWS::IAM::VirtualMFADevice"}};
  if (!arn.starts_with("arn:aws:iam::")) return nullptr;
  const size_t colon = arn.find(':', 13);
  if (colon == std::string_view::npos) return nullptr;
  const std::string_view resource = arn.substr(colon + 1);
  for (const auto& [prefix, type] : kTypes) {
    if (resource.starts_with(prefix)) return type;
  }
  return nullptr;
}

class TouchedResources {
 public:
  // A batch larger than this is still served; the record keeps the first kMax and says so.
  static constexpr size_t kMax = 1000;

  void Add(std::string type, std::string arn, std::string account) {
    for (const auto& r : items_) {
      if (r.arn == arn && r.type == type) return;  // reported by several steps of one call
    }
    if (items_.size() >= kMax) {
      truncated_ = true;
      return;
    }
    items_.push_back(Resource{std::move(type), std::move(arn), std::move(account)});
  }
  // The item arn, touched before, was refused with code/message (a per-item batch error).
  void MarkRefused(const std::string& arn, std::string code, std::string message) {
    for (auto& r : items_) {
      if (r.arn == arn) {
        r.refused_code = std::move(code);
        r.refused_message = std::move(message);
        return;
      }
    }
  }
  const std::vector<Resource>& items() const { return items_; }
  bool truncated() const { return truncated_; }

 private:
  std::vector<Resource> items_;
  bool truncated_ = false;
};

}  // namespace arcana::audit
