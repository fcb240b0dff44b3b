#include "domain/kms/rules.h"

#include <rapidjson/document.h>

#include <algorithm>

#include "common/arn.h"
#include "common/json.h"
#include "crypto/base64.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "domain/kms/grants.h"

namespace arcana::domain::kms {

std::string NewKeyId(bool multi_region) {
  if (multi_region) return "mrk-" + crypto::HexEncode(crypto::RandomBytes(16));
  return crypto::NewUuidV4();
}

std::string NewMaterialId() { return crypto::HexEncode(crypto::RandomBytes(32)); }

std::string KeyArn(std::string_view region, std::string_view account, std::string_view key_id) {
  return "arn:aws:kms:" + std::string(region) + ":" + std::string(account) + ":key/" +
         std::string(key_id);
}

std::string AliasArn(std::string_view region, std::string_view account, std::string_view alias) {
  return "arn:aws:kms:" + std::string(region) + ":" + std::string(account) + ":" +
         std::string(alias);
}

Result<KeyRef> ParseKeyRef(std::string_view text) {
  KeyRef r;
  if (text.starts_with("arn:")) {
    // arn:<partition>:kms:<region>:<account>:key/<id> | alias/<name>
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (int i = 0; i < 5; ++i) {
      size_t c = text.find(':', start);
      if (c == std::string_view::npos) break;
      parts.push_back(text.substr(start, c - start));
      start = c + 1;
    }
    std::string_view resource = start < text.size() ? text.substr(start) : std::string_view();
    if (parts.size() != 5 || parts[2] != "kms" || parts[3].empty() || parts[4].empty() ||
        resource.empty()) {
      return Status(ErrorCode::kInvalidArn, "Invalid arn " + std::string(text));
    }
    r.region = std::string(parts[3]);
    r.account = std::string(parts[4]);
    if (resource.starts_with("key/") && resource.size() > 4) {
      r.kind = KeyRef::kKeyArn;
      r.value = std::string(resource.substr(4));
    } else if (resource.starts_with("alias/") && resource.size() > 6) {
      r.kind = KeyRef::kAliasArn;
      r.value = std::string(resource);
    } else {
      return Status(ErrorCode::kInvalidArn, "Invalid arn " + std::string(text));
    }
    return r;
  }
  r.value = std::string(text);
  r.kind = text.starts_with("alias/") ? KeyRef::kAliasName : KeyRef::kKeyId;
  return r;
}

bool IsWellFormedKeyId(std::string_view id) {
  auto hex = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  };
  if (id.starts_with("mrk-")) {
    id.remove_prefix(4);
    if (id.size() != 32) return false;
    for (char c : id)
      if (!hex(c)) return false;
    return true;
  }
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? id[i] != '-' : !hex(id[i])) return false;
  }
  return true;
}

Status AliasNotSupported() {
  return Status(ErrorCode::kInvalidArn, "Key Aliases are not supported for this operation.");
}

Result<KeyRef> ParseRequestKeyRef(std::string_view text, std::string_view caller_region,
                                  bool allow_alias) {
  ARCANA_ASSIGN_OR_RETURN(KeyRef ref, ParseKeyRef(text));
  auto invalid_key_id = [](std::string_view id) {
    return Status(ErrorCode::kKmsNotFound, "Invalid keyId '" + std::string(id) + "'");
  };
  if (ref.kind == KeyRef::kKeyArn && ref.region != caller_region) {
    return Status(ErrorCode::kKmsNotFound, "Invalid arn " + ref.region);
  }
  if (ref.is_alias()) {
    if (!allow_alias) return AliasNotSupported();
    return ref;
  }
  if (!IsWellFormedKeyId(ref.value)) return invalid_key_id(ref.value);
  return ref;
}

bool IsAwsReservedAlias(std::string_view name) { return name.starts_with("alias/aws/"); }

bool MatchesNamePattern(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == ':' || c == '/' || c == '_' || c == '-';
  });
}

Status ValidateAliasName(std::string_view name, bool allow_aws_reserved) {
  if (!name.empty() && !MatchesNamePattern(name)) {
    return Status(ErrorCode::kValidation,
                  "1 validation error detected: Value '" + std::string(name) +
                      "' at 'aliasName' failed to satisfy constraint: Member must satisfy "
                      "regular expression pattern: ^[a-zA-Z0-9:/_-]+$");
  }
  if (!name.starts_with("alias/") || name.size() == 6) {
    return Status(ErrorCode::kValidation,
                  "Alias must start with the prefix \"alias/\". Please see "
                  "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html");
  }
  if (!allow_aws_reserved && (IsAwsReservedAlias(name) || name == "alias/aws")) {
    return Status(ErrorCode::kInvalidAliasName,
                  "Alias names starting with \"alias/aws/\" are reserved for AWS managed keys.");
  }
  return Status::Ok();
}

