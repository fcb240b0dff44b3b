// Parameter Store references to Secrets Manager (spec 4.3):
// GetParameter(s) of /aws/reference/secretsmanager/<secret-id>[:<version-id-or-stage>] with
// WithDecryption=true answers the secret's value. A stateless pass-through: it calls the Secrets
// Manager service in-process with the caller's CallContext (so SM's rules, and its permissions
// once enforced, apply) and never stores anything.
#include <cctype>

#include <rapidjson/document.h>

#include "common/json.h"
#include "crypto/aead.h"
#include "domain/ssm/names.h"
#include "services/secretsmanager/secrets_manager.h"
#include "services/ssm/ssm_encode.h"
#include "services/ssm/ssm_service.h"

namespace arcana::services::ssm {

namespace {

constexpr std::string_view kReferencePrefix = "/aws/reference/secretsmanager/";

// AWS's text for a reference whose secret (or version) does not exist, as recorded from AWS:
// the reference without its leading slash, then the selector as written (":AWSPREVIOUS") or,
// when there is none, the word "null" that AWS's own code appends in its place.
Status SecretNotFound(const std::string& id, const std::string& selector) {
  return Status(ErrorCode::kParameterNotFound,
                "An error occurred (ParameterNotFound) when referencing Secrets Manager: Secret " +
                    std::string(kReferencePrefix.substr(1)) + id +
                    (selector.empty() ? "null" : ":" + selector) + " not found.");
}

// Splits "<secret-id>[:<selector>]"; a secret ARN has 6 colons of its own. Returns whether a
// selector separator was present (so "id:" is told apart from "id").
bool SplitSelector(std::string_view rest, std::string* id, std::string* selector) {
  size_t skip = rest.substr(0, 4) == "arn:" ? 6 : 0;
  size_t pos = 0;
  for (size_t i = 0; i < skip && pos != std::string_view::npos; ++i) {
    pos = rest.find(':', pos);
    if (pos != std::string_view::npos) ++pos;
  }
  size_t colon = pos == std::string_view::npos ? std::string_view::npos : rest.find(':', pos);
  *id = std::string(rest.substr(0, colon));
  *selector = colon == std::string_view::npos ? "" : std::string(rest.substr(colon + 1));
  return colon != std::string_view::npos;
}

bool IsStage(const std::string& s) {
  if (s.empty() || s.size() > 256) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
      return false;
    }
  }
  return true;
}

// SourceResult as AWS answers it: the GetSecretValue result with its member names in lower
// camel case ("name", "versionId", "secretString", "versionStages", "createdDate") except
// "ARN", which keeps its capitals (names whose first two letters are capitals keep them). An
// AWS-validated test reads source["name"] and source["ARN"] (localstack test_ssm.py
// test_get_secret_parameter); the capitalised names of Secrets Manager's own answer are not
// what Parameter Store returns.
std::string SourceResultOf(const rapidjson::Document& doc) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  for (const auto& m : doc.GetObject()) {
    std::string key(m.name.GetString(), m.name.GetStringLength());
    const bool acronym = key.size() > 1 && std::isupper(static_cast<unsigned char>(key[0])) &&
                         std::isupper(static_cast<unsigned char>(key[1]));
    if (!key.empty() && !acronym) {
      key[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(key[0])));
    }
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    m.value.Accept(w);
  }
  w.EndObject();
  return Finish(buf);
}

}  // namespace

bool SsmService::IsReference(std::string_view name) {
  return name.substr(0, kReferencePrefix.size()) == kReferencePrefix;
}

Status SsmService::GetReference(json::Writer& w, const std::string& raw, bool decrypt,
                                const CallContext& ctx) {
  std::string id, selector;
  bool has_selector =
      SplitSelector(std::string_view(raw).substr(kReferencePrefix.size()), &id, &selector);
  // Checked before WithDecryption, as AWS does: "id:" and "id:a:b" are not a selector.
  if (has_selector && (selector.empty() || selector.find(':') != std::string::npos)) {
    return Status(ErrorCode::kValidation,
                  "Invalid parameter name. Please use correct syntax for referencing a "
                  "version/label  <name>:<version/label>");
  }
  if (!decrypt) {
    return Status(ErrorCode::kValidation,
                  "WithDecryption flag must be True for retrieving a Secret Manager secret.");
  }
  if (id.empty() || secrets_manager_ == nullptr) return SecretNotFound(id, selector);
  const std::string name = std::string(kReferencePrefix) + id;
  // ssm:GetParameter on the reference itself, then (inside Secrets Manager, as the same
  // caller) secretsmanager:GetSecretValue on the secret.
  ARCANA_RETURN_IF_ERROR(
      AuthorizeParameter(ctx, domain::ssm::ParameterArn(ctx.region, ctx.account, name), nullptr));

  auto call = [&](const char* member) -> Result<std::string> {
    rapidjson::Document in;
    in.SetObject();
    auto& a = in.GetAllocator();
    in.AddMember("SecretId", rapidjson::Value(id.c_str(), a), a);
    if (member != nullptr) in.AddMember(rapidjson::StringRef(member), rapidjson::Value(selector.c_str(), a), a);
    return secrets_manager_->Call("GetSecretValue", in, ctx);
  };
  Result<std::string> out = Status(ErrorCode::kResourceNotFound, "");
  if (selector.empty()) {
    out = call(nullptr);
  } else {
    // A VersionId is 32-64 characters; anything else (and a miss) is tried as a stage.
    if (selector.size() >= 32 && selector.size() <= 64) out = call("VersionId");
    if (!out.ok() && IsStage(selector)) out = call("VersionStage");
  }
  if (!out.ok()) {
    if (out.status().code() == ErrorCode::kResourceNotFound) return SecretNotFound(id, selector);
    if (out.status().code() == ErrorCode::kInvalidRequest) {
      // E.g. a secret scheduled for deletion. SSM has no InvalidRequestException: AWS answers
      // with this ValidationException.
      return Status(ErrorCode::kValidation, "Invalid Request to Secrets Manager");
    }
    return out.status();
  }
  std::string result = std::move(out).value();
  rapidjson::Document doc;
  if (!json::ParseBounded(result, &doc).ok() || !doc.IsObject()) {
    crypto::SecureWipe(result);
    return Status(ErrorCode::kSsmInternalServerError, "unexpected GetSecretValue result");
  }
  auto str = [&](const char* k) -> std::string {
    auto it = doc.FindMember(k);
    return it != doc.MemberEnd() && it->value.IsString()
               ? std::string(it->value.GetString(), it->value.GetStringLength())
               : std::string();
  };
  std::string value = doc.HasMember("SecretString") ? str("SecretString") : str("SecretBinary");
  w.StartObject();
  json::KV(w, "Name", name);
  json::KV(w, "Type", "SecureString");
  json::KV(w, "Value", value);
  w.Key("Version");
  w.Int64(0);
  if (!selector.empty()) json::KV(w, "Selector", ":" + selector);
  std::string source = SourceResultOf(doc);
  json::KV(w, "SourceResult", source);
  crypto::SecureWipe(source);
  if (auto it = doc.FindMember("CreatedDate"); it != doc.MemberEnd() && it->value.IsNumber()) {
    w.Key("LastModifiedDate");
    w.Double(it->value.GetDouble());
  }
  json::KV(w, "ARN", str("ARN"));
  json::KV(w, "DataType", "text");
  w.EndObject();
  crypto::SecureWipe(value);
  crypto::SecureWipe(result);
  return Status::Ok();
}

}  // namespace arcana::services::ssm
