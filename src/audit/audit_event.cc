#include "audit/audit_event.h"

#include <cstdio>
#include <ctime>
#include <random>

#include "audit/utf8_text.h"
#include "common/civil_time.h"
#include "common/json.h"
#include "crypto/random.h"

namespace arcana::audit {
namespace {

void Text(json::Writer& w, const char* key, const std::string& v) {
  w.Key(key);
  std::string_view s = CutUtf8(v, kMaxTextField);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void RawOrNull(json::Writer& w, const char* key, const std::string& raw) {
  w.Key(key);
  if (raw.empty()) {
    w.Null();
  } else {
    w.RawValue(raw.data(), raw.size(), rapidjson::kObjectType);
  }
}

void Identity(json::Writer& w, const UserIdentity& u) {
  w.Key("userIdentity");
  w.StartObject();
  json::KV(w, "type", u.type.empty() ? std::string("Unknown") : u.type);
  if (!u.principal_id.empty()) json::KV(w, "principalId", u.principal_id);
  if (!u.arn.empty()) json::KV(w, "arn", u.arn);
  if (!u.account_id.empty()) json::KV(w, "accountId", u.account_id);
  if (!u.access_key_id.empty()) json::KV(w, "accessKeyId", u.access_key_id);
  if (!u.user_name.empty()) json::KV(w, "userName", u.user_name);
  if (!u.invoked_by.empty()) json::KV(w, "invokedBy", u.invoked_by);
  if (!u.identity_provider.empty()) json::KV(w, "identityProvider", u.identity_provider);
  if (u.has_session) {
    w.Key("sessionContext");
    w.StartObject();
    w.Key("sessionIssuer");
    w.StartObject();
    if (!u.session_issuer_type.empty()) {
      json::KV(w, "type", u.session_issuer_type);
      if (!u.session_issuer_principal_id.empty()) {
        json::KV(w, "principalId", u.session_issuer_principal_id);
      }
      json::KV(w, "arn", u.session_issuer_arn);
      json::KV(w, "accountId", u.account_id);
      if (!u.session_issuer_user_name.empty()) json::KV(w, "userName", u.session_issuer_user_name);
    }
    w.EndObject();
    w.Key("webIdFederationData");
    w.StartObject();
    w.EndObject();
    w.Key("attributes");
    w.StartObject();
    if (u.session_created_ms > 0) json::KV(w, "creationDate", IsoTime(u.session_created_ms));
    json::KV(w, "mfaAuthenticated", std::string(u.mfa_authenticated ? "true" : "false"));
    w.EndObject();
    w.EndObject();
  }
  w.EndObject();
}

bool HasRefusedItems(const AuditEvent& e) {
  for (const auto& r : e.resources) {
    if (!r.refused_code.empty()) return true;
  }
  return false;
}

// additionalEventData: the store changes the record describes, and the items a batch call
// refused while answering 200 (audit_event.h).
void AdditionalData(json::Writer& w, const AuditEvent& e) {
  w.Key("additionalEventData");
  w.StartObject();
  if (!e.changes.empty() || e.changes_truncated) {
    w.Key("changeSequence");
    w.StartArray();
    for (const auto& c : e.changes) w.Int64(c.seq);
    w.EndArray();
    w.Key("changes");
    w.StartArray();
    for (const auto& c : e.changes) {
      w.StartObject();
      json::KV(w, "kind", c.kind);
      json::KV(w, "resource", c.resource);
      w.EndObject();
    }
    w.EndArray();
    if (e.changes_truncated) {
      w.Key("changeSequenceTruncated");
      w.Bool(true);
    }
  }
  if (HasRefusedItems(e)) {
    w.Key("refusedItems");
    w.StartArray();
    for (const auto& r : e.resources) {
      if (r.refused_code.empty()) continue;
      w.StartObject();
      json::KV(w, "ARN", r.arn);
      json::KV(w, "errorCode", r.refused_code);
      Text(w, "errorMessage", r.refused_message);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

}  // namespace

std::string IsoTime(int64_t epoch_ms) { return IsoUtcSeconds(epoch_ms); }

std::string NewEventId() {
  // Unique, not secret: a per-thread generator seeded from the CSPRNG keeps RAND_bytes off
  // the hot path (as the pipeline's request ids do).
  thread_local std::mt19937_64 gen = [] {
    std::string seed = crypto::RandomBytes(32);
    std::seed_seq seq(seed.begin(), seed.end());
    return std::mt19937_64(seq);
  }();
  uint64_t words[2] = {gen(), gen()};
  std::string b(reinterpret_cast<const char*>(words), 16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    auto c = static_cast<unsigned char>(b[i]);
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

AuditEvent ServiceEvent(std::string event_source, std::string event_name, std::string account,
                        std::string region, int64_t now_ms) {
  AuditEvent e;
  e.type = AuditEvent::Type::kServiceEvent;
  e.time_ms = now_ms;
  e.event_source = std::move(event_source);
  e.event_name = std::move(event_name);
  e.region = std::move(region);
  e.source_ip = "arcana.internal";
  e.user_agent = "arcana.internal";
  e.identity.type = "AWSService";
  e.identity.invoked_by = "arcana.internal";
  e.identity.account_id = account;
  e.recipient_account = std::move(account);
  e.event_id = NewEventId();
  return e;
}

AuditEvent OperatorEvent(std::string event_name, std::string account, std::string region,
                         int64_t now_ms) {
  AuditEvent e = ServiceEvent("arcana.operator", std::move(event_name), std::move(account),
                              std::move(region), now_ms);
  e.identity.type = "ArcanaOperator";
  e.identity.invoked_by.clear();
  return e;
}

std::string EventJson(const AuditEvent& e) {
  // A record is 1-2 KiB: starting there spares the buffer's growth from RapidJSON's 256 bytes
  // (five reallocations and copies per record).
  rapidjson::StringBuffer buf(nullptr, 2048);
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "eventVersion", std::string(kEventVersion));
  Identity(w, e.identity);
  json::KV(w, "eventTime", IsoTime(e.time_ms));
  json::KV(w, "eventSource", e.event_source);
  json::KV(w, "eventName", e.event_name);
  json::KV(w, "awsRegion", e.region);
  json::KV(w, "sourceIPAddress", e.source_ip);
  Text(w, "userAgent", e.user_agent);
  RawOrNull(w, "requestParameters", e.request_parameters);
  RawOrNull(w, "responseElements", e.response_elements);
  if (!e.changes.empty() || e.changes_truncated || HasRefusedItems(e)) AdditionalData(w, e);
  if (!e.error_code.empty()) {
    json::KV(w, "errorCode", e.error_code);
    Text(w, "errorMessage", e.error_message);
  }
  if (!e.request_id.empty()) json::KV(w, "requestID", e.request_id);
  json::KV(w, "eventID", e.event_id);
  w.Key("readOnly");
  w.Bool(e.read_only);
  w.Key("resources");
  w.StartArray();
  for (const auto& r : e.resources) {
    w.StartObject();
    if (!r.account.empty()) json::KV(w, "accountId", r.account);
    json::KV(w, "type", r.type);
    json::KV(w, "ARN", r.arn);
    w.EndObject();
  }
  w.EndArray();
  json::KV(w, "eventType",
           std::string(e.type == AuditEvent::Type::kApiCall ? "AwsApiCall" : "AwsServiceEvent"));
  w.Key("managementEvent");
  w.Bool(true);
  json::KV(w, "recipientAccountId", e.recipient_account);
  json::KV(w, "eventCategory", std::string("Management"));
  if (!e.service_event_details.empty()) {
    w.Key("serviceEventDetails");
    w.RawValue(e.service_event_details.data(), e.service_event_details.size(),
               rapidjson::kObjectType);
  }
  w.EndObject();
  // Strings from outside (a User-Agent header, an operation name, a request's text) are
  // written as they came: whatever is not UTF-8 becomes U+FFFD here, inside its JSON string,
  // so the record is readable by every reader of the trail (utf8_text.h).
  return ValidUtf8(std::string_view(buf.GetString(), buf.GetSize()));
}

}  // namespace arcana::audit
