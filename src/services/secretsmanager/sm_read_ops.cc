// Secrets Manager operations that read secrets, values and lists.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "crypto/base64.h"
#include "crypto/envelope.h"
#include "crypto/random.h"
#include "domain/secretsmanager/filters.h"
#include "domain/secretsmanager/page_token.h"
#include "domain/secretsmanager/password.h"
#include "crypto/aead.h"
#include "services//common/aws_error.h"
#include "auth/authorizer.h"
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
    WriteStages(w, v.stages);
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
Result<size_t> PageOffset(std::string_view key, std::string_view op, const json::Input& in) {
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

// A list position in a NextToken: the sort it belongs to and the last secret consumed.
// "<order>\n<0|1 descending>\n<number>\n<arn>\n<name>" (names and ARNs hold no newline).
std::string EncodeListCursor(const storage::SecretQuery& q, const storage::SecretPosition& p) {
  return std::to_string(static_cast<int>(q.order)) + "\n" + (q.descending ? "1" : "0") + "\n" +
         std::to_string(p.number) + "\n" + p.arn + "\n" + p.name;
}

// Decodes the NextToken of `op` into query.after. The token must come from a listing in the
// same order (another SortBy/SortOrder cannot continue it).
Status ApplyListCursor(std::string_view key, std::string_view op, const json::Input& in,
                       storage::SecretQuery& q) {
  auto token = in.Str("NextToken");
  if (!token) return Status::Ok();
  ARCANA_ASSIGN_OR_RETURN(std::string cursor, dsm::DecodePageToken(key, op, *token));
  const Status invalid(ErrorCode::kInvalidNextToken, "Invalid NextToken");
  std::vector<std::string> parts;
  size_t start = 0;
  for (int i = 0; i < 4; ++i) {
    size_t nl = cursor.find('\n', start);
    if (nl == std::string::npos) return invalid;
    parts.push_back(cursor.substr(start, nl - start));
    start = nl + 1;
  }
  parts.push_back(cursor.substr(start));
  if (parts[0] != std::to_string(static_cast<int>(q.order)) ||
      parts[1] != (q.descending ? "1" : "0")) {
    return invalid;
  }
  char* end = nullptr;
  long long number = std::strtoll(parts[2].c_str(), &end, 10);
  if (parts[2].empty() || *end != '\0' || parts[3].empty()) return invalid;
  q.after = storage::SecretPosition{number, parts[4], parts[3]};
  return Status::Ok();
}

// ListSecrets' SortBy / SortOrder as a store query (the model admits only these values).
storage::SecretQuery QueryFor(const json::Input& in) {
  storage::SecretQuery q;
  std::string sort_by = in.Str("SortBy").value_or("created-date");
  if (sort_by == "name") {
    q.order = storage::SecretOrder::kName;
  } else if (sort_by == "last-changed-date") {
    q.order = storage::SecretOrder::kLastChanged;
  } else if (sort_by == "last-accessed-date") {
    q.order = storage::SecretOrder::kLastAccessed;
  } else {
    q.order = storage::SecretOrder::kCreated;
  }
  q.descending = in.Str("SortOrder").value_or("asc") == "desc";
  return q;
}

// With filters the store cannot apply, one call reads at most this many secrets per result
// asked for (and between these bounds): a sparse match answers a short page with a NextToken,
// as AWS documents ("even when there are more results, a page may hold fewer than MaxResults").
constexpr size_t kScanPerResult = 10;
constexpr size_t kMinScan = 100;
constexpr size_t kMaxScan = 1000;

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
  auth::CallerKeyUse key_use(ctx, "secretsmanager");  // kms:Decrypt via Secrets Manager
  ARCANA_ASSIGN_OR_RETURN(std::string plain, OpenVersion(data, *v, &key_use));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  WriteValue(w, l.self, *v, plain);
  crypto::SecureWipe(plain);
  std::string out = json::Finish(buf);
  TouchAccessed(l, v->version_id, ctx.now_ms);
  return out;
}

