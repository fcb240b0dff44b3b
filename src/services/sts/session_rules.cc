#include "services/sts/session_rules.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "auth/policy/policy.h"
#include "auth/policy/policy_cache.h"
#include "common/pattern.h"
#include "storage/identity_codec.h"

namespace arcana::services::sts {
namespace {

using auth::PolicySource;
using auth::Principal;
using domain::iam::Session;

// The tag of `tags` whose key equals `key` ignoring case (session tag keys are case
// insensitive in AWS), or tags.end().
std::map<std::string, std::string>::const_iterator FindTag(
    const std::map<std::string, std::string>& tags, const std::string& key) {
  const std::string lower = policy::LowerAscii(key);
  for (auto it = tags.begin(); it != tags.end(); ++it) {
    if (policy::LowerAscii(it->first) == lower) return it;
  }
  return tags.end();
}

}  // namespace

Status AccessDenied(const Principal& p, const std::string& action, const std::string& arn) {
  return Status(ErrorCode::kAccessDenied, "User: " + p.arn + " is not authorized to perform: " +
                                              action + " on resource: " + arn);
}

void WriteCredentials(json::Writer& w, const auth::IssuedKey& k) {
  w.Key("Credentials");
  w.StartObject();
  json::KV(w, "AccessKeyId", k.access_key_id);
  json::KV(w, "SecretAccessKey", k.secret_access_key);
  json::KV(w, "SessionToken", k.session_token);
  w.Key("Expiration");
  json::WriteTimestamp(w, k.expires_ms);
  w.EndObject();
}

namespace {
// Characters, not bytes: the models' lengths count Unicode characters.
size_t Utf8Length(std::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](unsigned char c) { return (c & 0xC0) != 0x80; }));
}
}  // namespace

Status CheckTokenSessionTags(const std::map<std::string, std::string>& tags,
                             std::string_view source) {
  static const auto kKey = pattern::Compile("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+", 64).pattern;
  static const auto kValue = pattern::Compile("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*", 64).pattern;
  auto invalid = [&](const std::string& why) {
    return Status(ErrorCode::kInvalidIdentityToken,
                  "The session tags of " + std::string(source) + " are invalid: " + why);
  };
  if (tags.size() > 50) return invalid("more than 50 tags");
  std::set<std::string> seen;
  for (const auto& [k, v] : tags) {
    const std::string key = k.substr(0, 128);  // bounded in the message: it is the IdP's text
    if (Utf8Length(k) > 128 || kKey == nullptr || !kKey->FullMatch(k)) {
      return invalid("tag key " + key +
                     " is not 1 to 128 characters of [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]");
    }
    if (Utf8Length(v) > 256 || kValue == nullptr || !kValue->FullMatch(v)) {
      return invalid("the value of tag " + key +
                     " is not up to 256 characters of [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]");
    }
    const std::string lower = policy::LowerAscii(k);
    if (lower.starts_with("aws:")) return invalid("tag keys may not start with aws:");
    if (!seen.insert(lower).second) {
      return invalid("duplicate tag keys found (tag keys are case insensitive)");
    }
  }
  return Status::Ok();
}

Status CheckSessionName(const std::string& name, const char* member) {
  for (unsigned char c : name) {
    if (std::isalnum(c) || c == '_' || c == '+' || c == '=' || c == ',' || c == '.' ||
        c == '@' || c == '-') {
      continue;
    }
    return Status(ErrorCode::kValidation,
                  "1 validation error detected: Value '" + name + "' at '" + member +
                      "' failed to satisfy constraint: Member must satisfy "
                      "regular expression pattern: [\\w+=,.@-]*");
  }
  return Status::Ok();
}

Status ParseRoleArn(const std::string& role_arn, std::string* account, std::string* name) {
  constexpr std::string_view kPrefix = "arn:aws:iam::";
  size_t colon = role_arn.find(':', kPrefix.size());
  if (!role_arn.starts_with(kPrefix) || colon == std::string::npos ||
      role_arn.compare(colon + 1, 5, "role/") != 0) {
    return Status(ErrorCode::kValidation, role_arn + " is invalid");
  }
  *account = role_arn.substr(kPrefix.size(), colon - kPrefix.size());
  *name = role_arn.substr(role_arn.rfind('/') + 1);
  return Status::Ok();
}