Status ValidateNewAliasName(std::string_view name) {
  ARCANA_RETURN_IF_ERROR(ValidateAliasName(name, /*allow_aws_reserved=*/false));
  if (name.find(':') != std::string_view::npos) {
    return Status(ErrorCode::kValidation,
                  std::string(name) + " contains invalid characters for an alias");
  }
  return Status::Ok();
}

Status CheckAliasTargetIsKey(std::string_view target_key_id) {
  const bool alias_name = target_key_id.starts_with("alias/");
  const bool alias_arn = target_key_id.starts_with("arn:") &&
                         target_key_id.find(":alias/") != std::string_view::npos;
  if (alias_name || alias_arn) {
    return Status(ErrorCode::kValidation, "Aliases must refer to keys. Not aliases");
  }
  return Status::Ok();
}

Status CheckUsable(const Key& key) {
  ARCANA_RETURN_IF_ERROR(CheckNotPendingImport(key));
  if (key.key_state != kStateEnabled) {
    return Status(ErrorCode::kDisabled, key.arn + " is disabled.");
  }
  return Status::Ok();
}

Status CheckNotPendingDeletion(const Key& key) {
  if (key.key_state == kStatePendingDeletion) {
    return Status(ErrorCode::kKmsInvalidState, key.arn + " is pending deletion.");
  }
  if (key.key_state == kStatePendingReplicaDeletion) {
    return Status(ErrorCode::kKmsInvalidState, key.arn + " is pending replica deletion.");
  }
  return Status::Ok();
}

Status CheckNotPendingImport(const Key& key) {
  ARCANA_RETURN_IF_ERROR(CheckNotPendingDeletion(key));
  if (key.key_state == kStatePendingImport) {
    return Status(ErrorCode::kKmsInvalidState, key.arn + " is pending import.");
  }
  return Status::Ok();
}

Status OriginNotValid(const Key& key) {
  return Status(ErrorCode::kUnsupportedOperation,
                key.arn + " origin is " + key.origin + " which is not valid for this operation.");
}

Status CheckOriginExternal(const Key& key) {
  return key.external() ? Status::Ok() : OriginNotValid(key);
}

bool ApplyMaterialExpiry(Key& key, int64_t now_ms) {
  bool expired = false;
  bool associated = false;  // material permanently associated with the key expired
  for (auto& m : key.materials) {
    if (m.imported && m.valid_to_ms && *m.valid_to_ms <= now_ms) {
      m.imported = false;
      expired = true;
      // NEW_KEY_MATERIAL not yet rotated in "is not permanently associated with the KMS
      // key": its expiry leaves the key usable, as its deletion does.
      if (!m.pending_rotation) associated = true;
    }
  }
  if (associated && key.key_state != kStatePendingDeletion &&
      key.key_state != kStatePendingReplicaDeletion) {
    key.key_state = kStatePendingImport;
  }
  return expired;
}

bool MissingImportedMaterial(const Key& key) {
  if (key.current_material() == nullptr) return true;
  return std::any_of(key.materials.begin(), key.materials.end(), [](const KeyMaterialInfo& m) {
    return !m.pending_rotation && !m.imported;
  });
}

std::optional<int64_t> NextMaintenanceMs(const Key& key) {
  if (key.key_state == kStatePendingReplicaDeletion) return int64_t{0};
  std::optional<int64_t> due;
  // Only an Enabled key rotates: "while the KMS key is disabled, KMS does not rotate the key
  // material" (nor while pending deletion). EnableKey rewrites the key, so its due time comes
  // back then; one already past rotates at the next maintenance run ("When you re-enable the
  // KMS key, ... If the key material ... hasn't been rotated in one year, KMS rotates it
  // immediately", GetKeyRotationStatus).
  if (key.rotation_enabled && key.key_state == kStateEnabled) {
    due = key.rotation_base_ms + int64_t{key.rotation_period_days} * 86400000;
  }
  for (const auto& m : key.materials) {
    if (m.imported && m.valid_to_ms && (!due || *m.valid_to_ms < *due)) due = m.valid_to_ms;
  }
  return due;
}