Result<SecretsManagerService::FilteredPage> SecretsManagerService::FilteredSecrets(
    const In& in, const CallContext& ctx, storage::SecretQuery query, size_t max_results) {
  auto filters = ReadFilters(in);
  ARCANA_RETURN_IF_ERROR(dsm::ValidateFilters(filters));
  max_results = std::max<size_t>(max_results, 1);
  const bool filtered = !filters.empty();
  // Unfiltered, only rows the store returns but nobody may see (expired, orphaned) are
  // passed over, so the cap is rarely reached; it still bounds the call.
  const size_t budget =
      filtered ? std::clamp(kScanPerResult * max_results, kMinScan, kMaxScan) : kMaxScan;
  query.now_ms = ctx.now_ms;
  const storage::Scope scope{ctx.account, ctx.region};
  FilteredPage page;
  // The position of the last secret consumed (returned or passed over): where the next page
  // starts. A match found once the page is full is not consumed: the next page begins with it.
  std::optional<storage::SecretPosition> cursor = query.after;
  size_t scanned = 0;
  while (true) {
    // Unfiltered, one more than the page needs says whether more follow.
    const size_t want = filtered ? budget - scanned
                                 : std::min(budget - scanned, max_results - page.items.size() + 1);
    const size_t fetch = std::min(storage::kMaxListLimit, want);
    query.after = cursor;
    query.limit = fetch;
    ARCANA_ASSIGN_OR_RETURN(auto batch, store_.ListSecrets(scope, query));
    for (auto& s : batch) {
      ++scanned;
      storage::SecretPosition pos = storage::SecretStore::PositionOf(s, query.order);
      Loaded l;
      l.self = std::move(s);
      if (l.self.IsReplica()) {
        ARCANA_ASSIGN_OR_RETURN(auto primary, store_.GetSecretByArn(l.self.primary_arn));
        if (!primary) {
          cursor = std::move(pos);
          continue;
        }
        l.primary = std::move(*primary);
        l.replica = true;
      }
      const Secret& d = l.data();
      dsm::FilterSubject subject;
      subject.name = l.self.name;
      subject.description = d.description;
      // Only a replicated secret has a primary region (its PrimaryRegion member): a primary
      // with replicas, or a replica. A standalone secret matches no primary-region value.
      if (l.replica) {
        subject.primary_region = l.self.primary_region;
      } else if (!l.self.replicas.empty()) {
        subject.primary_region = l.self.region;
      }
      subject.owning_service = d.owning_service;
      for (const auto& t : d.tags) subject.tags.emplace_back(t.key, t.value);
      if (!dsm::MatchesFilters(subject, filters)) {
        cursor = std::move(pos);
        continue;
      }
      if (page.items.size() == max_results) {
        page.next = cursor;
        return page;
      }
      page.items.push_back(std::move(l));
      cursor = std::move(pos);
    }
    if (batch.size() < fetch) return page;  // the end of the list
    if (scanned >= budget) {
      page.next = cursor;  // this call's share of the scan is spent; more may match later
      return page;
    }
  }
}

