// PutParameter, DeleteParameter(s), Label/UnlabelParameterVersion and the tagging operations.
#include <algorithm>

#include "crypto/aead.h"
#include "domain/ssm/names.h"
#include "domain/ssm/policies.h"
#include "domain/ssm/values.h"
#include "domain/ssm/versions.h"
#include "services/common/write_retry.h"
#include "services/ssm/ssm_encode.h"
#include "services/ssm/ssm_service.h"

namespace arcana::services::ssm {

namespace dssm = domain::ssm;

namespace {

Result<std::vector<dssm::Tag>> ReadTags(const rapidjson::Value* list) {
  std::vector<dssm::Tag> tags;
  if (list == nullptr) return tags;
  for (const auto& t : list->GetArray()) {
    json::Input ti(t);
    dssm::Tag tag{ti.Str("Key").value_or(""), ti.Str("Value").value_or("")};
    auto it = std::find_if(tags.begin(), tags.end(), [&](const dssm::Tag& x) { return x.key == tag.key; });
    if (it != tags.end()) {
      it->value = tag.value;
    } else {
      tags.push_back(std::move(tag));
    }
  }
  return tags;
}

// The model's KeyId pattern ^([a-zA-Z0-9:/_-]+)$, checked without a regex engine.
bool IsModelKeyId(const std::string& id) {
  if (id.empty()) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == ':' || c == '/' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// PutParameter's create beyond its tier's quota (--ssm-*-parameters-quota), as AWS words it.
Status ParameterLimitExceeded() {
  return Status(ErrorCode::kParameterLimitExceeded,
                "You have exceeded the number of parameters for this AWS account. Delete one "
                "or more parameters and try again.");
}

void MergeTags(std::vector<dssm::Tag>& into, const std::vector<dssm::Tag>& add) {
  for (const auto& t : add) {
    auto it = std::find_if(into.begin(), into.end(), [&](const dssm::Tag& x) { return x.key == t.key; });
    if (it != into.end()) {
      it->value = t.value;
    } else {
      into.push_back(t);
    }
  }
}

}  // namespace

Result<std::string> SsmService::PutParameter(const In& in, const CallContext& ctx) {
  const std::string name = dssm::TrimName(in.Str("Name").value_or(""));
  ARCANA_RETURN_IF_ERROR(dssm::ValidateName(name, ctx.region, ctx.account));
  std::string value = in.Str("Value").value_or("");
  ARCANA_RETURN_IF_ERROR(dssm::CheckValue(value));
  const bool overwrite = in.Bool("Overwrite").value_or(false);
  const rapidjson::Value* tags_in = in.Get("Tags");
  if (overwrite && tags_in != nullptr && tags_in->IsArray() && !tags_in->Empty()) {
    return Status(ErrorCode::kValidation,
                  "Invalid request: tags and overwrite can't be used together. To create a "
                  "parameter with tags, please remove overwrite flag. To update tags for an "
                  "existing parameter, please use AddTagsToResource or RemoveTagsFromResource.");
  }
  ARCANA_ASSIGN_OR_RETURN(auto tags, ReadTags(tags_in));
  if (tags.size() > dssm::kMaxTags) {
    return Status(ErrorCode::kValidation,
                  "A parameter can have at most 50 tags.");
  }
  auto type = in.Str("Type");
  const std::string key = dssm::NameKey(name);
  ctx.Touch(audit::kParameterType, dssm::ParameterArn(ctx.region, ctx.account, name));

  // Compile the pattern this write is checked against once: the given AllowedPattern, else
  // the one the parameter has now (re-checked in each attempt against what it read).
  dssm::AllowedPattern pattern;
  if (in.Has("AllowedPattern")) {
    ARCANA_ASSIGN_OR_RETURN(pattern,
                            dssm::CompileAllowedPattern(in.Str("AllowedPattern").value_or("")));
  } else {
    ARCANA_ASSIGN_OR_RETURN(auto current, store_.GetParameter({ctx.account, ctx.region}, key));
    if (current && !current->Latest().allowed_pattern.empty()) {
      ARCANA_ASSIGN_OR_RETURN(pattern,
                              dssm::CompileAllowedPattern(current->Latest().allowed_pattern));
    }
  }

  // A request without a Tier gets the account's default-parameter-tier service setting.
  const std::string requested_tier = in.Str("Tier").value_or("");
  std::string default_tier;
  if (requested_tier.empty()) {
    ARCANA_ASSIGN_OR_RETURN(default_tier, DefaultParameterTier(ctx));
  }

  auto result = RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(auto existing, Find(ctx, key));
    if (existing && !overwrite) {
      return Status(ErrorCode::kParameterAlreadyExists,
                    "The parameter already exists. To overwrite this value, set the overwrite "
                    "option in the request to true.");
    }
    if (!existing && !type) {
      return Status(ErrorCode::kValidation,
                    "A parameter type is required when you create a parameter.");
    }
    const ParameterVersion* prev = existing ? &existing->Latest() : nullptr;

    ParameterVersion v;
    v.type = type ? *type : prev->type;
    if (prev && v.type != prev->type && dssm::IsHierarchical(existing->name)) {
      return Status(ErrorCode::kHierarchyTypeMismatch,
                    "Parameter Store does not support changing a parameter type in a hierarchy. "
                    "For example, you can't change a parameter from a String type to a "
                    "SecureString type. You must create a new, unique parameter.");
    }
    v.description = in.Has("Description") ? in.Str("Description").value_or("")
                                           : (prev ? prev->description : "");
    v.allowed_pattern = in.Has("AllowedPattern") ? in.Str("AllowedPattern").value_or("")
                                                 : (prev ? prev->allowed_pattern : "");
    auto key_id = in.Str("KeyId");
    if (key_id && !IsModelKeyId(*key_id)) {
      return Status(ErrorCode::kValidation,
                    "1 validation error detected: Value '" + *key_id +
                        "' at 'keyId' failed to satisfy constraint: Member must satisfy regular "
                        "expression pattern: ^([a-zA-Z0-9:/_-]+)$");
    }
    // A KeyId on a String or StringList parameter is accepted and ignored, as AWS does
    // (nothing is encrypted; DescribeParameters answers no KeyId for it).
    if (key_id && v.type == dssm::kSecureString) {
      // Named as given: "alias/aws/ssm" resolves (and first creates) the AWS managed key.
      Status ks = keys_.CheckKey({ctx.account, ctx.region, dssm::kDefaultKeyAlias}, *key_id);
      if (!ks.ok()) {
        Status st = KeyIdError(ctx.account, ctx.region, *key_id, ks);
        if (st.code() != ErrorCode::kInvalidKeyId || !st.message().empty()) return st;
        return Status(ErrorCode::kInvalidKeyId, "Invalid keyId " + *key_id);
      }
      v.key_id = *key_id;
    } else if (v.type == dssm::kSecureString) {
      v.key_id = prev && prev->type == dssm::kSecureString && !prev->key_id.empty()
                     ? prev->key_id
                     : dssm::kDefaultKeyAlias;
    }
    if (in.Has("DataType")) {
      v.data_type = in.Str("DataType").value_or("");
      if (v.data_type.empty()) v.data_type = "text";
    } else {
      v.data_type = prev ? prev->data_type : "text";
    }
    ARCANA_RETURN_IF_ERROR(dssm::CheckDataType(v.data_type, v.type));
    if (prev) ARCANA_RETURN_IF_ERROR(dssm::CheckDataTypeChange(prev->data_type, v.data_type));
    if (auto policies = in.Str("Policies")) {
      ARCANA_ASSIGN_OR_RETURN(auto parsed, dssm::ParsePolicies(*policies, ctx.now_ms));
      v.policies = std::move(parsed.policies);
      v.expires_ms = parsed.expires_ms;
    } else if (prev) {
      v.policies = prev->policies;
      v.expires_ms = prev->expires_ms;
    }
    // Only a create takes a place in its tier's quota (a tier change of an existing
    // parameter is an upgrade to Advanced, which AWS does not refuse for the quota). The
    // counts read here answer early and let Intelligent-Tiering choose; the commit counts
    // again in its transaction, which is what holds under concurrent creates.
    storage::ParameterCounts counts;
    if (!existing) {
      ARCANA_ASSIGN_OR_RETURN(counts, store_.CountParameters({ctx.account, ctx.region}));
    }
    const std::string_view applied_tier = dssm::TierToApply(requested_tier, default_tier);
    ARCANA_ASSIGN_OR_RETURN(v.tier, dssm::ResolveTier(applied_tier, prev ? prev->tier : "",
                                                      value.size(), !v.policies.empty(),
                                                      !existing &&
                                                          counts.standard >= quotas_.standard));
    // Intelligent-Tiering chose Standard because the counts read had room there: if the
    // commit finds Standard full after all, the choice is made again on fresh counts.
    const bool standard_by_room = !existing && applied_tier == dssm::kIntelligentTiering &&
                                  v.tier == dssm::kStandard;
    if ((pattern ? pattern->source() : std::string()) != v.allowed_pattern) {
      // The parameter changed since the pattern was compiled: compile what it has now
      // (rare; RE2 compiles in time linear in the pattern).
      ARCANA_ASSIGN_OR_RETURN(pattern, dssm::CompileAllowedPattern(v.allowed_pattern));
    }
    ARCANA_RETURN_IF_ERROR(dssm::CheckPatternMatch(value, pattern));
    const int64_t quota = v.tier == dssm::kAdvanced ? quotas_.advanced : quotas_.standard;
    if (!existing && (v.tier == dssm::kAdvanced ? counts.advanced : counts.standard) >= quota) {
      return ParameterLimitExceeded();
    }
    v.modified_ms = ctx.now_ms;
    v.modified_user = ctx.principal_arn;

    rapidjson::StringBuffer buf;
    json::Writer out(buf);
    auto answer = [&](int64_t version, const std::string& tier) {
      out.StartObject();
      out.Key("Version");
      out.Int64(version);
      json::KV(out, "Tier", tier);
      out.EndObject();
      return Finish(buf);
    };
    if (!dssm::PassesAsyncValidation(v.data_type, value)) {
      // AWS validates an aws:ec2:image value after answering: the call succeeds with the
      // version it would have made, and the parameter is then neither created nor updated.
      return answer(prev ? prev->version + 1 : 1, v.tier);
    }

    const bool created = !existing;
    Parameter p;
    if (existing) {
      p = std::move(*existing);
    } else {
      p.account = ctx.account;
      p.region = ctx.region;
      p.key = key;
      p.name = name;
      p.tags = tags;
    }
    storage::ParameterWrite w;
    ARCANA_RETURN_IF_ERROR(dssm::AddVersion(p, std::move(v), &w.removed_versions));
    const ParameterVersion& added = p.Latest();
    auto sealed = SealFor(p, added, value, ctx);
    if (!sealed.ok()) return sealed.status();
    w.new_values.push_back({added.version, std::move(sealed).value()});
    const int64_t version = added.version;
    const std::string tier = added.tier;
    w.parameter = std::move(p);
    w.change = "PutParameter";
    if (created) w.create_quota = quota;
    // Two creates of one name: the loser's commit (at revision 0) conflicts and its next
    // attempt finds the parameter (ParameterAlreadyExists, or a new version with Overwrite).
    Status committed = store_.CommitParameter(w);
    if (committed.code() == ErrorCode::kParameterLimitExceeded) {
      if (standard_by_room) {
        return Status(ErrorCode::kWriteConflict, "the Standard tier filled up meanwhile");
      }
      return ParameterLimitExceeded();
    }
    ARCANA_RETURN_IF_ERROR(committed);
    PublishChange(w.parameter, w.parameter.Latest(), created ? "Create" : "Update", ctx.now_ms);
    return answer(version, tier);
  });
  crypto::SecureWipe(value);  // a SecureString's plaintext (sealed by every attempt)
  return result;
}

