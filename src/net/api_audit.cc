#include "net/api_audit.h"

#include <algorithm>

#include "audit/redaction.h"
#include "auth/sigv4.h"
#include "net/api_stages.h"
#include "services/common/aws_error.h"
#include "services/common/query_protocol.h"

namespace arcana::net {
namespace {

const char* TypeName(auth::Principal::Type t) {
  switch (t) {
    case auth::Principal::Type::kRoot: return "Root";
    case auth::Principal::Type::kUser: return "IAMUser";
    case auth::Principal::Type::kAssumedRole: return "AssumedRole";
    // GetSessionToken's session acts as its user: CloudTrail's type is the user's, the
    // session showing in accessKeyId (ASIA...) and sessionContext.
    case auth::Principal::Type::kFederated: return "IAMUser";
    case auth::Principal::Type::kFederatedUser: return "FederatedUser";
    case auth::Principal::Type::kService: return "AWSService";
    case auth::Principal::Type::kWebIdentity: return "WebIdentityUser";
  }
  return "Unknown";
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The access key and region a request claims (Authorization: ... Credential=AKID/DATE/REGION/
// SERVICE/aws4_request, ...), for the record of a call whose authentication failed: what
// CloudTrail records then. Unverified, so only these two bounded tokens are taken.
void ClaimedCredential(const HttpRequest& req, std::string* akid, std::string* region) {
  std::string_view auth = req.Header("Authorization");
  auto at = auth.find("Credential=");
  if (at == std::string_view::npos) return;
  std::string_view cred = auth.substr(at + 11);
  cred = cred.substr(0, std::min(cred.find_first_of(", "), size_t{256}));
  auto slash = cred.find('/');
  if (slash == std::string_view::npos || slash > 128) return;
  *akid = std::string(cred.substr(0, slash));
  std::string_view rest = cred.substr(slash + 1);  // DATE/REGION/...
  auto s1 = rest.find('/');
  if (s1 == std::string_view::npos) return;
  auto s2 = rest.find('/', s1 + 1);
  if (s2 == std::string_view::npos || s2 - s1 - 1 > 32) return;
  // Unverified text: kept only if it is a region name, as the verifier requires, so a refused
  // call's record never names a "region" that could read as part of an ARN.
  const std::string_view claimed = rest.substr(s1 + 1, s2 - s1 - 1);
  if (auth::IsRegionName(claimed)) *region = std::string(claimed);
}

// An unsigned AssumeRoleWithSAML has no principal either: CloudTrail names its caller a
// SAMLUser (principalId NAMEQUALIFIER:SUBJECT, userName the subject, identityProvider the
// name qualifier; the CloudTrail User Guide's userIdentity element), from the answer.
void SamlUserOf(const rapidjson::Value& out, audit::UserIdentity* u) {
  const std::string qualifier = json::StrField(out, "NameQualifier");
  const std::string subject = json::StrField(out, "Subject");
  if (qualifier.empty()) return;
  u->type = "SAMLUser";
  u->principal_id = qualifier + ":" + subject;
  u->user_name = subject;
  u->identity_provider = qualifier;
  // The role's account: AssumedRoleUser.Arn is arn:aws:sts::ACCOUNT:assumed-role/...
  if (auto it = out.FindMember("AssumedRoleUser"); it != out.MemberEnd() && it->value.IsObject()) {
    const std::string arn = json::StrField(it->value, "Arn");
    if (size_t start = arn.find("::"); start != std::string::npos) {
      u->account_id = arn.substr(start + 2, arn.find(':', start + 2) - start - 2);
    }
  }
}

// An unsigned AssumeRoleWithWebIdentity has no principal: CloudTrail names its caller a
// WebIdentityUser (principalId PROVIDER_URL:AUDIENCE:SUBJECT, userName the token's subject,
// identityProvider the provider's ARN, the role's account), which only the answer tells.
void WebIdentityOf(const rapidjson::Value& out, audit::UserIdentity* u) {
  const std::string provider = json::StrField(out, "Provider");
  const std::string subject = json::StrField(out, "SubjectFromWebIdentityToken");
  if (provider.empty()) return;
  u->type = "WebIdentityUser";
  const size_t url = provider.find(":oidc-provider/");
  u->principal_id = (url == std::string::npos ? provider : provider.substr(url + 15)) + ":" +
                    json::StrField(out, "Audience") + ":" + subject;
  u->user_name = subject;
  u->identity_provider = provider;
  // arn:aws:iam::ACCOUNT:oidc-provider/URL
  if (size_t start = provider.find("::"); start != std::string::npos) {
    u->account_id = provider.substr(start + 2, provider.find(':', start + 2) - start - 2);
  }
}

// An AssumeRole* call's resources, as CloudTrail's AssumeRole records name them: the role
// assumed (AWS::IAM::Role, the request's RoleArn, which the call just resolved) and the
// session's access key (AWS::IAM::AccessKey, by its id, in the role's account).
std::vector<audit::Resource> AssumedRoleResources(const rapidjson::Value& in,
                                                  const rapidjson::Value& out) {
  std::vector<audit::Resource> r;
  const std::string role = json::StrField(in, "RoleArn");
  std::string account;
  if (size_t start = role.find("::"); start != std::string::npos) {
    account = role.substr(start + 2, role.find(':', start + 2) - start - 2);
  }
  if (const char* type = audit::IamResourceType(role);
      type != nullptr && std::string_view(type) == audit::kIamRoleType) {
    r.push_back({audit::kIamRoleType, role, account});
  }
  if (auto it = out.FindMember("Credentials"); it != out.MemberEnd() && it->value.IsObject()) {
    const std::string key = json::StrField(it->value, "AccessKeyId");
    if (!key.empty()) r.push_back({audit::kIamAccessKeyType, key, account});
  }
  return r;
}

}  // namespace

audit::UserIdentity IdentityOf(const services::CallContext& ctx) {
  audit::UserIdentity u;
  if (const auth::Principal* p = ctx.principal.get()) {
    u.type = TypeName(p->type);
    u.principal_id = p->user_id;
    u.arn = p->arn;
    u.account_id = p->account;
    u.access_key_id = p->access_key_id;
    u.user_name = p->user_name;
    if (p->temporary) {
      u.has_session = true;
      u.session_created_ms = p->session_issued_ms;
      u.mfa_authenticated = p->mfa_authenticated_ms != 0;
      if (p->type == auth::Principal::Type::kAssumedRole) {
        // The role: its id is the part of AROA...:SESSION before the colon, its name the
        // last part of its ARN's path.
        u.session_issuer_type = "Role";
        u.session_issuer_arn = p->principal_arn;
        u.session_issuer_principal_id = p->user_id.substr(0, p->user_id.find(':'));
        u.session_issuer_user_name = p->principal_arn.substr(p->principal_arn.rfind('/') + 1);
      } else if (p->type == auth::Principal::Type::kFederatedUser && !p->issuer_arn.empty()) {
        // GetFederationToken's caller: an IAM user, or the account root.
        u.session_issuer_type = p->issuer_user_name.empty() ? "Root" : "IAMUser";
        u.session_issuer_arn = p->issuer_arn;
        u.session_issuer_principal_id = p->issuer_id;
        u.session_issuer_user_name = p->issuer_user_name;
      }
    }
    return u;
  }
  u.arn = ctx.principal_arn;
  u.account_id = ctx.account;
  u.access_key_id = ctx.access_key_id;
  if (!ctx.principal_arn.empty() && EndsWith(ctx.principal_arn, ":root")) {
    u.type = "Root";
    u.principal_id = ctx.account;
  } else if (!ctx.principal_arn.empty()) {
    u.type = "IAMUser";
  } else {
    u.type = "Unknown";  // authentication failed or never ran
  }
  return u;
}

audit::AuditEvent RefusedRequestEvent(const HttpRequest* req, const ApiCall& call,
                                      const std::string& request_id, std::string error_code,
                                      std::string message, int64_t now_ms) {
  audit::AuditEvent e;
  e.type = audit::AuditEvent::Type::kApiCall;
  e.time_ms = now_ms;
  e.event_source = call.service != nullptr
                       ? std::string(call.service->signing_name()) + ".amazonaws.com"
                       : std::string("unknown");
  e.event_name = call.known ? call.operation : std::string("Unknown");
  e.identity.type = "Unknown";
  if (req != nullptr) {
    e.source_ip = req->remote_address;
    e.user_agent = std::string(req->Header("User-Agent"));
    ClaimedCredential(*req, &e.identity.access_key_id, &e.region);
  }
  e.read_only = call.known && audit::IsReadOnlyOperation(call.operation);
  e.error_code = std::move(error_code);
  e.error_message = std::move(message);
  e.request_id = request_id;
  e.event_id = audit::NewEventId();
  return e;
}

audit::AuditEvent ApiCallEvent(const HttpRequest& req, const ApiCall& call) {
  const services::CallContext& ctx = call.ctx;
  audit::AuditEvent e;
  e.type = audit::AuditEvent::Type::kApiCall;
  e.time_ms = ctx.now_ms;
  e.event_source = call.service != nullptr
                       ? std::string(call.service->signing_name()) + ".amazonaws.com"
                       : std::string("unknown");
  e.event_name = call.known ? call.operation : std::string("Unknown");
  e.region = ctx.region;
  e.source_ip = req.remote_address;
  e.user_agent = std::string(req.Header("User-Agent"));
  e.identity = IdentityOf(ctx);
  if (e.identity.access_key_id.empty()) {
    std::string region;
    ClaimedCredential(req, &e.identity.access_key_id, &region);
    if (e.region.empty()) e.region = region;
  }
  if (call.input_usable && call.known) e.request_parameters = audit::RedactedJson(call.input);
  e.read_only = call.known && audit::IsReadOnlyOperation(call.operation);
  std::vector<audit::Resource> issued;  // an AssumeRole*'s role and the session's key
  // Reads record no responseElements (CloudTrail: null), but STS's credential calls, read-only
  // as they are, do (their credentials, redacted; audit::RecordsResponseElements).
  if (call.status.ok() && (!e.read_only || audit::RecordsResponseElements(call.operation)) &&
      !call.output.empty()) {
    // A pool starting in a block of this frame, as ApiCall's input: RapidJSON's default first
    // chunk is 64 KiB, whose free made glibc consolidate its free lists on every write.
    alignas(8) char block[4096];
    rapidjson::MemoryPoolAllocator<> pool{block, sizeof(block), 8192};
    rapidjson::Document out{&pool};
    if (json::ParseBounded(call.output, &out).ok()) {
      e.response_elements = audit::RedactedJson(out);
      if (call.known && call.operation.starts_with("AssumeRole")) {
        issued = AssumedRoleResources(call.input, out);
      }
      if (call.known && call.operation == "AssumeRoleWithWebIdentity") {
        WebIdentityOf(out, &e.identity);
      } else if (call.known && call.operation == "AssumeRoleWithSAML") {
        SamlUserOf(out, &e.identity);
      }
    }
  }
  if (!call.status.ok()) {
    // As the wire spelled it: query-protocol (IAM, STS) and REST (Lambda) services have
    // their own codes.
    e.error_code = WireErrorType(call.status, call.query, call.rest);
    // Never what requestParameters hides: a service may quote the value it refused.
    e.error_message = call.input_usable ? audit::RedactedMessage(call.status.message(), call.input)
                                        : call.status.message();
  }
  e.request_id = ctx.request_id;
  // Chosen when the call started (handlers may have named it already), else now.
  e.event_id = ctx.event_id.empty() ? audit::NewEventId() : ctx.event_id;
  e.resources = call.touched.items();
  e.resources.insert(e.resources.end(), issued.begin(), issued.end());
  e.changes = call.committed.items();
  e.changes_truncated = call.committed.truncated();
  // An unsigned call has no account of its own: its record belongs to the account it acted in.
  e.recipient_account = ctx.account.empty() ? e.identity.account_id : ctx.account;
  return e;
}

}  // namespace arcana::net
