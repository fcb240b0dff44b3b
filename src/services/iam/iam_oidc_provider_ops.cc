// IAM OpenID Connect identity providers: the issuers whose ID tokens AssumeRoleWithWebIdentity
// accepts. A provider is named by its URL without "https://" (domain::iam::OidcProvider,
// stored by storage/identity_codec.h as an entity of kind "oidc-provider"); its ARN is
// arn:aws:iam::ACCOUNT:oidc-provider/URL and every call but Create and List names it so.
//
// The answers and refusals are AWS's as recorded by LocalStack's AWS-validated
// test_iam_oidc.py (its snapshot, not its implementation); where the recordings say nothing
// the source of each rule is named where it is applied.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "services/common/write_retry.h"
#include "services/iam/iam_service.h"
#include "storage/identity_codec.h"

namespace arcana::services::iam {

using domain::iam::OidcProvider;
using storage::EntityWrite;

namespace {

constexpr std::string_view kScheme = "https://";
constexpr std::string_view kArnPrefix = "arn:aws:iam::";
constexpr std::string_view kArnResource = ":oidc-provider/";
// Recorded: six thumbprints are refused with "fewer than 5 entries", five are accepted (the
// API reference: "IAM lets you have up to five thumbprints").
constexpr size_t kMaxThumbprints = 5;
constexpr size_t kMaxClientIds = 100;  // recorded: 101 are refused

// The provider's name for a Url (the Url without "https://"), or the refusal AWS answers.
// Recorded: a Url without a scheme ("example.org") is ValidationError "Invalid Open ID Connect
// Provider URL". Not recorded, as versitygw's IAM tests word them: another scheme is
// InvalidInput "... The URL must begin with https://.", a query, a fragment or user info
// (the API reference: "query parameters are not" allowed; an OIDC issuer has none of them) is
// InvalidInput "Invalid Open ID Connect Provider URL.". A port and a path are kept, and so is
// a trailing slash: AWS names the provider of "https://host/" "host/" (aws/aws-sam-cli#7432,
// observed on AWS), and AssumeRoleWithWebIdentity finds it by the token's `iss` as given.
Result<std::string> ProviderName(const std::string& url) {
  const Status no_url(ErrorCode::kValidation, "Invalid Open ID Connect Provider URL");
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return no_url;
  if (!url.starts_with(kScheme)) {
    return Status(ErrorCode::kInvalidParameter,
                  "Invalid Open ID Connect Provider URL. The URL must begin with https://.");
  }
  std::string name = url.substr(kScheme.size());
  const std::string_view host = std::string_view(name).substr(0, name.find('/'));
  if (host.empty()) return no_url;
  const bool clean = std::none_of(name.begin(), name.end(), [](unsigned char c) {
    return c <= 0x20 || c == 0x7F || c == '?' || c == '#';
  });
  if (!clean || host.find('@') != std::string_view::npos) {
    return Status(ErrorCode::kInvalidParameter, "Invalid Open ID Connect Provider URL.");
  }
  return name;
}

Status CheckThumbprintCount(const std::vector<std::string>& thumbprints) {
  if (thumbprints.size() <= kMaxThumbprints) return Status::Ok();
  return Status(ErrorCode::kInvalidParameter,
                "Thumbprint list must contain fewer than 5 entries.");
}

Status CheckClientIdCount(size_t count) {
  if (count <= kMaxClientIds) return Status::Ok();
  return Status(ErrorCode::kLimitExceeded,
                "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100");
}

// A provider's client IDs are a set kept in the order first given: adding one it has is a
// no-op (the API reference: AddClientIDToOpenIDConnectProvider "is idempotent"), so a
// ClientIDList that names one twice holds it once.
std::vector<std::string> Distinct(const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  for (const auto& id : ids) {
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
  return out;
}

}  // namespace

std::string OidcProviderArnOfUrl(const std::string& account, const std::string& url) {
  std::string_view name(url);
  if (name.starts_with(kScheme)) name.remove_prefix(kScheme.size());
  return std::string(kArnPrefix) + account + std::string(kArnResource) + std::string(name);
}

// Not recorded: an ARN that is no OIDC provider's is InvalidInput "ARN <arn> is not valid.",
// as IAM words a policy ARN it cannot parse. A provider ARN of another account names none of
// this account's: NoSuchEntity. Names are matched exactly: the store compares them without
// case (as IAM names), AWS's provider URLs are case-sensitive (floci-io/floci#2106).
Result<OidcProvider> IamService::LoadOidcProvider(const CallContext& ctx, const std::string& arn) {
  // Recorded (GetOpenIDConnectProvider of an ARN the account has no provider for).
  const Status missing(ErrorCode::kResourceNotFound,
                       "OpenIDConnect Provider not found for arn " + arn);
  const size_t resource = arn.find(kArnResource);
  const bool well_formed = arn.starts_with(kArnPrefix) && resource != std::string::npos &&
                           resource > kArnPrefix.size() &&
                           resource + kArnResource.size() < arn.size();
  if (!well_formed) {
    return Status(ErrorCode::kInvalidParameter, "ARN " + arn + " is not valid.");
  }
  const std::string account = arn.substr(kArnPrefix.size(), resource - kArnPrefix.size());
  const std::string name = arn.substr(resource + kArnResource.size());
  if (account != ctx.account) return missing;
  ARCANA_ASSIGN_OR_RETURN(auto e, store_.GetEntity(ctx.account, storage::kOidcProviderKind, name));
  if (!e || e->name != name) return missing;
  return storage::OidcProviderFromEntity(*e);
}

Status IamService::UpdateOidcProvider(
    const CallContext& ctx, const std::string& arn, const char* op,
    const std::function<Result<bool>(OidcProvider&)>& change) {
  return RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(OidcProvider p, LoadOidcProvider(ctx, arn));
    ARCANA_ASSIGN_OR_RETURN(bool changed, change(p));
    if (!changed) return Status::Ok();
    return WriteEntities(ctx, {{EntityWrite::Op::kPut, storage::ToEntity(p)}}, op);
  });
}

