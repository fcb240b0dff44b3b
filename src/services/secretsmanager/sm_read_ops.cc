// Secrets Manager operations that read secrets, values and lists.
#include <algorithm>

#include "crypto/base64.h"
#include "crypto/envelope.h"
#include "crypto/random.h"
#include "domain/secretsmanager/filters.h"
#include "domain/secretsmanager/page_token.h"
#include "domain/secretsmanager/password.h"
#include "crypto/aead.h"
#include "services//common/aws_error.h"
#include "services/secretsmanager/secrets_manager.h"
#include "services/secretsmanager/sm_encode.h"

namespace arcana::services::sm {

namespace dsm = domain::sm;

namespace {


Status NoValue(const std::string& what) {
  return Status(ErrorCode::kResourceNotFound,
                "Secrets Manager can't find the specified secret value for " + what);
}

// Picks the version GetSecretValue asks for (AWSCURRENT by default).
Result<const SecretVersion*> SelectVersion(const Secret& s, const std::string& version_id,
                                           const std::string& stage) {
  const SecretVersion* v = nullptr;
  if (!version_id.empty()) {
    v = s.FindVersion(version_id);
    if (v == nullptr) return NoValue("VersionId: " + version_id);
    if (!stage.empty() && !v->HasStage(stage)) {
      return Status(ErrorCode::kInvalidRequest,
                    "You provided a VersionStage that is not associated to the provided "
                    "VersionId.");
    }
  } else {
    std::string label = stage.empty() ? dsm::kCurrent : stage;
    v = s.FindStage(label);
    if (v == nullptr) return NoValue("staging label: " + label);
  }
  if (!v->has_value) {
    return NoValue(stage.empty() && !version_id.empty() ? "VersionId: " + version_id
                                                        : "staging label: " +
                                                              (stage.empty() ? v->stages.empty() ? std::string(dsm::kCurrent) : v->stages.front() : stage));
  }
  return v;
}

// Writes the GetSecretValue members of one value (also BatchGet's SecretValues entries).
void WriteValue(json::Writer& w, const Secret& self, const SecretVersion& v,
                const std::string& plaintext) {
  w.StartObject();
  json::KV(w, "ARN", self.arn);
  json::KV(w, "Name", self.name);
  json::KV(w, "VersionId", v.version_id);
  if (v.binary) {
    json::KV(w, "SecretBinary", crypto::Base64Encode(plaintext));
  } else {
    json::KV(w, "SecretString", plaintext);
  }
  if (!v.stages.empty()) {  // a deprecated version has no labels: the member is absent
    w.Key("VersionStages");
    json::WriteStringList(w, v.stages);
  }
  w.Key("CreatedDate");
  json::WriteTimestamp(w, v.created_ms);
  w.EndObject();
}

std::vector<dsm::Filter> ReadFilters(const json::Input& in) {
  std::vector<dsm::Filter> filters;
  if (const auto* f = in.Get("Filters")) {
    for (const auto& e : f->GetArray()) {
      json::Input fi(e);
      filters.push_back({fi.Str("Key").value_or(""),
                         fi.StrList("Values").value_or(std::vector<std::string>{})});
    }
  }
  return filters;
}

// Decodes a NextToken into an offset.
Result<size_t> PageOffset(const std::string& key, std::string_view op, const json::Input& in) {
  auto token = in.Str("NextToken");
  if (!token) return size_t{0};
  ARCANA_ASSIGN_OR_RETURN(std::string cursor, dsm::DecodePageToken(key, op, *token));
  char* end = nullptr;
  unsigned long long off = std::strtoull(cursor.c_str(), &end, 10);
  if (cursor.empty() || *end != '\0') {
    return Status(ErrorCode::kInvalidNextToken, "Invalid NextToken");
  }
  return static_cast<size_t>(off);
}

}  // namespace

Result<std::string> SecretsManagerService::GetSecretValue(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Loaded l, Load(ctx, in.Str("SecretId").value_or("")));
  if (l.self.deleted_ms) {
    return Status(ErrorCode::kInvalidRequest,
                  "You can't perform this operation on the secret because it was marked for "
                  "deletion.");
  }
  const Secret& data = l.data();
  ARCANA_ASSIGN_OR_RETURN(const SecretVersion* v,
                          SelectVersion(data, in.Str("VersionId").value_or(""),
                                        in.Str("VersionStage").value_or("")));
  ARCANA_ASSIGN_OR_RETURN(std::string plain, OpenVersion(data, *v));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  WriteValue(w, l.self, *v, plain);
  crypto::SecureWipe(plain);
  std::string out = json::Finish(buf);
  TouchAccessed(data, v->version_id, ctx.now_ms);
  return out;
}