Result<std::string> SsmService::DeleteParameter(const In& in, const CallContext& ctx) {
  const std::string name = dssm::TrimName(in.Str("Name").value_or(""));
  ARCANA_RETURN_IF_ERROR(dssm::ValidateLookupName(name));
  ARCANA_RETURN_IF_ERROR(dssm::CheckReservedLookup(name));
  // A missing parameter: AWS answers DeleteParameter without message text.
  ARCANA_ASSIGN_OR_RETURN(auto existing, Find(ctx, dssm::NameKey(name)));
  if (!existing) return dssm::ParameterNotFound();
  // Expected revision 0: the caller deletes the parameter whatever version it is at now.
  ARCANA_ASSIGN_OR_RETURN(auto gone, store_.DeleteParameters({ctx.account, ctx.region},
                                                             {{existing->key, 0}},
                                                             "DeleteParameter"));
  if (gone.empty()) return dssm::ParameterNotFound();
  PublishChange(*existing, existing->Latest(), "Delete", ctx.now_ms);
  return std::string("{}");
}

Result<std::string> SsmService::DeleteParameters(const In& in, const CallContext& ctx) {
  auto names = in.StrList("Names").value_or(std::vector<std::string>{});
  std::vector<std::string> deleted, invalid, keys;
  std::vector<std::pair<std::string, std::string>> name_keys;  // (name as given, key)
  std::vector<Parameter> found;  // one per key: what each delete's event names
  for (const auto& raw : names) {
    const std::string trimmed = dssm::TrimName(raw);
    const bool malformed = !dssm::ValidateLookupName(trimmed).ok();  // listed, not raised
    std::string key = dssm::NameKey(trimmed);
    std::optional<Parameter> existing;
    if (!malformed) {
      ARCANA_ASSIGN_OR_RETURN(existing, Find(ctx, key));
    }
    bool dup = std::find(keys.begin(), keys.end(), key) != keys.end();
    if (!existing) {
      if (std::find(invalid.begin(), invalid.end(), raw) == invalid.end()) invalid.push_back(raw);
      continue;
    }
    if (!dup) {
      keys.push_back(key);
      found.push_back(std::move(*existing));
    }
    name_keys.emplace_back(raw, key);
  }
  std::vector<storage::ParameterDelete> deletes;
  for (const auto& k : keys) deletes.push_back({k, 0});  // whatever version each is at now
  ARCANA_ASSIGN_OR_RETURN(auto gone, store_.DeleteParameters({ctx.account, ctx.region}, deletes,
                                                             "DeleteParameters"));
  for (const auto& p : found) {
    if (std::find(gone.begin(), gone.end(), p.key) != gone.end()) {
      PublishChange(p, p.Latest(), "Delete", ctx.now_ms);
    }
  }
  for (const auto& [raw, key] : name_keys) {
    bool was_deleted = std::find(gone.begin(), gone.end(), key) != gone.end();
    auto& list = was_deleted ? deleted : invalid;
    if (std::find(list.begin(), list.end(), raw) == list.end()) list.push_back(raw);
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("DeletedParameters");
  json::WriteStringList(w, deleted);
  w.Key("InvalidParameters");
  json::WriteStringList(w, invalid);
  w.EndObject();
  return Finish(buf);
}

Result<std::string> SsmService::LabelParameterVersion(const In& in, const CallContext& ctx) {
  const std::string name = dssm::TrimName(in.Str("Name").value_or(""));
  ARCANA_RETURN_IF_ERROR(dssm::ValidateLookupName(name));
  auto labels = in.StrList("Labels").value_or(std::vector<std::string>{});
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(auto existing, Find(ctx, dssm::NameKey(name)));
    if (!existing) return dssm::ParameterNotFound(name);
    Parameter p = std::move(*existing);
    int64_t version = in.Int("ParameterVersion").value_or(p.Latest().version);
    std::vector<std::string> invalid;
    ARCANA_RETURN_IF_ERROR(dssm::AttachLabels(p, version, labels, &invalid));
    storage::ParameterWrite w;
    w.parameter = std::move(p);
    w.change = "LabelParameterVersion";
    ARCANA_RETURN_IF_ERROR(store_.CommitParameter(w));
    PublishChange(w.parameter, w.parameter.Latest(), "LabelParameterVersion", ctx.now_ms);
    rapidjson::StringBuffer buf;
    json::Writer out(buf);
    out.StartObject();
    out.Key("InvalidLabels");
    json::WriteStringList(out, invalid);
    out.Key("ParameterVersion");
    out.Int64(version);
    out.EndObject();
    return Finish(buf);
  });
}