// Answers the ARN, and the tags when any were given (recorded: no Tags member without them).
// ThumbprintList may be left out (the API reference since 2024: "This parameter is
// optional"; models/iam.json no longer requires it): AWS then fetches the issuer's CA
// thumbprint itself; Arcana keeps none and answers an empty list, so the issuer's server is
// trusted only through the system's trust store (as AWS trusts IdPs whose certificates a
// trusted CA signed). Thumbprints are not checked as hex (versitygw's IAM tests: AWS does
// not), only for the model's 40 characters: one that is not hex pins nothing.
Result<std::string> IamService::CreateOpenIDConnectProvider(const In& in,
                                                            const CallContext& ctx) {
  const std::string url = in.Str("Url").value_or("");
  ARCANA_ASSIGN_OR_RETURN(std::string name, ProviderName(url));
  OidcProvider p;
  p.account = ctx.account;
  p.url = std::move(name);
  p.created_ms = ctx.now_ms;
  p.thumbprints = in.StrList("ThumbprintList").value_or(std::vector<std::string>{});
  p.client_ids = Distinct(in.StrList("ClientIDList").value_or(std::vector<std::string>{}));
  ARCANA_RETURN_IF_ERROR(CheckThumbprintCount(p.thumbprints));
  ARCANA_RETURN_IF_ERROR(CheckClientIdCount(p.client_ids.size()));
  ARCANA_RETURN_IF_ERROR(CheckTags(in.Get("Tags")));
  p.tags = TagsOf(in.Get("Tags"));
  Status st = WriteEntities(
      ctx, {{EntityWrite::Op::kPut, storage::ToEntity(p), QuotaOf(storage::kOidcProviderKind)}},
      "CreateOpenIDConnectProvider");
  if (st.code() == ErrorCode::kResourceExists) {
    // Recorded, the Url as the request gave it.
    return Status(ErrorCode::kResourceExists, "Provider with url " + url + " already exists.");
  }
  ARCANA_RETURN_IF_ERROR(st);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "OpenIDConnectProviderArn", p.Arn());
  if (!p.tags.empty()) WriteTags(w, p.tags);
  w.EndObject();
  return json::Finish(buf);
}

// Recorded: Url without "https://", ClientIDList, ThumbprintList, CreateDate and Tags, the
// lists present when empty.
Result<std::string> IamService::GetOpenIDConnectProvider(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(OidcProvider p,
                          LoadOidcProvider(ctx, *in.Str("OpenIDConnectProviderArn")));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "Url", p.url);
  w.Key("ClientIDList");
  json::WriteStringList(w, p.client_ids);
  w.Key("ThumbprintList");
  json::WriteStringList(w, p.thumbprints);
  w.Key("CreateDate");
  json::WriteTimestamp(w, p.created_ms);
  WriteTags(w, p.tags);
  w.EndObject();
  return json::Finish(buf);
}

// Every provider of the account as {Arn}, in name order: the operation takes no paging
// members.
Result<std::string> IamService::ListOpenIDConnectProviders(const In&, const CallContext& ctx) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("OpenIDConnectProviderList");
  w.StartArray();
  ARCANA_RETURN_IF_ERROR(
      ForEachEntity(ctx, storage::kOidcProviderKind, [&](const storage::IamEntity& e) {
        OidcProvider listed;  // its ARN needs only the account and the name
        listed.account = e.account;
        listed.url = e.name;
        w.StartObject();
        json::KV(w, "Arn", listed.Arn());
        w.EndObject();
        return Status::Ok();
      }));
  w.EndArray();
  w.EndObject();
  return json::Finish(buf);
}

