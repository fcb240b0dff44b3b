// GetParameter(s), GetParametersByPath, DescribeParameters, GetParameterHistory.
#include <algorithm>
#include <cstdint>

#include "crypto/aead.h"
#include "domain/secretsmanager/page_token.h"
#include "domain/ssm/filters.h"
#include "domain/ssm/names.h"
#include "domain/ssm/versions.h"
#include "services/ssm/page_cursor.h"
#include "services/ssm/ssm_encode.h"
#include "services/ssm/ssm_service.h"

namespace arcana::services::ssm {

namespace dssm = domain::ssm;

namespace {

// Decodes a NextToken minted for `op` into its cursor (SSM's InvalidNextToken on failure).
Result<std::string> Cursor(std::string_view key, const std::string& op, const json::Input& in) {
  return PageCursor(key, op, in,
                    Status(ErrorCode::kSsmInvalidNextToken, "The specified token isn't valid."));
}

Result<std::vector<dssm::StringFilter>> ReadFilters(const rapidjson::Value* list) {
  std::vector<dssm::StringFilter> out;
  if (list == nullptr) return out;
  for (const auto& f : list->GetArray()) {
    json::Input fi(f);
    out.push_back({fi.Str("Key").value_or(""), fi.Str("Option").value_or(""),
                   fi.StrList("Values").value_or(std::vector<std::string>{})});
  }
  return out;
}

// `param` and `/param` are one parameter; a read answers with the name in the form the caller
// wrote it (AWS does the same). From an ARN, the name as created.
void PresentAs(dssm::Parameter& p, const dssm::NameRef& ref) {
  if (!ref.from_arn) p.name = ref.name;
}

// The account owning the parameter a reference names: "" for the caller's own, the ARN's
// account for a parameter another account shares (reachable by its full ARN only, as AWS
// documents for shared parameters; the parameter's resource policy decides, in Find).
// nullopt: an ARN of another region, which names nothing here.
std::optional<std::string> OwnerOf(const dssm::NameRef& ref, const CallContext& ctx) {
  if (!ref.foreign) return std::string();
  if (ref.region != ctx.region) return std::nullopt;
  return ref.account;
}

bool Expired(const dssm::Parameter& p, int64_t now_ms) {
  auto e = p.ExpiresMs();
  return e && *e <= now_ms;
}

// With filters the store cannot apply, one call reads at most this many parameters per result
// asked for (within these bounds) and answers a shorter page with a NextToken, as AWS allows.
constexpr size_t kScanPerResult = 10;
constexpr size_t kMinScan = 100;
constexpr size_t kMaxScan = 1000;

// One bounded page of the scope's parameters under key_prefix, in key order, after
// `after` ("" = from the start). match(p) says whether p belongs to the result; emit(p) writes
// it. `filtered`: match can reject parameters for reasons the store does not know, so the
// scan is bounded by the budget. Returns the key to continue after (NextToken), or "" when
// the listing is complete.
template <typename Match, typename Emit>
Result<std::string> ScanPage(storage::ParameterStore& store, const storage::Scope& scope,
                             const std::string& key_prefix, std::string after, int64_t max,
                             bool filtered, Match match, Emit emit) {
  const size_t max_results = static_cast<size_t>(std::max<int64_t>(max, 1));
  // Unfiltered, only rows the store returns but nobody may see (expired, orphaned) are
  // passed over, so the cap is rarely reached; it still bounds the call.
  const size_t budget =
      filtered ? std::clamp(kScanPerResult * max_results, kMinScan, kMaxScan) : kMaxScan;
  size_t emitted = 0, scanned = 0;
  while (true) {
    // Unfiltered, one more than the page needs says whether more follow.
    const size_t want =
        filtered ? budget - scanned : std::min(budget - scanned, max_results - emitted + 1);
    const size_t fetch = std::min(storage::kMaxListLimit, want);
    ARCANA_ASSIGN_OR_RETURN(auto batch, store.ListParameters(scope, key_prefix, after, fetch));
    for (const auto& p : batch) {
      ++scanned;
      if (!match(p)) {
        after = p.key;  // consumed: passed over
        continue;
      }
      if (emitted == max_results) return after;  // a match beyond the page: more follow
      ARCANA_RETURN_IF_ERROR(emit(p));
      ++emitted;
      after = p.key;
    }
    if (batch.size() < fetch) return std::string();  // the end of the listing
    if (scanned >= budget) return after;  // this call's share of the scan
  }
}

}  // namespace

Status SsmService::GetOne(json::Writer& w, const std::string& raw, bool decrypt,
                          const CallContext& ctx) {
  if (IsReference(raw)) return GetReference(w, raw, decrypt, ctx);
  auto ref = dssm::ParseNameRef(dssm::TrimName(raw), ctx.region, ctx.account);
  // GetParameter of a missing parameter: AWS answers without message text.
  auto owner = OwnerOf(ref, ctx);
  if (ref.malformed || !owner) return dssm::ParameterNotFound();
  ARCANA_RETURN_IF_ERROR(dssm::ValidateLookupName(ref.name));
  ARCANA_ASSIGN_OR_RETURN(auto p, Find(ctx, dssm::NameKey(ref.name), *owner));
  if (!p) return dssm::ParameterNotFound();
  PresentAs(*p, ref);
  const ParameterVersion* v = &p->Latest();
  if (!ref.selector.empty()) {
    if (auto num = dssm::SelectorVersion(ref.selector)) {
      v = p->FindVersion(*num);
    } else {
      v = p->FindLabel(ref.selector);
    }
    if (v == nullptr) return dssm::VersionNotFound(p->name, ref.selector);
  }
  ARCANA_ASSIGN_OR_RETURN(std::string value, LoadValue(*p, *v, decrypt, ctx));
  WriteParameter(w, *p, *v, value, ref.selector.empty() ? "" : ":" + ref.selector);
  if (v->type == dssm::kSecureString) crypto::SecureWipe(value);
  return Status::Ok();
}

Result<std::string> SsmService::GetParameter(const In& in, const CallContext& ctx) {
  const bool decrypt = in.Bool("WithDecryption").value_or(false);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("Parameter");
  const std::string raw = in.Str("Name").value_or("");
  if (!IsReference(raw)) {
    // GetParameters lists such a name among InvalidParameters (GetOne): no AWS answer to it
    // was found, so the batch keeps answering as for any name that names nothing.
    auto ref = dssm::ParseNameRef(dssm::TrimName(raw), ctx.region, ctx.account);
    if (!ref.malformed && dssm::ValidateLookupName(ref.name).ok()) {
      ARCANA_RETURN_IF_ERROR(dssm::CheckReservedLookup(ref.name));
    }
  }
  ARCANA_RETURN_IF_ERROR(GetOne(w, raw, decrypt, ctx));
  w.EndObject();
  return Finish(buf);
}

Result<std::string> SsmService::GetParameters(const In& in, const CallContext& ctx) {
  const bool decrypt = in.Bool("WithDecryption").value_or(false);
  auto names = in.StrList("Names").value_or(std::vector<std::string>{});
  std::vector<std::string> invalid, seen;
  std::vector<std::pair<std::string, std::string>> found;  // (sort key, Parameter JSON)
  for (const auto& name : names) {
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
    seen.push_back(name);
    rapidjson::StringBuffer one;
    json::Writer w(one);
    Status st = GetOne(w, name, decrypt, ctx);
    if (st.ok()) {
      found.emplace_back(name, Finish(one));
    } else if (st.code() == ErrorCode::kParameterNotFound ||
               st.code() == ErrorCode::kParameterVersionNotFound ||
               (st.code() == ErrorCode::kValidation && !(IsReference(name) && !decrypt))) {
      // Missing and malformed names are listed, not raised. A reference read without
      // WithDecryption still fails the whole call.
      invalid.push_back(name);
    } else {
      return st;
    }
  }
  std::sort(found.begin(), found.end());
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("Parameters");
  w.StartArray();
  for (const auto& [_, text] : found) {
    w.RawValue(text.data(), text.size(), rapidjson::kObjectType);
  }
  w.EndArray();
  w.Key("InvalidParameters");
  json::WriteStringList(w, invalid);
  w.EndObject();
  std::string out = Finish(buf);
  for (auto& f : found) crypto::SecureWipe(f.second);
  return out;
}

Result<std::string> SsmService::GetParametersByPath(const In& in, const CallContext& ctx) {
  std::string path = in.Str("Path").value_or("");
  ARCANA_RETURN_IF_ERROR(dssm::ValidatePath(path));
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const bool recursive = in.Bool("Recursive").value_or(false);
  const bool decrypt = in.Bool("WithDecryption").value_or(false);
  const int64_t max = in.Int("MaxResults").value_or(10);
  ARCANA_ASSIGN_OR_RETURN(auto filters, ReadFilters(in.Get("ParameterFilters")));
  ARCANA_RETURN_IF_ERROR(dssm::NormalizeFilters(filters, dssm::FilterUse::kByPath));
  const std::string op = "GetParametersByPath\n" + path + (recursive ? "\nR" : "\n1");
  ARCANA_ASSIGN_OR_RETURN(std::string after, Cursor(page_key_, op, in));

  const std::string prefix = path == "/" ? "" : path + "/";
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("Parameters");
  w.StartArray();
  // Only a recursive listing without filters is exactly what the store's prefix scan returns
  // (expired parameters aside, which are rare and still bounded by the page).
  const bool filtered = !recursive || !filters.empty();
  ARCANA_ASSIGN_OR_RETURN(
      std::string next,
      ScanPage(
          store_, {ctx.account, ctx.region}, prefix, after, max, filtered,
          [&](const Parameter& p) {
            return !Expired(p, ctx.now_ms) && dssm::InPath(p.key, path, recursive) &&
                   dssm::MatchesFilters(p, filters) &&
                   dssm::LabelledVersion(p, filters) != nullptr;
          },
          [&](const Parameter& p) -> Status {
            const ParameterVersion* v = dssm::LabelledVersion(p, filters);
            ARCANA_ASSIGN_OR_RETURN(std::string value, LoadValue(p, *v, decrypt, ctx));
            WriteParameter(w, p, *v, value, "");
            if (v->type == dssm::kSecureString) crypto::SecureWipe(value);
            ctx.Touch(audit::kParameterType, dssm::ParameterArn(ctx.region, ctx.account, p.name));
            return Status::Ok();
          }));
  w.EndArray();
  if (!next.empty()) json::KV(w, "NextToken", domain::sm::EncodePageToken(page_key_, op, next));
  w.EndObject();
  return Finish(buf);
}

Result<std::string> SsmService::DescribeParameters(const In& in, const CallContext& ctx) {
  const rapidjson::Value* legacy = in.Get("Filters");
  const rapidjson::Value* pf = in.Get("ParameterFilters");
  if (legacy != nullptr && pf != nullptr && !legacy->Empty() && !pf->Empty()) {
    return Status(ErrorCode::kValidation,
                  "You can use either Filters or ParameterFilters in a single request.");
  }
  std::vector<dssm::StringFilter> filters;
  if (legacy != nullptr && !legacy->Empty()) {
    ARCANA_ASSIGN_OR_RETURN(auto l, ReadFilters(legacy));
    filters = dssm::FromLegacyFilters(l);
  } else {
    ARCANA_ASSIGN_OR_RETURN(filters, ReadFilters(pf));
  }
  ARCANA_RETURN_IF_ERROR(dssm::NormalizeFilters(filters, dssm::FilterUse::kDescribe));
  // AWS pages DescribeParameters at 10 when MaxResults is not given (the model allows up to
  // 50): a caller that reads one page without MaxResults sees 10 and a NextToken.
  const int64_t max = in.Int("MaxResults").value_or(10);
  const std::string op = "DescribeParameters";
  ARCANA_ASSIGN_OR_RETURN(std::string after, Cursor(page_key_, op, in));
  // Shared=true lists parameters other accounts shared with the caller: none on this server.
  const bool shared = in.Bool("Shared").value_or(false);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("Parameters");
  w.StartArray();
  std::string next;
  if (!shared) {
    ARCANA_ASSIGN_OR_RETURN(
        next, ScanPage(
                  store_, {ctx.account, ctx.region}, "", after, max, !filters.empty(),
                  [&](const Parameter& p) {
                    return !Expired(p, ctx.now_ms) && dssm::MatchesFilters(p, filters);
                  },
                  [&](const Parameter& p) -> Status {
                    WriteMetadata(w, p);
                    return Status::Ok();
                  }));
  }
  w.EndArray();
  if (!next.empty()) json::KV(w, "NextToken", domain::sm::EncodePageToken(page_key_, op, next));
  w.EndObject();
  return Finish(buf);
}

Result<std::string> SsmService::GetParameterHistory(const In& in, const CallContext& ctx) {
  const std::string raw = in.Str("Name").value_or("");
  auto ref = dssm::ParseNameRef(dssm::TrimName(raw), ctx.region, ctx.account);
  auto owner = OwnerOf(ref, ctx);
  if (ref.malformed || !owner || !ref.selector.empty()) return dssm::ParameterNotFound(raw);
  ARCANA_RETURN_IF_ERROR(dssm::ValidateLookupName(ref.name));
  ARCANA_ASSIGN_OR_RETURN(auto p, Find(ctx, dssm::NameKey(ref.name), *owner));
  if (!p) return dssm::ParameterNotFound(ref.name);
  PresentAs(*p, ref);
  const bool decrypt = in.Bool("WithDecryption").value_or(false);
  const int64_t max = in.Int("MaxResults").value_or(50);
  const std::string op = "GetParameterHistory\n" + p->key;
  ARCANA_ASSIGN_OR_RETURN(std::string after, Cursor(page_key_, op, in));
  int64_t after_version = after.empty() ? 0 : std::strtoll(after.c_str(), nullptr, 10);
  ARCANA_ASSIGN_OR_RETURN(auto values, store_.GetParameterValues({p->account, p->region}, p->key));

  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("Parameters");
  w.StartArray();
  int64_t emitted = 0, last = 0;
  bool more = false;
  for (const auto& v : p->versions) {
    if (v.version <= after_version) continue;
    if (emitted == max) {
      more = true;
      break;
    }
    auto it = values.find(v.version);
    if (it == values.end()) {
      return Status(ErrorCode::kSsmInternalServerError, "stored value of a version is missing");
    }
    ARCANA_ASSIGN_OR_RETURN(std::string value, ValueFor(*p, v, it->second, decrypt, ctx));
    WriteHistory(w, *p, v, value);
    if (v.type == dssm::kSecureString) crypto::SecureWipe(value);
    ++emitted;
    last = v.version;
  }
  w.EndArray();
  if (more) {
    json::KV(w, "NextToken", domain::sm::EncodePageToken(page_key_, op, std::to_string(last)));
  }
  w.EndObject();
  return Finish(buf);
}

}  // namespace arcana::services::ssm