Result<std::string> SsmService::UnlabelParameterVersion(const In& in, const CallContext& ctx) {
  const std::string name = dssm::TrimName(in.Str("Name").value_or(""));
  ARCANA_RETURN_IF_ERROR(dssm::ValidateLookupName(name));
  auto labels = in.StrList("Labels").value_or(std::vector<std::string>{});
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(auto existing, Find(ctx, dssm::NameKey(name)));
    if (!existing) return dssm::ParameterNotFound(name);
    Parameter p = std::move(*existing);
    int64_t version = in.Int("ParameterVersion").value_or(0);
    std::vector<std::string> removed, invalid;
    ARCANA_RETURN_IF_ERROR(dssm::DetachLabels(p, version, labels, &removed, &invalid));
    if (!removed.empty()) {
      storage::ParameterWrite w;
      w.parameter = std::move(p);
      w.change = "UnlabelParameterVersion";
      ARCANA_RETURN_IF_ERROR(store_.CommitParameter(w));
    }
    rapidjson::StringBuffer buf;
    json::Writer out(buf);
    out.StartObject();
    out.Key("RemovedLabels");
    json::WriteStringList(out, removed);
    out.Key("InvalidLabels");
    json::WriteStringList(out, invalid);
    out.EndObject();
    return Finish(buf);
  });
}