Result<std::string> SecretsManagerService::ListSecrets(const In& in, const CallContext& ctx) {
  size_t max = static_cast<size_t>(in.Int("MaxResults").value_or(100));
  storage::SecretQuery query = QueryFor(in);
  query.include_deleted = in.Bool("IncludePlannedDeletion").value_or(false);
  ARCANA_RETURN_IF_ERROR(ApplyListCursor(page_key_, "ListSecrets", in, query));
  ARCANA_ASSIGN_OR_RETURN(auto page, FilteredSecrets(in, ctx, query, max));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("SecretList");
  w.StartArray();
  for (const auto& l : page.items) WriteSecretEntry(w, l.self, l.data(), EntryForm::kList);
  w.EndArray();
  if (page.next) {
    json::KV(w, "NextToken",
             dsm::EncodePageToken(page_key_, "ListSecrets", EncodeListCursor(query, *page.next)));
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
  // Each secret needs secretsmanager:GetSecretValue on it; a denial is that item's error.
  CallContext item_ctx = ctx;
  item_ctx.action = "secretsmanager:GetSecretValue";
  auth::CallerKeyUse key_use(ctx, "secretsmanager");  // kms:Decrypt via Secrets Manager
  if (ids) {
    for (const auto& id : *ids) {
      auto l = Load(item_ctx, id);
      if (!l.ok()) {
        failures.push_back({id, l.status()});
      } else {
        targets.emplace_back(id, std::move(l).value());
      }
    }
  } else {
    size_t max = static_cast<size_t>(in.Int("MaxResults").value_or(20));
    storage::SecretQuery query;  // oldest first, secrets scheduled for deletion left out
    ARCANA_RETURN_IF_ERROR(ApplyListCursor(page_key_, "BatchGetSecretValue", in, query));
    ARCANA_ASSIGN_OR_RETURN(auto page, FilteredSecrets(in, ctx, query, max));
    for (auto& l : page.items) {
      // Named in the record as the SecretIdList branch's Load names them, refused or not:
      // a bulk read by filter is what an investigator searches for by resource.
      ctx.Touch(audit::kSecretType, l.self.arn);
      Status allowed = AuthorizeSecret(item_ctx, l, l.self.arn);
      if (!allowed.ok()) {
        failures.push_back({l.self.arn, allowed});
        continue;
      }
      targets.emplace_back(l.self.arn, std::move(l));
    }
    if (page.next) {
      next_token = dsm::EncodePageToken(page_key_, "BatchGetSecretValue",
                                        EncodeListCursor(query, *page.next));
    }
  }
  w.Key("SecretValues");
  w.StartArray();
  for (auto& [id, l] : targets) {
    if (l.self.deleted_ms) {
      Status refused(ErrorCode::kInvalidRequest,
                     "You can't perform this operation on the secret because it was marked for "
                     "deletion.");
      // The call answers 200: the record names the refusal, for the "Pending Deletion
      // Secret Read" detection (events/detections.h) and for investigators.
      if (ctx.touched != nullptr) {
        ctx.touched->MarkRefused(l.self.arn, "InvalidRequestException", refused.message());
      }
      failures.push_back({id, std::move(refused)});
      continue;
    }
    auto v = SelectVersion(l.data(), "", "");
    if (!v.ok()) {
      failures.push_back({id, v.status()});
      continue;
    }
    auto plain = OpenVersion(l.data(), **v, &key_use);
    if (!plain.ok()) {
      failures.push_back({id, plain.status()});
      continue;
    }
    WriteValue(w, l.self, **v, *plain);
    crypto::SecureWipe(*plain);
    TouchAccessed(l, (*v)->version_id, ctx.now_ms);
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
  ReplicaAccessDates accessed;
  if (!l.replica && !l.self.replicas.empty()) {
    ARCANA_ASSIGN_OR_RETURN(accessed, ReplicaAccess(l.self));
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  WriteSecretEntry(w, l.self, l.data(), EntryForm::kDescribe, accessed);
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
  const std::string replica_key = l.replica ? KmsKeyIdIn(l.self, d) : std::string();
  // Oldest first, as AWS lists them (every recorded listing is in creation order); the
  // versions are kept in that order.
  for (const auto& v : d.versions) {
    if (!deprecated && v.stages.empty()) continue;
    versions.push_back(&v);
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
      WriteStages(w, v->stages);
    }
    if (v->last_accessed_ms) {
      w.Key("LastAccessedDate");
      json::WriteTimestamp(w, *v->last_accessed_ms);
    }
    w.Key("CreatedDate");
    json::WriteTimestamp(w, v->created_ms);
    // A replica's versions are encrypted under its region's key, not its primary's.
    const std::string& key = l.replica ? replica_key : v->kms_key_id;
    w.Key("KmsKeyIds");
    json::WriteStringList(w, {key.empty() ? "DefaultEncryptionKey" : key});
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