Result<policy::AppliedPolicy> Compile(const PolicySource& src) {
  // An AWS managed policy is compiled once for the process (ReadOnlyAccess's ~91,000
  // characters would otherwise be parsed on every AssumeRole of a caller that has it).
  if (auto aws = policy::CompiledAwsManagedPolicy(src)) {
    return policy::AppliedPolicy{std::move(aws), src.source_id, src.kind};
  }
  ARCANA_ASSIGN_OR_RETURN(auto compiled, policy::ParsePolicy(src.json, policy::UseOf(src.kind)));
  return policy::AppliedPolicy{std::move(compiled), src.source_id, src.kind};
}

Result<Session> SessionOf(const json::Input& in, const Principal& caller) {
  Session s;
  s.kind = "role";
  s.session_name = in.Str("RoleSessionName").value_or("");
  if (const auto* tags = in.Get("Tags"); tags != nullptr && tags->IsArray()) {
    std::set<std::string> seen;
    for (const auto& t : tags->GetArray()) {
      std::string key = json::StrField(t, "Key");
      if (!seen.insert(policy::LowerAscii(key)).second) {
        return Status(ErrorCode::kInvalidParameterValue,
                      "Duplicate tag keys found. Please note that Tag keys are case insensitive.");
      }
      s.tags[key] = json::StrField(t, "Value");
    }
  }
  // A transitive key names a tag in any case ("sessiontag1" names "SessionTag1"); the session
  // keeps the tag's own spelling.
  for (const auto& k : in.StrList("TransitiveTagKeys").value_or(std::vector<std::string>{})) {
    auto tag = FindTag(s.tags, k);
    if (tag == s.tags.end()) {
      return Status(ErrorCode::kInvalidParameterValue,
                    "The specified transitive tag key must be included in the requested tags.");
    }
    if (std::find(s.transitive_tag_keys.begin(), s.transitive_tag_keys.end(), tag->first) ==
        s.transitive_tag_keys.end()) {
      s.transitive_tag_keys.push_back(tag->first);
    }
  }
  if (caller.type == Principal::Type::kAssumedRole) {
    for (const auto& k : caller.transitive_tag_keys) {
      auto it = caller.tags.find(k);
      if (it == caller.tags.end()) continue;
      // A chained session may not restate an inherited transitive tag otherwise (another
      // value, or the key in another case).
      auto mine = FindTag(s.tags, k);
      if (mine != s.tags.end() && (mine->first != k || mine->second != it->second)) {
        return Status(ErrorCode::kInvalidParameterValue,
                      "One of the specified transitive tag keys can't be set because it "
                      "conflicts with a transitive tag key from the calling session.");
      }
      s.tags[k] = it->second;
      if (std::find(s.transitive_tag_keys.begin(), s.transitive_tag_keys.end(), k) ==
          s.transitive_tag_keys.end()) {
        s.transitive_tag_keys.push_back(k);
      }
    }
  }
  if (auto doc = in.Str("Policy")) {
    auto parsed = policy::ParsePolicy(*doc, policy::PolicyUse::kIdentity);
    if (!parsed.ok()) return parsed.status();
    s.policies.push_back(*doc);
  }
  if (const auto* arns = in.Get("PolicyArns"); arns != nullptr && arns->IsArray()) {
    for (const auto& a : arns->GetArray()) {
      std::string arn = json::StrField(a, "arn");
      if (!domain::iam::ParsePolicyArn(arn)) {
        return Status(ErrorCode::kValidation, "Invalid policy ARN: " + arn);
      }
      s.policy_arns.push_back(arn);
    }
  }
  return s;
}

int64_t PackedPolicySize(const Session& s) {
  size_t n = 0;
  for (const auto& p : s.policies) n += p.size();
  for (const auto& a : s.policy_arns) n += a.size();
  for (const auto& [k, v] : s.tags) n += k.size() + v.size();
  return static_cast<int64_t>(n * 100 / kPackedPolicyLimit);
}

std::optional<policy::ResourceView> TrustView(const domain::iam::Identity& role,
                                              const std::string& role_arn,
                                              const std::string& account) {
  // The principals as bound to their unique ids when the policy was stored (a user or role
  // re-created under a trusted name is someone else).
  auto trust = policy::ParsePolicy(
      role.bound_trust_policy.empty() ? role.trust_policy : role.bound_trust_policy,
      policy::PolicyUse::kResource);
  if (!trust.ok()) return std::nullopt;
  policy::ResourceView resource;
  resource.arn = role_arn;
  resource.account = account;
  resource.resource_policy = policy::AppliedPolicy{*trust, "role/" + role.name + ":trust",
                                                   PolicySource::Kind::kResource};
  resource.is_kms_key = true;
  return resource;
}