Result<Parameter> SsmService::TagTarget(const In& in, const CallContext& ctx) {
  if (in.Str("ResourceType").value_or("") != "Parameter") {
    return Status(ErrorCode::kInvalidResourceType,
                  "The resource type is not valid: this server supports ResourceType Parameter "
                  "only.");
  }
  std::string id = in.Str("ResourceId").value_or("");
  auto ref = dssm::ParseNameRef(dssm::TrimName(id), ctx.region, ctx.account);
  // AWS answers InvalidResourceId without a message: the body is {"__type":"InvalidResourceId"}
  // (recorded from AWS with vcrpy in getmoto/moto#4360; aws/aws-cli#4419 prints "An error
  // occurred (InvalidResourceId) when calling the ListTagsForResource operation:" and nothing).
  if (ref.malformed || ref.foreign || !ref.selector.empty() || ref.name.empty()) {
    return Status(ErrorCode::kInvalidResourceId, "");
  }
  ARCANA_ASSIGN_OR_RETURN(auto existing, Find(ctx, dssm::NameKey(ref.name)));
  if (!existing) return Status(ErrorCode::kInvalidResourceId, "");
  return std::move(*existing);
}

Result<std::string> SsmService::AddTagsToResource(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(auto tags, ReadTags(in.Get("Tags")));
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(Parameter p, TagTarget(in, ctx));
    MergeTags(p.tags, tags);
    if (p.tags.size() > dssm::kMaxTags) {
      return Status(ErrorCode::kTooManyTagsError,
                    "The Targets parameter includes too many tags. A resource can have at most 50 "
                    "tags.");
    }
    storage::ParameterWrite w;
    w.parameter = std::move(p);
    w.change = "AddTagsToResource";
    ARCANA_RETURN_IF_ERROR(store_.CommitParameter(w));
    return std::string("{}");
  });
}

Result<std::string> SsmService::RemoveTagsFromResource(const In& in, const CallContext& ctx) {
  auto keys = in.StrList("TagKeys").value_or(std::vector<std::string>{});
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(Parameter p, TagTarget(in, ctx));
    auto& t = p.tags;
    t.erase(std::remove_if(t.begin(), t.end(),
                           [&](const dssm::Tag& x) {
                             return std::find(keys.begin(), keys.end(), x.key) != keys.end();
                           }),
            t.end());
    storage::ParameterWrite w;
    w.parameter = std::move(p);
    w.change = "RemoveTagsFromResource";
    ARCANA_RETURN_IF_ERROR(store_.CommitParameter(w));
    return std::string("{}");
  });
}

Result<std::string> SsmService::ListTagsForResource(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Parameter p, TagTarget(in, ctx));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("TagList");
  WriteTags(w, p.tags);
  w.EndObject();
  return Finish(buf);
}

}  // namespace arcana::services::ssm