Result<std::vector<SecretsManagerService::Loaded>> SecretsManagerService::FilteredSecrets(
    const In& in, const CallContext& ctx, bool include_deleted) {
  auto filters = ReadFilters(in);
  ARCANA_RETURN_IF_ERROR(dsm::ValidateFilters(filters));
  // Every page of the scope (the services helper replaces this with one bounded page).
  std::vector<Secret> all;
  storage::SecretQuery q;
  q.include_deleted = include_deleted;
  q.now_ms = ctx.now_ms;
  q.limit = storage::kMaxListLimit;
  for (;;) {
    ARCANA_ASSIGN_OR_RETURN(auto page, store_.ListSecrets({ctx.account, ctx.region}, q));
    const bool last = page.size() < q.limit;
    if (!page.empty()) q.after = storage::SecretStore::PositionOf(page.back(), q.order);
    for (auto& s : page) all.push_back(std::move(s));
    if (last) break;
  }
  std::vector<Loaded> out;
  for (auto& s : all) {
    if (s.deleted_ms && (!include_deleted || *s.deleted_ms <= ctx.now_ms)) continue;
    Loaded l;
    l.self = std::move(s);
    if (l.self.IsReplica()) {
      ARCANA_ASSIGN_OR_RETURN(auto primary, store_.GetSecretByArn(l.self.primary_arn));
      if (!primary) continue;
      l.primary = std::move(*primary);
      l.replica = true;
    }
    const Secret& d = l.data();
    dsm::FilterSubject subject;
    subject.name = l.self.name;
    subject.description = d.description;
    subject.primary_region = l.replica ? l.self.primary_region : l.self.region;
    subject.owning_service = d.owning_service;
    for (const auto& t : d.tags) subject.tags.emplace_back(t.key, t.value);
    if (!dsm::MatchesFilters(subject, filters)) continue;
    out.push_back(std::move(l));
  }
  std::string sort_by = in.Str("SortBy").value_or("created-date");
  bool desc = in.Str("SortOrder").value_or("asc") == "desc";
  auto key = [&](const Loaded& l) -> std::pair<std::string, int64_t> {
    const Secret& d = l.data();
    if (sort_by == "name") return {l.self.name, 0};
    if (sort_by == "last-accessed-date") return {"", d.last_accessed_ms.value_or(0)};
    if (sort_by == "last-changed-date") return {"", d.last_changed_ms.value_or(0)};
    return {"", l.self.created_ms};
  };
  std::stable_sort(out.begin(), out.end(), [&](const Loaded& a, const Loaded& b) {
    auto ka = key(a), kb = key(b);
    if (ka == kb) return desc ? a.self.arn > b.self.arn : a.self.arn < b.self.arn;
    return desc ? kb < ka : ka < kb;
  });
  return out;
}

Result<std::string> SecretsManagerService::ListSecrets(const In& in, const CallContext& ctx) {
  size_t max = static_cast<size_t>(in.Int("MaxResults").value_or(100));
  ARCANA_ASSIGN_OR_RETURN(size_t offset, PageOffset(page_key_, "ListSecrets", in));
  ARCANA_ASSIGN_OR_RETURN(auto list,
                          FilteredSecrets(in, ctx, in.Bool("IncludePlannedDeletion").value_or(false)));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("SecretList");
  w.StartArray();
  size_t end = std::min(list.size(), offset + max);
  for (size_t i = offset; i < end; ++i) {
    WriteSecretEntry(w, list[i].self, list[i].data(), EntryForm::kList);
  }
  w.EndArray();
  if (end < list.size()) {
    json::KV(w, "NextToken", dsm::EncodePageToken(page_key_, "ListSecrets", std::to_string(end)));
  }
  w.EndObject();
  return json::Finish(buf);
}