Status CheckPackedPolicySize(int64_t packed) {
  if (packed <= 100) return Status::Ok();
  return Status(ErrorCode::kValidation,
                "Packed size of consumed sessions policies and session tags exceeds 2048 "
                "characters.");
}

void WriteAssumedRoleUser(json::Writer& w, const std::string& account,
                          const domain::iam::Identity& role, const Session& s) {
  w.Key("AssumedRoleUser");
  w.StartObject();
  json::KV(w, "AssumedRoleId", role.id + ":" + s.session_name);
  json::KV(w, "Arn", "arn:aws:sts::" + account + ":assumed-role/" + role.name + "/" + s.session_name);
  w.EndObject();
}

void WriteRoleSession(json::Writer& w, const auth::IssuedKey& key, const std::string& account,
                      const domain::iam::Identity& role, const Session& s, bool tags_passed,
                      int64_t packed) {
  WriteCredentials(w, key);
  WriteAssumedRoleUser(w, account, role, s);
  if (!s.policies.empty() || !s.policy_arns.empty() || tags_passed) {
    w.Key("PackedPolicySize");
    w.Int64(packed);
  }
  if (!s.source_identity.empty()) json::KV(w, "SourceIdentity", s.source_identity);
}

Result<std::optional<domain::iam::Identity>> FindRoleByArn(storage::IdentityStore& store,
                                                           const std::string& account,
                                                           const std::string& role_name,
                                                           const std::string& role_arn) {
  ARCANA_ASSIGN_OR_RETURN(auto entity, store.GetEntity(account, "role", role_name));
  if (!entity) return std::optional<domain::iam::Identity>();
  ARCANA_ASSIGN_OR_RETURN(auto role, storage::IdentityFromEntity(*entity));
  if (role.Arn() != role_arn) return std::optional<domain::iam::Identity>();
  return std::optional<domain::iam::Identity>(std::move(role));
}

Result<Session> FederatedSession(const json::Input& in, const Principal& caller,
                                 const domain::iam::Identity& role,
                                 const FederatedClaims& claims) {
  ARCANA_ASSIGN_OR_RETURN(Session session, SessionOf(in, caller));
  session.kind = "role";
  session.subject = role.name;
  session.subject_id = role.id;
  session.web_identity_provider = claims.provider_arn;
  session.web_identity_subject = claims.subject;
  if (claims.tags != nullptr) {
    for (const auto& [k, v] : *claims.tags) session.tags[k] = v;
  }
  if (claims.transitive_tag_keys != nullptr) {
    for (const auto& k : *claims.transitive_tag_keys) {
      if (session.tags.contains(k)) session.transitive_tag_keys.push_back(k);
    }
  }
  session.source_identity = claims.source_identity;
  return session;
}

Result<int64_t> SessionSeconds(const json::Input& in, const domain::iam::Identity& role) {
  const int64_t seconds = in.Int("DurationSeconds").value_or(kDefaultRoleSeconds);
  if (seconds > role.max_session_duration) {
    return Status(ErrorCode::kValidation,
                  "The requested DurationSeconds exceeds the MaxSessionDuration set for this "
                  "role.");
  }
  return seconds;
}

void AddSessionKeys(const domain::iam::Session& s, policy::ContextKeys* keys) {
  keys->Set("sts:RoleSessionName", s.session_name);
  std::vector<std::string> tag_keys;
  for (const auto& [k, v] : s.tags) {
    keys->Set("aws:RequestTag/" + k, v);
    tag_keys.push_back(k);
  }
  if (!tag_keys.empty()) keys->SetList("aws:TagKeys", tag_keys);
  if (!s.source_identity.empty()) keys->Set("sts:SourceIdentity", s.source_identity);
}

bool FederatedTrustAllows(const domain::iam::Identity& role, const std::string& role_arn,
                          const std::string& account, const Principal& caller,
                          const policy::ContextKeys& context, const char* action, bool tagged,
                          const domain::iam::Session& s) {
  std::optional<policy::ResourceView> resource = TrustView(role, role_arn, account);
  if (!resource) return false;
  policy::EvalRequest req;
  req.principal = &caller;
  req.resource = &*resource;
  req.context = &context;
  for (const char* a : {action, "sts:TagSession", "sts:SetSourceIdentity"}) {
    if (std::string_view(a) == "sts:TagSession" && !tagged) continue;
    if (std::string_view(a) == "sts:SetSourceIdentity" && s.source_identity.empty()) continue;
    req.action = a;
    if (!policy::Evaluate(req).allowed()) return false;
  }
  return true;
}

}  // namespace arcana::services::sts
