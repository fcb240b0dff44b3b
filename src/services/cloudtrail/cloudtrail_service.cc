#include "services/cloudtrail/cloudtrail_service.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "audit/node_head.h"
#include "audit/trail_index_search.h"
#include "audit/trail_query.h"
#include "auth/authorizer.h"
#include "common/json.h"
#include "crypto/base64.h"
#include "crypto/hash.h"

namespace arcana::services::cloudtrail {
namespace {

constexpr int kMaxResults = 50;
constexpr size_t kMaxAttributeValueLength = 2000;

// A lookup attribute value's length as CloudTrail counts it: characters (code points), with
// '_', ' ', ',' and '\n' counting as two.
size_t WeightedLength(const std::string& value) {
  size_t n = 0;
  for (unsigned char c : value) {
    if ((c & 0xC0) == 0x80) continue;  // a UTF-8 continuation byte: the same character
    n += (c == '_' || c == ' ' || c == ',' || c == '\n') ? 2 : 1;
  }
  return n;
}

Status BadToken() {
  return Status(ErrorCode::kInvalidNextToken, "Invalid NextToken");
}

// The request's parameters a NextToken belongs to: every LookupAttribute, StartTime, EndTime
// (as q holds them, parsed) and EventCategory as sent (absent ones as absent: their defaults
// move with the clock). MaxResults is not one of them: a page size may change between pages.
std::string ParamsDigest(const rapidjson::Value& input, const audit::TrailQuery& q) {
  std::string canon;
  auto it = input.FindMember("LookupAttributes");
  if (it != input.MemberEnd() && it->value.IsArray()) {
    for (const auto& a : it->value.GetArray()) {
      canon += "A" + json::StrField(a, "AttributeKey") + '\x1f' +
               json::StrField(a, "AttributeValue") + '\x1e';
    }
  }
  for (auto [k, ms] : {std::pair{"StartTime", q.start_ms}, std::pair{"EndTime", q.end_ms}}) {
    canon += k;
    auto t = input.FindMember(k);
    const bool given = t != input.MemberEnd() && !t->value.IsNull();  // as TimeMember reads it
    canon += given ? std::to_string(ms) : std::string("-");
    canon += '\x1e';
  }
  auto cat = input.FindMember("EventCategory");
  canon += "C" + (cat != input.MemberEnd() && cat->value.IsString()
                      ? std::string(cat->value.GetString(), cat->value.GetStringLength())
                      : std::string("-"));
  return crypto::Sha256Hex(canon).substr(0, 16);
}

// NextToken: base64("v2:<params digest>:<time_ms>:<sequence>:<node>"), the last event of the
// page and the parameters of the request that answered it.
std::string EncodeToken(const audit::TrailMatch& m, const std::string& digest) {
  return crypto::Base64Encode("v2:" + digest + ":" + std::to_string(m.time_ms) + ":" +
                              std::to_string(m.sequence) + ":" + m.node);
}

// A token of a request with other parameters is InvalidNextTokenException, as the model
// documents that error ("a token that was previously used in a request with different
// parameters"). A v1 token (no digest, from a node before this check) is taken as it was.
Status DecodeToken(const std::string& token, const std::string& digest, audit::TrailQuery& q) {
  if (token.size() > 512) return BadToken();
  auto raw = crypto::Base64Decode(token);
  if (!raw) return BadToken();
  std::string s = *raw;
  if (s.rfind("v2:", 0) == 0) {
    if (s.size() < 3 + digest.size() + 1 || s.compare(3, digest.size(), digest) != 0 ||
        s[3 + digest.size()] != ':') {
      return BadToken();
    }
    s = "v1:" + s.substr(3 + digest.size() + 1);
  }
  if (s.rfind("v1:", 0) != 0) return BadToken();
  size_t a = s.find(':', 3), b = a == std::string::npos ? a : s.find(':', a + 1);
  if (b == std::string::npos) return BadToken();
  try {
    size_t used = 0;
    q.cursor_ms = std::stoll(s.substr(3, a - 3), &used);
    if (used != a - 3) return BadToken();
    q.cursor_seq = std::stoull(s.substr(a + 1, b - a - 1), &used);
    if (used != b - a - 1) return BadToken();
  } catch (...) {
    return BadToken();
  }
  q.cursor_node = s.substr(b + 1);
  q.has_cursor = true;
  return Status::Ok();
}

Result<int64_t> TimeMember(const rapidjson::Value& in, const char* k, int64_t dflt) {
  auto it = in.FindMember(k);
  if (it == in.MemberEnd() || it->value.IsNull()) return dflt;
  if (!it->value.IsNumber()) return Status(ErrorCode::kSerialization, std::string(k) + " must be a timestamp");
  double secs = it->value.GetDouble();
  if (!std::isfinite(secs) || std::fabs(secs) > 1e13) {
    // The model's InvalidTimeRangeException: "... or the time range is outside the range of
    // possible values" (botocore's cloudtrail service-2.json).
    return Status(ErrorCode::kInvalidTimeRange, std::string(k) + " is out of range.");
  }
  return static_cast<int64_t>(secs * 1000.0);
}

void WriteEvent(json::Writer& w, const audit::TrailMatch& m) {
  rapidjson::Document rec;
  (void)json::ParseBounded(m.line, &rec);
  auto str = [&](const rapidjson::Value& o, const char* k) -> std::string {
    auto it = o.FindMember(k);
    return it != o.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
  };
  w.StartObject();
  json::KV(w, "EventId", str(rec, "eventID"));
  json::KV(w, "EventName", str(rec, "eventName"));
  auto ro = rec.FindMember("readOnly");
  json::KV(w, "ReadOnly", ro != rec.MemberEnd() && ro->value.IsBool() && ro->value.GetBool() ? "true" : "false");
  auto u = rec.FindMember("userIdentity");
  if (u != rec.MemberEnd() && u->value.IsObject()) {
    std::string akid = str(u->value, "accessKeyId");
    if (!akid.empty()) json::KV(w, "AccessKeyId", akid);
  }
  w.Key("EventTime");
  w.Int64(m.time_ms / 1000);
  json::KV(w, "EventSource", str(rec, "eventSource"));
  std::string user = audit::UsernameOf(rec);
  if (!user.empty()) json::KV(w, "Username", user);
  w.Key("Resources");
  w.StartArray();
  auto res = rec.FindMember("resources");
  if (res != rec.MemberEnd() && res->value.IsArray()) {
    for (const auto& r : res->value.GetArray()) {
      w.StartObject();
      json::KV(w, "ResourceType", str(r, "type"));
      json::KV(w, "ResourceName", str(r, "ARN"));
      w.EndObject();
    }
  }
  w.EndArray();
  json::KV(w, "CloudTrailEvent", m.line);
  w.EndObject();
}

}  // namespace

CloudTrailService::CloudTrailService(std::string audit_dir, storage::MetaStore* meta,
                                     storage::AuditIndexStore* index,
                                     audit::TrailIndexer* indexer)
    : audit_dir_(std::move(audit_dir)),
      meta_(meta),
      index_(index),
      indexer_(indexer),
      validator_("cloudtrail", ErrorCode::kValidation) {}

Result<std::string> CloudTrailService::Call(std::string_view operation,
                                            const rapidjson::Value& input,
                                            const CallContext& ctx) {
  if (operation == "LookupEvents") return LookupEvents(input, ctx);
  return Status(ErrorCode::kUnknownOperation,
                "Operation " + std::string(operation) + " is not supported by this server.");
}

Result<std::string> CloudTrailService::LookupEvents(const rapidjson::Value& input,
                                                    const CallContext& ctx) {
  // The trail names every principal, key, address and resource of the account: reading it
  // is an IAM action like any other (AWS: cloudtrail:LookupEvents on resource "*").
  auth::AccessRequest access;
  access.action = "cloudtrail:LookupEvents";
  access.resource_arn = "*";
  ARCANA_RETURN_IF_ERROR(auth::Check(ctx, access));
  json::Input in(input);
  audit::TrailQuery q;
  q.account = ctx.account;
  q.region = ctx.region;
  if (const rapidjson::Value* attrs = in.Get("LookupAttributes"); attrs && !attrs->Empty()) {
    // "Currently the list can contain only one item" (API reference): AWS takes the first
    // and ignores the rest without an error (seen on live accounts by tools that sent two),
    // so a client that combines filters gets what AWS would give it.
    const rapidjson::Value& a = (*attrs)[0];
    std::string key = a["AttributeKey"].GetString(), value = a["AttributeValue"].GetString();
    // The model validator has held the value to 1-2000 characters; past that, the service
    // counts '_', ' ', ',' and newlines as two characters towards the 2000 (API reference,
    // LookupAttribute), and refuses a value over it as a lookup attribute that is not valid.
    if (WeightedLength(value) > kMaxAttributeValueLength) {
      return Status(ErrorCode::kInvalidLookupAttributes,
                    "The lookup attribute value is longer than 2000 characters ('_', ' ', ',' "
                    "and newlines count as two).");
    }
    if (key == "EventId") q.event_id = value;
    else if (key == "EventName") q.event_name = value;
    else if (key == "ReadOnly") q.read_only = value;
    else if (key == "Username") q.username = value;
    else if (key == "ResourceType") q.resource_type = value;
    else if (key == "ResourceName") q.resource_name = value;
    else if (key == "EventSource") q.event_source = value;
    else if (key == "AccessKeyId") q.access_key_id = value;
  }
  if (auto cat = in.Str("EventCategory"); cat && *cat != "insight") {
    return Status(ErrorCode::kValidation, "Invalid EventCategory: " + *cat);
  }
  ARCANA_ASSIGN_OR_RETURN(q.start_ms, TimeMember(input, "StartTime", q.start_ms));
  ARCANA_ASSIGN_OR_RETURN(q.end_ms, TimeMember(input, "EndTime", q.end_ms));
  if (q.start_ms > q.end_ms) {
    // The API reference's InvalidTimeRangeException: "the start time occurs after the end time".
    return Status(ErrorCode::kInvalidTimeRange, "Start time must be before end time.");
  }
  int64_t max = in.Int("MaxResults").value_or(kMaxResults);
  if (max < 1 || max > kMaxResults) {
    return Status(ErrorCode::kValidation, "MaxResults must be between 1 and 50.");
  }
  const std::string digest = ParamsDigest(input, q);
  if (auto token = in.Str("NextToken")) ARCANA_RETURN_IF_ERROR(DecodeToken(*token, digest, q));
  // "You can look up events that occurred in a Region within the last 90 days" (API
  // reference): older records stay in the files (and `arcana audit search`), not in answers.
  // After the token's digest, which must not move with the clock between pages.
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
  q.start_ms = std::max(q.start_ms, now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 storage::AuditIndexStore::kRetention).count());