std::vector<std::string> UnheldMaterials(const std::vector<Key>& related,
                                         const std::vector<std::string>& candidates) {
  std::vector<std::string> out;
  for (const auto& id : candidates) {
    if (std::find(out.begin(), out.end(), id) != out.end()) continue;
    bool held = false;
    for (const auto& k : related) {
      const KeyMaterialInfo* m = k.FindMaterial(id);
      if (m != nullptr && m->imported) held = true;
    }
    if (!held) out.push_back(id);
  }
  return out;
}

std::optional<std::string> RegionLackingImport(const std::vector<Key>& related,
                                               const std::string& material_id) {
  for (const auto& k : related) {
    const KeyMaterialInfo* m = k.FindMaterial(material_id);
    if (m == nullptr || !m->imported) return k.region;
  }
  return std::nullopt;
}

bool PromotePendingMaterial(Key& key, int64_t now_ms) {
  auto pending = std::find_if(key.materials.begin(), key.materials.end(),
                              [](const KeyMaterialInfo& m) { return m.pending_rotation; });
  if (pending == key.materials.end()) return false;
  KeyMaterialInfo m = *pending;
  key.materials.erase(pending);
  m.pending_rotation = false;
  m.rotation_type = "ON_DEMAND";
  m.created_ms = now_ms;
  key.materials.push_back(std::move(m));  // the last one not pending: current
  return true;
}

Status CheckCustomerManaged(const Key& key, std::string_view what) {
  if (key.aws_managed()) {
    return Status(ErrorCode::kUnsupportedOperation,
                  key.arn + " is an AWS managed key: " + std::string(what) +
                      " is not allowed on AWS managed keys.");
  }
  return Status::Ok();
}

Status CheckKeyUsage(const Key& key, std::string_view usage, std::string_view operation) {
  if (key.key_usage != usage) {
    return Status(ErrorCode::kInvalidKeyUsage,
                  key.arn + " key usage is " + key.key_usage + " which is not valid for " +
                      std::string(operation) + ".");
  }
  return Status::Ok();
}

std::string DefaultKeyPolicy(std::string_view account) {
  return "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n"
         "  \"Statement\" : [ {\n    \"Sid\" : \"Enable IAM User Permissions\",\n"
         "    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : \"arn:aws:iam::" +
         std::string(account) +
         ":root\"\n    },\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  } ]\n}";
}

Status MalformedKeyPolicy(std::string_view why) {
  return Status(ErrorCode::kKmsMalformedPolicyDocument,
                "The new key policy will not allow you to update the key policy in the future "
                "or is malformed: " + std::string(why));
}

Status InvalidKeyPolicyPrincipals() {
  return Status(ErrorCode::kKmsMalformedPolicyDocument,
                "Policy contains a statement with one or more invalid principals.");
}

bool IsKeyPolicyAwsPrincipal(std::string_view p) {
  auto digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (p == "*" || (p.size() == 12 && digits(p))) return true;
  // A user's or role's unique id: what AWS shows in place of the ARN of a deleted identity, so
  // what GetKeyPolicy may answer and PutKeyPolicy get back (the engine takes the same forms).
  if (p.size() >= 16 && (p.starts_with("AIDA") || p.starts_with("AROA"))) return true;
  // No wildcard matches part of a principal ARN (IAM JSON policy reference, Principal).
  if (p.find_first_of("*?") != std::string_view::npos || !PrincipalAccount(p)) return false;
  const std::string_view resource = SplitArn(p)->resource;
  // TYPE/NAME or TYPE/PATH/NAME with a name; STS's assumed-role/ROLE/SESSION needs both.
  auto named = [&](std::string_view type, size_t min_slashes) {
    if (!resource.starts_with(type) || resource.ends_with('/')) return false;
    return static_cast<size_t>(std::count(resource.begin(), resource.end(), '/')) >= min_slashes;
  };
  if (SplitArn(p)->service == "iam") {
    return resource == "root" || named("user/", 1) || named("role/", 1);
  }
  return named("assumed-role/", 2) || named("federated-user/", 1);
}

