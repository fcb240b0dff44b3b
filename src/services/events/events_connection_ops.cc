// EventBridge's connections and API destinations (services/events/events_service.h): their
// operations, the sealing of a connection's credentials, and the request a delivery to an
// API destination makes (ApiDestinationRequest). Answers and error words are AWS's as
// LocalStack's AWS-validated snapshot recorded them (test_api_destinations_and_connection);
// the ones no recording shows are marked "not confirmed".
// A connection's row keeps `document` = {"AuthorizationType","Description"?,
// "AuthParameters":<without secrets>,"SecretArn"?} and `sealed` = its full AuthParameters
// sealed (SecretArn: the managed secret that keeps them too, absent while deauthorized); a
// destination's `document` = {"Description"?,"HttpMethod","InvocationEndpoint",
// "InvocationRateLimitPerSecond"} and `connection` = its connection's name.
#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <functional>

#include "common/json.h"
#include "common/pattern.h"
#include "crypto/aead.h"
#include "crypto/base64.h"
#include "crypto/random.h"
#include "domain/events/connection.h"
#include "domain/events/target.h"
#include "services/events/events_common.h"
#include "services/events/events_service.h"
#include "services/secretsmanager/secrets_manager.h"

namespace arcana::services::events {
namespace {

namespace ev = domain::events;
using storage::EventConnectionRecord;
using storage::kEventApiDestinationKind;
using storage::kEventConnectionKind;

Status ConnectionNotFound(const std::string& name) {
  // Recorded: test_delete_connection's describe-deleted-connection.
  return Status(ErrorCode::kEventsResourceNotFound,
                "Failed to describe the connection(s). Connection '" + name +
                    "' does not exist.");
}

Status DestinationNotFound(const std::string& name) {
  // Recorded: test_api_destinations' describe-api-destination-not-found-error.
  return Status(ErrorCode::kEventsResourceNotFound,
                "Failed to describe the api-destination(s). An api-destination '" + name +
                    "' does not exist.");
}

std::string ConnectionResourceArn(const CallContext& ctx, const std::string& kind,
                                  const std::string& name, const std::string& uuid) {
  return "arn:aws:events:" + ctx.region + ":" + ctx.account + ":" + kind + "/" + name + "/" +
         uuid;
}

// What a call on a row that may not exist is authorized on: the row's ARN when it exists,
// else "<kind>/<name>/*"'s stand-in (the name without a UUID), so that a caller learns of
// rows only what its policies allow.
Status AllowOnConnection(const CallContext& ctx, const std::string& kind,
                         const std::string& name,
                         const std::optional<EventConnectionRecord>& found) {
  return Allow(ctx, found ? found->arn
                          : "arn:aws:events:" + ctx.region + ":" + ctx.account + ":" + kind +
                                "/" + name);
}

// The row `name` of kind, once the call is authorized on it; ResourceNotFoundException in
// AWS's recorded words when there is none.
Result<EventConnectionRecord> AuthorizedRow(storage::EventConnectionStore& store,
                                            const CallContext& ctx, const std::string& kind,
                                            const std::string& name) {
  ARCANA_ASSIGN_OR_RETURN(auto found, store.GetEventConnection(ScopeOf(ctx), kind, name));
  ARCANA_RETURN_IF_ERROR(AllowOnConnection(ctx, kind, name, found));
  if (!found) {
    return kind == kEventConnectionKind ? ConnectionNotFound(name) : DestinationNotFound(name);
  }
  return *found;
}

// What an OAuth token fetched for a connection is cached under: the connection and its
// credentials as sealed now (new credentials, also from a credentials-only update that
// leaves LastModifiedTime alone, are a new key; the connection's authorization is not).
std::string CredentialsKey(const EventConnectionRecord& c) {
  return c.arn + "@" + std::to_string(std::hash<std::string>{}(c.sealed));
}

rapidjson::Document ParseStoredDocument(const std::string& text) {
  rapidjson::Document d;
  if (!json::ParseBounded(text, &d).ok() || !d.IsObject()) d.SetObject();
  return d;
}

std::string DocText(const rapidjson::Value& d, const char* name) {
  return json::StrField(d, name);
}

int64_t DocInt(const rapidjson::Value& d, const char* name, int64_t fallback) {
  return json::OptIntField(d, name).value_or(fallback);
}

std::string JsonOf(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  v.Accept(w);
  return json::Finish(buf);
}

// A connection's document: its type, description, public AuthParameters and the ARN of the
// managed secret that keeps its credentials ("" : none).
std::string ConnectionDocument(const std::string& type, const std::string& description,
                               const std::string& public_auth, const std::string& secret_arn) {
  return ObjectJson([&](json::Writer& w) {
    json::KV(w, "AuthorizationType", type);
    if (!description.empty()) json::KV(w, "Description", description);
    w.Key("AuthParameters");
    w.RawValue(public_auth.data(), public_auth.size(), rapidjson::kObjectType);
    if (!secret_arn.empty()) json::KV(w, "SecretArn", secret_arn);
  });
}

// The state a connection with these credentials has once written: BASIC and API_KEY are
// authorized at once, OAuth while its token is fetched (recorded: AUTHORIZING on create).
std::string AuthorizedStateOf(const std::string& type) {
  return type == "OAUTH_CLIENT_CREDENTIALS" ? "AUTHORIZING" : "AUTHORIZED";
}

void WriteConnectionSummary(json::Writer& w, const EventConnectionRecord& r,
                            const char* state_override = nullptr) {
  json::KV(w, "ConnectionArn", r.arn);
  json::KV(w, "ConnectionState", state_override ? state_override : r.state.c_str());
  w.Key("CreationTime");
  json::WriteTimestamp(w, r.created_ms);
  if (r.authorized_ms > 0) {
    w.Key("LastAuthorizedTime");
    json::WriteTimestamp(w, r.authorized_ms);
  }
  w.Key("LastModifiedTime");
  json::WriteTimestamp(w, r.modified_ms);
}

// DescribeConnection (full) or a ListConnections entry.
void WriteConnection(json::Writer& w, const EventConnectionRecord& r, bool full) {
  rapidjson::Document doc = ParseStoredDocument(r.document);
  w.StartObject();
  if (full && doc.HasMember("AuthParameters")) {
    w.Key("AuthParameters");
    const std::string auth = JsonOf(doc["AuthParameters"]);
    w.RawValue(auth.data(), auth.size(), rapidjson::kObjectType);
  }
  json::KV(w, "AuthorizationType", DocText(doc, "AuthorizationType"));
  if (full && doc.HasMember("Description")) {
    json::KV(w, "Description", DocText(doc, "Description"));
  }
  json::KV(w, "Name", r.name);
  if (full && doc.HasMember("SecretArn")) json::KV(w, "SecretArn", DocText(doc, "SecretArn"));
  WriteConnectionSummary(w, r);
  w.EndObject();
}

// ACTIVE while its connection is authorized, INACTIVE otherwise (recorded: a destination of
// an OAuth connection still AUTHORIZING is INACTIVE).
std::string DestinationState(const std::optional<EventConnectionRecord>& connection) {
  return connection && connection->state == "AUTHORIZED" ? "ACTIVE" : "INACTIVE";
}

void WriteDestinationSummary(json::Writer& w, const EventConnectionRecord& r,
                             const std::string& state) {
  json::KV(w, "ApiDestinationArn", r.arn);
  json::KV(w, "ApiDestinationState", state);
  w.Key("CreationTime");
  json::WriteTimestamp(w, r.created_ms);
  w.Key("LastModifiedTime");
  json::WriteTimestamp(w, r.modified_ms);
}

void WriteDestination(json::Writer& w, const EventConnectionRecord& r, const std::string& state,
                      const std::string& connection_arn, bool full) {
  rapidjson::Document doc = ParseStoredDocument(r.document);
  w.StartObject();
  json::KV(w, "ApiDestinationArn", r.arn);
  json::KV(w, "ApiDestinationState", state);
  json::KV(w, "ConnectionArn", connection_arn);
  w.Key("CreationTime");
  json::WriteTimestamp(w, r.created_ms);
  if (full && doc.HasMember("Description")) {
    json::KV(w, "Description", DocText(doc, "Description"));
  }
  json::KV(w, "HttpMethod", DocText(doc, "HttpMethod"));
  json::KV(w, "InvocationEndpoint", DocText(doc, "InvocationEndpoint"));
  w.Key("InvocationRateLimitPerSecond");
  w.Int64(DocInt(doc, "InvocationRateLimitPerSecond", ev::kDefaultInvocationRateLimit));
  w.Key("LastModifiedTime");
  json::WriteTimestamp(w, r.modified_ms);
  json::KV(w, "Name", r.name);
  w.EndObject();
}

std::string DestinationDocument(const std::string& description, const std::string& method,
                                const std::string& endpoint, int64_t rate) {
  return ObjectJson([&](json::Writer& w) {
    if (!description.empty()) json::KV(w, "Description", description);
    json::KV(w, "HttpMethod", method);
    json::KV(w, "InvocationEndpoint", endpoint);
    w.Key("InvocationRateLimitPerSecond");
    w.Int64(rate);
  });
}

// Members of a connection request this server does not serve (private APIs, customer keys).
Status RefuseConnectionConfiguration(const json::Input& in) {
  for (const char* member : {"InvocationConnectivityParameters", "KmsKeyIdentifier"}) {
    if (in.Has(member)) {
      return Status(ErrorCode::kValidation,
                    std::string("Parameter ") + member + " is not supported by this server.");
    }
  }
  return Status::Ok();
}

Status CheckInvocationEndpoint(const std::string& endpoint) {
  // AWS requires https (not confirmed: its words for an http:// endpoint).
  if (!ev::IsHttpsEndpoint(endpoint)) {
    return Status(ErrorCode::kValidation,
                  "Parameter InvocationEndpoint is not valid. Reason: it must be an https URL.");
  }
  return Status::Ok();
}

// The connection a ConnectionArn names, of the caller's account and region: its name.
Result<std::string> ConnectionNameOf(const CallContext& ctx, const std::string& arn) {
  auto ref = ev::ParseEventsResourceArn(arn, "connection");
  if (!ref || ref->account != ctx.account || ref->region != ctx.region) {
    return ConnectionNotFound(ref ? ref->name : arn);
  }
  return ref->name;
}

Status MapConnectionStoreError(const Status& s, const std::string& kind,
                               const std::string& name) {
  switch (s.code()) {
    case ErrorCode::kResourceNotFound:
      return kind == kEventConnectionKind ? ConnectionNotFound(name) : DestinationNotFound(name);
    case ErrorCode::kResourceExists:
      // Not confirmed: AWS's words for a duplicate name.
      return Status(ErrorCode::kEventsResourceAlreadyExists,
                    (kind == kEventConnectionKind ? "Connection " : "An api-destination ") +
                        name + " already exists.");
    case ErrorCode::kPreconditionNotMet:
      // Not confirmed: AWS's words for deleting a connection an API destination uses.
      return Status(ErrorCode::kValidation,
                    "Connection '" + name + "' is used by an api-destination and cannot be "
                    "deleted.");
    default: return s;
  }
}

}  // namespace

bool ConnectionArnMatches(std::string_view s) {
  static const auto kPattern =
      pattern::Compile(
          R"(^arn:aws([a-z]|\-)*:events:([a-z]|\d|\-)*:([0-9]{12})?:connection\/[\.\-_A-Za-z0-9]+\/[\-A-Za-z0-9]+$)",
          1600)
          .pattern;
  return kPattern != nullptr && kPattern->FullMatch(s);
}

Result<storage::EventConnectionStore*> EventsService::Connections() {
  if (connections_ == nullptr || root_ == nullptr) {
    return Status(ErrorCode::kValidation,
                  "Connections and API destinations are not served by this server.");
  }
  return connections_;
}

Result<std::string> EventsService::SealConnectionSecret(const storage::Scope& scope,
                                                        const std::string& arn,
                                                        const std::string& full) {
  (void)scope;
  ARCANA_ASSIGN_OR_RETURN(std::string sealed,
                          root_->Seal(full, storage::EventConnectionSecretAad(arn)));
  return crypto::Base64Encode(sealed);
}

Result<std::string> EventsService::OpenConnectionSecret(const storage::Scope& scope,
                                                        const std::string& arn,
                                                        const std::string& sealed) {
  auto raw = crypto::Base64Decode(sealed);
  if (!raw) return Status(ErrorCode::kInternalFailure, "a connection's credentials are unreadable");
  (void)scope;
  return root_->Open(*raw, storage::EventConnectionSecretAad(arn));
}

Result<std::string> EventsService::CreateCredentialsSecret(const CallContext& ctx,
                                                           const std::string& name,
                                                           const std::string& type,
                                                           const std::string& full) {
  if (secrets_ == nullptr) return std::string();
  ARCANA_ASSIGN_OR_RETURN(std::string value, ev::ManagedSecretValue(type, full));
  auto arn = secrets_->CreateManagedSecret(ctx.account, ctx.region, "events",
                                           "events!connection/" + name + "/" +
                                               crypto::NewUuidV4(),
                                           value, ctx.now_ms);
  crypto::SecureWipe(value);
  return arn;
}

Status EventsService::PutCredentialsSecret(const CallContext& ctx, const std::string& secret_arn,
                                           const std::string& type, const std::string& full) {
  if (secrets_ == nullptr || secret_arn.empty()) return Status::Ok();
  ARCANA_ASSIGN_OR_RETURN(std::string value, ev::ManagedSecretValue(type, full));
  Status s = secrets_->PutManagedSecretValue(secret_arn, value, ctx.now_ms);
  crypto::SecureWipe(value);
  return s;
}

void EventsService::DropCredentialsSecret(const CallContext& ctx, const std::string& secret_arn,
                                          bool at_once) {
  if (secrets_ == nullptr || secret_arn.empty()) return;
  Status s = secrets_->DeleteManagedSecret(secret_arn, at_once ? 0 : 7, ctx.now_ms);
  if (!s.ok()) {
    // The connection no longer names it, so no retry of the call would: the account may
    // delete it (DeleteSecret).
    spdlog::warn("events: the managed secret {} was left behind: {}", secret_arn, s.message());
  }
}

Result<std::string> EventsService::CreateConnection(const rapidjson::Value& input,
                                                    const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(storage::EventConnectionStore * store, Connections());
  EventConnectionRecord r;
  r.kind = kEventConnectionKind;
  r.name = *in.Str("Name");
  r.arn = ConnectionResourceArn(ctx, r.kind, r.name, crypto::NewUuidV4());
  ARCANA_RETURN_IF_ERROR(Allow(ctx, r.arn));
  ARCANA_RETURN_IF_ERROR(RefuseConnectionConfiguration(in));
  const std::string type = *in.Str("AuthorizationType");
  const rapidjson::Value* auth = in.Get("AuthParameters");
  ARCANA_RETURN_IF_ERROR(ev::CheckAuthParameters(type, *auth));
  const std::string full = JsonOf(*auth);
  // A name taken is refused before a managed secret is made for it (a create racing this
  // one is refused by the store, and its secret deleted, below).
  ARCANA_ASSIGN_OR_RETURN(auto taken, store->GetEventConnection(ScopeOf(ctx), r.kind, r.name));
  if (taken) {
    return MapConnectionStoreError(Status(ErrorCode::kResourceExists, ""), r.kind, r.name);
  }
  r.state = AuthorizedStateOf(type);
  ARCANA_ASSIGN_OR_RETURN(r.sealed, SealConnectionSecret(ScopeOf(ctx), r.arn, full));
  if (linked_role_) {
    ARCANA_RETURN_IF_ERROR(linked_role_(ctx, "apidestinations.events.amazonaws.com"));
  }
  ARCANA_ASSIGN_OR_RETURN(const std::string secret_arn,
                          CreateCredentialsSecret(ctx, r.name, type, full));
  r.document = ConnectionDocument(type, in.Str("Description").value_or(""),
                                  ev::PublicAuthParameters(full), secret_arn);
  r.created_ms = r.modified_ms = r.authorized_ms = ctx.now_ms;
  Status s = store->CreateEventConnection(ScopeOf(ctx), r);
  if (!s.ok()) {
    // No connection names the secret: it goes at once.
    DropCredentialsSecret(ctx, secret_arn, true);
    return MapConnectionStoreError(s, r.kind, r.name);
  }
  return ObjectJson([&](json::Writer& w) {
    json::KV(w, "ConnectionArn", r.arn);
    json::KV(w, "ConnectionState", r.state);
    w.Key("CreationTime");
    json::WriteTimestamp(w, r.created_ms);
    w.Key("LastModifiedTime");
    json::WriteTimestamp(w, r.modified_ms);
  });
}

Result<std::string> EventsService::DescribeConnection(const rapidjson::Value& input,
                                                      const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(storage::EventConnectionStore * store, Connections());
  const std::string name = *in.Str("Name");
  ARCANA_ASSIGN_OR_RETURN(EventConnectionRecord found,
                          AuthorizedRow(*store, ctx, kEventConnectionKind, name));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  WriteConnection(w, found, true);
  return json::Finish(buf);
}

Result<std::string> EventsService::ListConnections(const rapidjson::Value& input,
                                                   const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(storage::EventConnectionStore * store, Connections());
  ARCANA_RETURN_IF_ERROR(Allow(ctx, "*"));
  ARCANA_ASSIGN_OR_RETURN(std::string after, DecodeToken(in));
  const size_t limit = static_cast<size_t>(in.Int("Limit").value_or(kDefaultListLimit));
  ARCANA_ASSIGN_OR_RETURN(
      auto page, store->ListEventConnections(ScopeOf(ctx), kEventConnectionKind,
                                             in.Str("NamePrefix").value_or(""),
                                             in.Str("ConnectionState").value_or(""), "", after,
                                             limit + 1));
  const bool more = TrimPage(page, limit);
  return ObjectJson([&](json::Writer& w) {
    w.Key("Connections");
    w.StartArray();
    for (const auto& r : page) WriteConnection(w, r, false);
    w.EndArray();
    if (more) json::KV(w, "NextToken", EncodeToken(page.back().name));
  });
}

Result<std::string> EventsService::UpdateConnection(const rapidjson::Value& input,
                                                    const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(storage::EventConnectionStore * store, Connections());
  const std::string name = *in.Str("Name");
  ARCANA_ASSIGN_OR_RETURN(EventConnectionRecord found,
                          AuthorizedRow(*store, ctx, kEventConnectionKind, name));
  ARCANA_RETURN_IF_ERROR(RefuseConnectionConfiguration(in));
  EventConnectionRecord r = found;
  rapidjson::Document doc = ParseStoredDocument(r.document);
  const std::string old_type = DocText(doc, "AuthorizationType");
  const std::string type = in.Str("AuthorizationType").value_or(old_type);
  std::string description = in.Str("Description").value_or(DocText(doc, "Description"));
  std::string full = "{}";
  if (!r.sealed.empty()) {
    ARCANA_ASSIGN_OR_RETURN(full, OpenConnectionSecret(ScopeOf(ctx), r.arn, r.sealed));
  }
  const rapidjson::Value* update = in.Get("AuthParameters");
  rapidjson::Value empty(rapidjson::kObjectType);
  ARCANA_ASSIGN_OR_RETURN(full, ev::MergeAuthParameters(full, type, old_type,
                                                        update ? *update : empty));
  rapidjson::Document merged;
  ARCANA_RETURN_IF_ERROR(json::ParseBounded(full, &merged));
  ARCANA_RETURN_IF_ERROR(ev::CheckAuthParameters(type, merged));
  // As AWS answers it (observed): new credentials advance LastAuthorizedTime only, a new
  // Description LastModifiedTime only.
  const bool credentials = update != nullptr || type != old_type;
  if (credentials) {
    ARCANA_ASSIGN_OR_RETURN(r.sealed, SealConnectionSecret(ScopeOf(ctx), r.arn, full));
    r.state = AuthorizedStateOf(type);
    r.authorized_ms = std::max(ctx.now_ms, found.authorized_ms + 1);
  }
  if (in.Has("Description") || !credentials) {
    r.modified_ms = std::max(ctx.now_ms, found.modified_ms + 1);
  }
  // A connection without a managed secret (deauthorized, or written before connections had
  // one) gets a new one; otherwise the secret gets a new version once the row is written.
  std::string secret_arn = DocText(doc, "SecretArn");
  const bool new_secret = secret_arn.empty();
  if (new_secret) {
    ARCANA_ASSIGN_OR_RETURN(secret_arn, CreateCredentialsSecret(ctx, name, type, full));
  }
  r.document =
      ConnectionDocument(type, description, ev::PublicAuthParameters(full), secret_arn);
  Status s = store->UpdateEventConnection(ScopeOf(ctx), r, found, "UpdateConnection");
  if (!s.ok()) {
    if (new_secret) {
      DropCredentialsSecret(ctx, secret_arn, true);
    }
    return MapConnectionStoreError(s, r.kind, name);
  }
  if (!new_secret && credentials) {
    // The row holds the new credentials; a failure here leaves the secret's value behind
    // them, and is answered so that the update is made again.
    ARCANA_RETURN_IF_ERROR(PutCredentialsSecret(ctx, secret_arn, type, full));
  }
  return ObjectJson([&](json::Writer& w) {
    WriteConnectionSummary(w, r);
  });
}

Result<std::string> EventsService::DeleteConnection(const rapidjson::Value& input,
                                                    const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(storage::EventConnectionStore * store, Connections());
  const std::string name = *in.Str("Name");
  ARCANA_ASSIGN_OR_RETURN(EventConnectionRecord found,
                          AuthorizedRow(*store, ctx, kEventConnectionKind, name));
  Status s = store->DeleteEventConnection(ScopeOf(ctx), kEventConnectionKind, name);
  if (!s.ok()) return MapConnectionStoreError(s, kEventConnectionKind, name);
  DropCredentialsSecret(ctx, DocText(ParseStoredDocument(found.document), "SecretArn"));
  // Recorded: the connection as it was, in state DELETING.
  return ObjectJson([&](json::Writer& w) {
    WriteConnectionSummary(w, found, "DELETING");
  });
}

Result<std::string> EventsService::DeauthorizeConnection(const rapidjson::Value& input,
                                                         const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(storage::EventConnectionStore * store, Connections());
  const std::string name = *in.Str("Name");
  ARCANA_ASSIGN_OR_RETURN(EventConnectionRecord found,
                          AuthorizedRow(*store, ctx, kEventConnectionKind, name));
  // AWS: "removes all authorization parameters from the connection": the credentials are
  // dropped (deliveries through it fail) until UpdateConnection gives new ones. Answered
  // DEAUTHORIZING, stored DEAUTHORIZED (not confirmed).
  EventConnectionRecord r = found;
  r.state = "DEAUTHORIZED";
  r.sealed.clear();
  rapidjson::Document doc = ParseStoredDocument(r.document);
  const std::string secret_arn = DocText(doc, "SecretArn");
  doc.RemoveMember("SecretArn");
  r.document = JsonOf(doc);
  r.modified_ms = std::max(ctx.now_ms, found.modified_ms + 1);
  Status s =
      store->UpdateEventConnection(ScopeOf(ctx), r, found, "DeauthorizeConnection");
  if (!s.ok()) return MapConnectionStoreError(s, r.kind, name);
  DropCredentialsSecret(ctx, secret_arn);
  return ObjectJson([&](json::Writer& w) {
    WriteConnectionSummary(w, r, "DEAUTHORIZING");
  });
}

Result<std::string> EventsService::CreateApiDestination(const rapidjson::Value& input,
                                                        const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(storage::EventConnectionStore * store, Connections());
  EventConnectionRecord r;
  r.kind = kEventApiDestinationKind;
  r.name = *in.Str("Name");
  r.arn = ConnectionResourceArn(ctx, r.kind, r.name, crypto::NewUuidV4());
  ARCANA_RETURN_IF_ERROR(Allow(ctx, r.arn));
  const std::string endpoint = *in.Str("InvocationEndpoint");
  ARCANA_RETURN_IF_ERROR(CheckInvocationEndpoint(endpoint));
  ARCANA_ASSIGN_OR_RETURN(r.connection, ConnectionNameOf(ctx, *in.Str("ConnectionArn")));
  ARCANA_ASSIGN_OR_RETURN(auto connection, store->GetEventConnection(
                                               ScopeOf(ctx), kEventConnectionKind, r.connection));
  if (!connection || connection->arn != *in.Str("ConnectionArn")) {
    return ConnectionNotFound(r.connection);  // not confirmed on AWS
  }
  r.document = DestinationDocument(
      in.Str("Description").value_or(""), *in.Str("HttpMethod"), endpoint,
      in.Int("InvocationRateLimitPerSecond").value_or(ev::kDefaultInvocationRateLimit));
  r.created_ms = r.modified_ms = ctx.now_ms;
  Status s = store->CreateEventConnection(ScopeOf(ctx), r);
  if (s.code() == ErrorCode::kResourceNotFound) return ConnectionNotFound(r.connection);
  if (!s.ok()) return MapConnectionStoreError(s, r.kind, r.name);
  return ObjectJson([&](json::Writer& w) {
    WriteDestinationSummary(w, r, DestinationState(connection));
  });
}

Result<std::string> EventsService::DescribeApiDestination(const rapidjson::Value& input,
                                                          const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(storage::EventConnectionStore * store, Connections());
  const std::string name = *in.Str("Name");
  ARCANA_ASSIGN_OR_RETURN(EventConnectionRecord found,
                          AuthorizedRow(*store, ctx, kEventApiDestinationKind, name));
  ARCANA_ASSIGN_OR_RETURN(auto connection, store->GetEventConnection(
                                               ScopeOf(ctx), kEventConnectionKind,
                                               found.connection));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  WriteDestination(w, found, DestinationState(connection), connection ? connection->arn : "",
                   true);
  return json::Finish(buf);
}

Result<std::string> EventsService::ListApiDestinations(const rapidjson::Value& input,
                                                       const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(storage::EventConnectionStore * store, Connections());
  ARCANA_RETURN_IF_ERROR(Allow(ctx, "*"));
  ARCANA_ASSIGN_OR_RETURN(std::string after, DecodeToken(in));
  const size_t limit = static_cast<size_t>(in.Int("Limit").value_or(kDefaultListLimit));
  std::string connection_name;
  if (auto arn = in.Str("ConnectionArn")) {
    auto ref = ev::ParseEventsResourceArn(*arn, "connection");
    // A connection of another account or region has no destinations here.
    connection_name = ref && ref->account == ctx.account && ref->region == ctx.region
                          ? ref->name
                          : std::string("\x01");
  }
  ARCANA_ASSIGN_OR_RETURN(
      auto page, store->ListEventConnections(ScopeOf(ctx), kEventApiDestinationKind,
                                             in.Str("NamePrefix").value_or(""), "",
                                             connection_name, after, limit + 1));
  const bool more = TrimPage(page, limit);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("ApiDestinations");
  w.StartArray();
  for (const auto& r : page) {
    ARCANA_ASSIGN_OR_RETURN(auto connection, store->GetEventConnection(
                                                 ScopeOf(ctx), kEventConnectionKind,
                                                 r.connection));
    if (in.Str("ConnectionArn") && (!connection || connection->arn != *in.Str("ConnectionArn"))) {
      continue;  // a destination of an earlier connection of that name
    }
    WriteDestination(w, r, DestinationState(connection), connection ? connection->arn : "",
                     false);
  }
  w.EndArray();
  if (more) json::KV(w, "NextToken", EncodeToken(page.back().name));
  w.EndObject();
  return json::Finish(buf);
}

Result<std::string> EventsService::UpdateApiDestination(const rapidjson::Value& input,
                                                        const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(storage::EventConnectionStore * store, Connections());
  const std::string name = *in.Str("Name");
  ARCANA_ASSIGN_OR_RETURN(EventConnectionRecord found,
                          AuthorizedRow(*store, ctx, kEventApiDestinationKind, name));
  EventConnectionRecord r = found;
  rapidjson::Document doc = ParseStoredDocument(r.document);
  const std::string endpoint =
      in.Str("InvocationEndpoint").value_or(DocText(doc, "InvocationEndpoint"));
  ARCANA_RETURN_IF_ERROR(CheckInvocationEndpoint(endpoint));
  if (auto arn = in.Str("ConnectionArn")) {
    ARCANA_ASSIGN_OR_RETURN(r.connection, ConnectionNameOf(ctx, *arn));
  }
  ARCANA_ASSIGN_OR_RETURN(auto connection, store->GetEventConnection(
                                               ScopeOf(ctx), kEventConnectionKind, r.connection));
  if (!connection || (in.Str("ConnectionArn") && connection->arn != *in.Str("ConnectionArn"))) {
    return ConnectionNotFound(r.connection);  // not confirmed on AWS
  }
  r.document = DestinationDocument(
      in.Str("Description").value_or(DocText(doc, "Description")),
      in.Str("HttpMethod").value_or(DocText(doc, "HttpMethod")), endpoint,
      in.Int("InvocationRateLimitPerSecond")
          .value_or(DocInt(doc, "InvocationRateLimitPerSecond", ev::kDefaultInvocationRateLimit)));
  r.modified_ms = std::max(ctx.now_ms, found.modified_ms + 1);
  Status s =
      store->UpdateEventConnection(ScopeOf(ctx), r, found, "UpdateApiDestination");
  if (s.code() == ErrorCode::kResourceNotFound) {
    ARCANA_ASSIGN_OR_RETURN(auto still, store->GetEventConnection(
                                            ScopeOf(ctx), kEventApiDestinationKind, name));
    return still ? ConnectionNotFound(r.connection) : DestinationNotFound(name);
  }
  if (!s.ok()) return MapConnectionStoreError(s, r.kind, name);
  return ObjectJson([&](json::Writer& w) {
    WriteDestinationSummary(w, r, DestinationState(connection));
  });
}

Result<std::string> EventsService::DeleteApiDestination(const rapidjson::Value& input,
                                                        const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(storage::EventConnectionStore * store, Connections());
  const std::string name = *in.Str("Name");
  ARCANA_RETURN_IF_ERROR(AuthorizedRow(*store, ctx, kEventApiDestinationKind, name).status());
  Status s = store->DeleteEventConnection(ScopeOf(ctx), kEventApiDestinationKind, name);
  if (!s.ok()) return MapConnectionStoreError(s, kEventApiDestinationKind, name);
  return EmptyObject();  // recorded: {}
}

Result<ev::ApiDestinationCall> EventsService::ApiDestinationRequest(
    const storage::EventDelivery& d) {
  if (connections_ == nullptr || root_ == nullptr) {
    return Status(ErrorCode::kServiceUnavailable, "API destinations are not served");
  }
  const storage::Scope scope{d.account, d.region};
  auto ref = ev::ParseEventsResourceArn(d.url, "api-destination");
  if (!ref || ref->account != d.account || ref->region != d.region) {
    return Status(ErrorCode::kValidation, "not an API destination of the rule's scope");
  }
  ARCANA_ASSIGN_OR_RETURN(auto dest,
                          connections_->GetEventConnection(scope, kEventApiDestinationKind,
                                                           ref->name));
  if (!dest || dest->arn != d.url) {
    return Status(ErrorCode::kResourceNotFound, "API destination " + ref->name + " is gone");
  }
  ARCANA_ASSIGN_OR_RETURN(auto connection, connections_->GetEventConnection(
                                               scope, kEventConnectionKind, dest->connection));
  if (!connection) {
    return Status(ErrorCode::kResourceNotFound, "connection " + dest->connection + " is gone");
  }
  if (connection->state == "DEAUTHORIZED" || connection->sealed.empty()) {
    return Status(ErrorCode::kValidation, "connection " + connection->name + " is deauthorized");
  }
  rapidjson::Document cdoc = ParseStoredDocument(connection->document);
  rapidjson::Document ddoc = ParseStoredDocument(dest->document);
  const std::string type = DocText(cdoc, "AuthorizationType");
  ARCANA_ASSIGN_OR_RETURN(std::string full,
                          OpenConnectionSecret(scope, connection->arn, connection->sealed));
  // The target's HttpParameters as the rule holds them now (a target removed since: none).
  ev::TargetHttpParameters params;
  const size_t rule_at = d.rule_arn.find(":rule/");
  const std::string rule_key =
      rule_at == std::string::npos ? std::string() : d.rule_arn.substr(rule_at + 6);
  ARCANA_ASSIGN_OR_RETURN(auto targets,
                          rules_.ListTargets(scope, rule_key, "", kMaxTargetsPerRule));
  for (const auto& rec : targets) {
    if (rec.id != d.target_id) continue;
    auto t = ev::DecodeTarget(rec.document);
    if (t.ok() && t->url == d.url && t->http_parameters) params = *t->http_parameters;
  }
  std::string bearer;
  if (type == "OAUTH_CLIENT_CREDENTIALS") {
    ARCANA_ASSIGN_OR_RETURN(ev::OutgoingRequest token_request, ev::BuildOAuthTokenRequest(full));
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    ARCANA_ASSIGN_OR_RETURN(
        bearer, oauth_tokens_.Token(CredentialsKey(*connection), token_request, now_ms));
    if (connection->state != "AUTHORIZED") {
      // The first token obtained authorizes the connection (AWS: AUTHORIZING -> AUTHORIZED).
      EventConnectionRecord authorized = *connection;
      authorized.state = "AUTHORIZED";
      authorized.authorized_ms = now_ms;
      // Same credentials: the token cache's key stays valid. A lost race is harmless.
      (void)connections_->UpdateEventConnection(scope, authorized, *connection,
                                                 "AuthorizeConnection");
    }
  }
  ev::ApiDestinationCall call;
  ARCANA_ASSIGN_OR_RETURN(call.request, ev::BuildApiDestinationRequest(
                                            DocText(ddoc, "InvocationEndpoint"),
                                            DocText(ddoc, "HttpMethod"), type, full, params,
                                            bearer, d.body));
  call.rate_limit_per_second =
      DocInt(ddoc, "InvocationRateLimitPerSecond", ev::kDefaultInvocationRateLimit);
  if (!bearer.empty()) {
    call.forget_token = [this, key = CredentialsKey(*connection), bearer] {
      oauth_tokens_.Forget(key, bearer);
    };
  }
  return call;
}

}  // namespace arcana::services::events