Result<std::string> SecretsManagerService::BatchGetSecretValue(const In& in,
                                                               const CallContext& ctx) {
  auto ids = in.StrList("SecretIdList");
  bool has_filters = in.Has("Filters");
  if (ids.has_value() == has_filters) {
    return Status(ErrorCode::kInvalidParameter,
                  "Either 'SecretIdList' or 'Filters' must be provided, but not both.");
  }
  if (in.Has("MaxResults") && !has_filters) {
    return Status(ErrorCode::kInvalidParameter,
                  "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' "
                  "is provided.");
  }
  std::vector<std::pair<std::string, Loaded>> targets;  // (SecretId as given, loaded)
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  std::string next_token;
  struct Failure {
    std::string id;
    Status status;
  };
  std::vector<Failure> failures;
  if (ids) {
    for (const auto& id : *ids) {
      auto l = Load(ctx, id);
      if (!l.ok()) {
        failures.push_back({id, l.status()});
      } else {
        targets.emplace_back(id, std::move(l).value());
      }
    }
  } else {
    size_t max = static_cast<size_t>(in.Int("MaxResults").value_or(20));
    ARCANA_ASSIGN_OR_RETURN(size_t offset, PageOffset(page_key_, "BatchGetSecretValue", in));
    ARCANA_ASSIGN_OR_RETURN(auto list, FilteredSecrets(in, ctx, false));
    size_t end = std::min(list.size(), offset + max);
    for (size_t i = offset; i < end; ++i) targets.emplace_back(list[i].self.arn, std::move(list[i]));
    if (end < list.size()) {
      next_token = dsm::EncodePageToken(page_key_, "BatchGetSecretValue", std::to_string(end));
    }
  }
  w.Key("SecretValues");
  w.StartArray();
  for (auto& [id, l] : targets) {
    if (l.self.deleted_ms) {
      failures.push_back({id, Status(ErrorCode::kInvalidRequest,
                                     "You can't perform this operation on the secret because it "
                                     "was marked for deletion.")});
      continue;
    }
    auto v = SelectVersion(l.data(), "", "");
    if (!v.ok()) {
      failures.push_back({id, v.status()});
      continue;
    }
    auto plain = OpenVersion(l.data(), **v);
    if (!plain.ok()) {
      failures.push_back({id, plain.status()});
      continue;
    }
    WriteValue(w, l.self, **v, *plain);
    crypto::SecureWipe(*plain);
    TouchAccessed(l.data(), (*v)->version_id, ctx.now_ms);
  }
  w.EndArray();
  w.Key("Errors");
  w.StartArray();
  for (const auto& f : failures) {
    w.StartObject();
    json::KV(w, "SecretId", f.id);
    json::KV(w, "ErrorCode", LookupError(f.status.code()).type);
    json::KV(w, "Message", f.status.message());
    w.EndObject();
  }
  w.EndArray();
  if (!next_token.empty()) json::KV(w, "NextToken", next_token);
  w.EndObject();
  return json::Finish(buf);
}

Result<std::string> SecretsManagerService::DescribeSecret(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Loaded l, Load(ctx, in.Str("SecretId").value_or("")));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  WriteSecretEntry(w, l.self, l.data(), EntryForm::kDescribe);
  return json::Finish(buf);
}

Result<std::string> SecretsManagerService::ListSecretVersionIds(const In& in,
                                                                const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Loaded l, Load(ctx, in.Str("SecretId").value_or("")));
  size_t max = static_cast<size_t>(in.Int("MaxResults").value_or(100));
  ARCANA_ASSIGN_OR_RETURN(size_t offset, PageOffset(page_key_, "ListSecretVersionIds", in));
  bool deprecated = in.Bool("IncludeDeprecated").value_or(false);
  std::vector<const SecretVersion*> versions;
  const Secret& d = l.data();
  for (auto it = d.versions.rbegin(); it != d.versions.rend(); ++it) {  // newest first
    if (!deprecated && it->stages.empty()) continue;
    versions.push_back(&*it);
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("Versions");
  w.StartArray();
  size_t end = std::min(versions.size(), offset + max);
  for (size_t i = offset; i < end; ++i) {
    const auto* v = versions[i];
    w.StartObject();
    json::KV(w, "VersionId", v->version_id);
    if (!v->stages.empty()) {  // deprecated versions carry no VersionStages member
      w.Key("VersionStages");
      json::WriteStringList(w, v->stages);
    }
    if (v->last_accessed_ms) {
      w.Key("LastAccessedDate");
      json::WriteTimestamp(w, *v->last_accessed_ms);
    }
    w.Key("CreatedDate");
    json::WriteTimestamp(w, v->created_ms);
    w.Key("KmsKeyIds");
    json::WriteStringList(w, {v->kms_key_id.empty() ? "DefaultEncryptionKey" : v->kms_key_id});
    w.EndObject();
  }
  w.EndArray();
  if (end < versions.size()) {
    json::KV(w, "NextToken",
             dsm::EncodePageToken(page_key_, "ListSecretVersionIds", std::to_string(end)));
  }
  json::KV(w, "ARN", l.self.arn);
  json::KV(w, "Name", l.self.name);
  w.EndObject();
  return json::Finish(buf);
}

Result<std::string> SecretsManagerService::GetRandomPassword(const In& in, const CallContext&) {
  dsm::PasswordOptions o;
  o.length = in.Int("PasswordLength").value_or(32);
  o.exclude_characters = in.Str("ExcludeCharacters").value_or("");
  o.exclude_numbers = in.Bool("ExcludeNumbers").value_or(false);
  o.exclude_punctuation = in.Bool("ExcludePunctuation").value_or(false);
  o.exclude_uppercase = in.Bool("ExcludeUppercase").value_or(false);
  o.exclude_lowercase = in.Bool("ExcludeLowercase").value_or(false);
  o.include_space = in.Bool("IncludeSpace").value_or(false);
  o.require_each_included_type = in.Bool("RequireEachIncludedType").value_or(true);
  ARCANA_ASSIGN_OR_RETURN(std::string pw, dsm::GenerateRandomPassword(o, crypto::RandomUniform));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "RandomPassword", pw);
  w.EndObject();
  crypto::SecureWipe(pw);
  return json::Finish(buf);
}

}  // namespace arcana::services::sm