  bool more = false;
  std::vector<audit::TrailMatch> page;
  if (in.Str("EventCategory")) {
    // No Insights events are ever recorded here: an empty page.
  } else if (index_ != nullptr) {
    if (indexer_ != nullptr) {
      // This node's records up to now, the caller's earlier calls among them; bounded, so
      // that a node still shipping a long trail after an upgrade answers what is there.
      ARCANA_RETURN_IF_ERROR(
          indexer_->CatchUp(std::chrono::steady_clock::now() + std::chrono::seconds(2)));
    }
    ARCANA_ASSIGN_OR_RETURN(page, audit::SearchIndexedTrail(*index_, q, static_cast<size_t>(max), &more));
  } else {
    Status store_error = Status::Ok();
    if (meta_ != nullptr) {
      q.include_node = [&](const std::string& node) {
        auto head = audit::ReadNodeHead(*meta_, node);
        if (!head.ok()) {
          if (store_error.ok()) store_error = head.status();
          return false;
        }
        return head->has_value();
      };
    }
    ARCANA_ASSIGN_OR_RETURN(page, audit::SearchTrail(audit_dir_, q, static_cast<size_t>(max), &more));
    // A node skipped because the store could not answer would make the page silently short.
    ARCANA_RETURN_IF_ERROR(store_error);
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("Events");
  w.StartArray();
  for (const auto& m : page) WriteEvent(w, m);
  w.EndArray();
  if (more && !page.empty()) json::KV(w, "NextToken", EncodeToken(page.back(), digest));
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace arcana::services::cloudtrail