namespace {
Status Malformed(const std::string& why) { return MalformedKeyPolicy(why); }

// Each "AWS" principal of a Principal or NotPrincipal object (strings only: what else the
// member holds is the policy engine's to refuse).
Status CheckAwsPrincipals(const rapidjson::Value& principal) {
  if (!principal.IsObject()) return Status::Ok();
  auto aws = principal.FindMember("AWS");
  if (aws == principal.MemberEnd()) return Status::Ok();
  auto check = [](const rapidjson::Value& v) {
    if (!v.IsString()) return true;
    return IsKeyPolicyAwsPrincipal(std::string_view(v.GetString(), v.GetStringLength()));
  };
  bool valid = check(aws->value);
  if (aws->value.IsArray()) {
    for (const auto& v : aws->value.GetArray()) valid = valid && check(v);
  }
  return valid ? Status::Ok() : InvalidKeyPolicyPrincipals();
}

Status CheckStatement(const rapidjson::Value& st) {
  if (!st.IsObject()) return Malformed("each Statement must be an object");
  if (!st.HasMember("Effect") || !st["Effect"].IsString() ||
      (std::string_view(st["Effect"].GetString()) != "Allow" &&
       std::string_view(st["Effect"].GetString()) != "Deny")) {
    return Malformed("Effect must be Allow or Deny");
  }
  if (st.HasMember("Principal") == st.HasMember("NotPrincipal")) {
    return Malformed("a statement needs exactly one of Principal and NotPrincipal");
  }
  if (st.HasMember("Action") == st.HasMember("NotAction")) {
    return Malformed("a statement needs exactly one of Action and NotAction");
  }
  const auto& action = st.HasMember("Action") ? st["Action"] : st["NotAction"];
  if (!action.IsString() && !(action.IsArray() && !action.Empty())) {
    return Malformed("Action must be a string or a non-empty list of strings");
  }
  if (action.IsArray()) {
    for (const auto& a : action.GetArray())
      if (!a.IsString()) return Malformed("Action must be a string or a list of strings");
  }
  const auto& principal = st.HasMember("Principal") ? st["Principal"] : st["NotPrincipal"];
  if (!principal.IsString() && !principal.IsObject()) {
    return Malformed("Principal must be \"*\" or an object");
  }
  if (principal.IsString() && std::string_view(principal.GetString()) != "*") {
    return Malformed("Principal must be \"*\" or an object");
  }
  return CheckAwsPrincipals(principal);
}
}  // namespace

Status ValidateKeyPolicy(std::string_view policy) {
  if (policy.size() > kMaxKeyPolicyBytes) {
    return Status(ErrorCode::kKmsLimitExceeded, "The key policy exceeds the size limit.");
  }
  rapidjson::Document d;
  if (!json::ParseBounded(policy, &d).ok() || !d.IsObject()) {
    return Malformed("the policy is not a JSON object");
  }
  if (d.HasMember("Version")) {
    if (!d["Version"].IsString()) return Malformed("Version must be a string");
    std::string_view v = d["Version"].GetString();
    if (v != "2012-10-17" && v != "2008-10-17") return Malformed("unsupported Version");
  }
  if (!d.HasMember("Statement")) return Malformed("the policy has no Statement");
  const auto& st = d["Statement"];
  if (st.IsArray()) {
    if (st.Empty()) return Malformed("Statement is empty");
    for (const auto& s : st.GetArray()) ARCANA_RETURN_IF_ERROR(CheckStatement(s));
  } else {
    ARCANA_RETURN_IF_ERROR(CheckStatement(st));
  }
  return Status::Ok();
}

bool IsReservedTagKey(std::string_view key) {
  return key.size() >= 4 && (key[0] == 'a' || key[0] == 'A') && (key[1] == 'w' || key[1] == 'W') &&
         (key[2] == 's' || key[2] == 'S') && key[3] == ':';
}

Status ValidateTags(const std::map<std::string, std::string>& tags) {
  if (tags.size() > kMaxTagsPerKey) return Status(ErrorCode::kTag, "Too many tags");
  for (const auto& [k, v] : tags) {
    if (k.empty() || k.size() > 128 || v.size() > 256) {
      return Status(ErrorCode::kTag, "Tag keys must be 1-128 and tag values 0-256 characters.");
    }
    if (IsReservedTagKey(k)) return Status(ErrorCode::kTag, "Tags beginning with aws: are reserved");
  }
  return Status::Ok();
}

Status CheckNoDuplicateTagKeys(const std::vector<std::string>& keys) {
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    return Status(ErrorCode::kTag, "Duplicate tag keys");
  }
  return Status::Ok();
}

std::string EncodeMarker(std::string_view position) {
  return crypto::Base64UrlEncode("m1:" + std::string(position));
}

Result<std::string> DecodeMarker(std::string_view marker) {
  auto raw = crypto::Base64UrlDecode(marker);
  if (!raw || !raw->starts_with("m1:")) {
    return Status(ErrorCode::kInvalidMarker, "Invalid marker: " + std::string(marker));
  }
  return raw->substr(3);
}

}  // namespace arcana::domain::kms