// Deleting a provider that does not exist is NoSuchEntity, not the success the API reference
// promises ("idempotent"): LocalStack's AWS-validated test_delete_open_id_connect_provider
// expects the second delete to fail, and versitygw's IAM tests, which say the same, word it
// "OpenId connect Provider <arn> cannot be found.".
Result<std::string> IamService::DeleteOpenIDConnectProvider(const In& in,
                                                            const CallContext& ctx) {
  const std::string arn = *in.Str("OpenIDConnectProviderArn");
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    auto p = LoadOidcProvider(ctx, arn);
    if (!p.ok() && p.status().code() == ErrorCode::kResourceNotFound) {
      return Status(ErrorCode::kResourceNotFound,
                    "OpenId connect Provider " + arn + " cannot be found.");
    }
    ARCANA_RETURN_IF_ERROR(p.status());
    return WriteEntities(ctx, {{EntityWrite::Op::kDelete, storage::ToEntity(*p)}},
                         "DeleteOpenIDConnectProvider");
  }));
  return std::string("{}");
}

// Replaces the thumbprints (the API reference: "The lists are not merged"; recorded).
Result<std::string> IamService::UpdateOpenIDConnectProviderThumbprint(const In& in,
                                                                      const CallContext& ctx) {
  const auto thumbprints = in.StrList("ThumbprintList").value_or(std::vector<std::string>{});
  ARCANA_RETURN_IF_ERROR(CheckThumbprintCount(thumbprints));
  ARCANA_RETURN_IF_ERROR(UpdateOidcProvider(
      ctx, *in.Str("OpenIDConnectProviderArn"), "UpdateOpenIDConnectProviderThumbprint",
      [&](OidcProvider& p) -> Result<bool> {
        p.thumbprints = thumbprints;
        return true;
      }));
  return std::string("{}");
}

// A client ID the provider has already is a no-op ("idempotent", the API reference and
// terraform-provider-aws#37612's acceptance tests); a 101st is the quota Create refuses.
Result<std::string> IamService::AddClientIDToOpenIDConnectProvider(const In& in,
                                                                   const CallContext& ctx) {
  const std::string id = *in.Str("ClientID");
  ARCANA_RETURN_IF_ERROR(UpdateOidcProvider(
      ctx, *in.Str("OpenIDConnectProviderArn"), "AddClientIDToOpenIDConnectProvider",
      [&](OidcProvider& p) -> Result<bool> {
        if (std::find(p.client_ids.begin(), p.client_ids.end(), id) != p.client_ids.end()) {
          return false;
        }
        p.client_ids.push_back(id);
        ARCANA_RETURN_IF_ERROR(CheckClientIdCount(p.client_ids.size()));
        return true;
      }));
  return std::string("{}");
}

// A client ID the provider does not have is a no-op (the API reference: "idempotent").
Result<std::string> IamService::RemoveClientIDFromOpenIDConnectProvider(const In& in,
                                                                        const CallContext& ctx) {
  const std::string id = *in.Str("ClientID");
  ARCANA_RETURN_IF_ERROR(UpdateOidcProvider(
      ctx, *in.Str("OpenIDConnectProviderArn"), "RemoveClientIDFromOpenIDConnectProvider",
      [&](OidcProvider& p) -> Result<bool> {
        return std::erase(p.client_ids, id) > 0;
      }));
  return std::string("{}");
}

// Tags are checked as a user's or role's are (their keys case insensitive, as versitygw's IAM
// tests say AWS answers for providers); more than 50 on the provider is LimitExceeded in the
// words AWS recorded for providers.
Result<std::string> IamService::TagOpenIDConnectProvider(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(CheckTags(in.Get("Tags")));
  const auto tags = TagsOf(in.Get("Tags"));
  ARCANA_RETURN_IF_ERROR(UpdateOidcProvider(
      ctx, *in.Str("OpenIDConnectProviderArn"), "TagOpenIDConnectProvider",
      [&](OidcProvider& p) -> Result<bool> {
        ARCANA_RETURN_IF_ERROR(MergeProviderTags(p.tags, tags));
        return true;
      }));
  return std::string("{}");
}

Result<std::string> IamService::UntagOpenIDConnectProvider(const In& in, const CallContext& ctx) {
  const auto keys = in.StrList("TagKeys").value_or(std::vector<std::string>{});
  ARCANA_RETURN_IF_ERROR(CheckTagKeys(keys));
  ARCANA_RETURN_IF_ERROR(UpdateOidcProvider(
      ctx, *in.Str("OpenIDConnectProviderArn"), "UntagOpenIDConnectProvider",
      [&](OidcProvider& p) -> Result<bool> {
        return domain::iam::RemoveTagKeys(p.tags, keys);
      }));
  return std::string("{}");
}

// In the order the tags were first given, paged by MaxItems/Marker (recorded: k1, k2 as
// given; ten tags in pages of 4, 4 and 2).
Result<std::string> IamService::ListOpenIDConnectProviderTags(const In& in,
                                                              const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(OidcProvider p,
                          LoadOidcProvider(ctx, *in.Str("OpenIDConnectProviderArn")));
  return TagListAnswer(p.tags, in);
}

}  // namespace arcana::services::iam
