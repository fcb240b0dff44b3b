// IAM SAML 2.0 identity providers: the IdPs (Okta, Entra ID, ADFS, Keycloak, ...) whose signed
// SAML responses AssumeRoleWithSAML accepts. A provider is named by its name
// (domain::iam::SamlProvider, stored by storage/identity_codec.h as an entity of kind
// "saml-provider"); its ARN is arn:aws:iam::ACCOUNT:saml-provider/NAME and every call but
// Create and List names it so.
//
// The answers and refusals are AWS's as recorded by LocalStack's AWS-validated
// test_iam_saml_providers.py (its snapshot, not its implementation); where the recordings say
// nothing the source of each rule is named where it is applied.
//
// Encrypted assertions: AddPrivateKey gives a provider an RSA private key (at most two, so a
// key can be rotated) that AssumeRoleWithSAML decrypts EncryptedAssertions with; the keys are
// the entity's sealed secret (storage::EncodeSamlPrivateKeys), never answered (PrivateKeyList
// names them by KeyId), audited or logged, re-sealed by a root rotation.
// AssertionEncryptionMode Required refuses plaintext assertions. The refusals' words are those
// emulators copy from AWS (not recorded against AWS).
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/saml_xml.h"
#include "crypto/secure_memory.h"
#include "domain/iam/identity.h"
#include "services/common/write_retry.h"
#include "services/iam/iam_service.h"
#include "storage/identity_codec.h"

namespace arcana::services::iam {

using domain::iam::SamlProvider;
using storage::EntityWrite;

namespace {

constexpr std::string_view kSamlArnPrefix = "arn:aws:iam::";
constexpr std::string_view kSamlArnResource = ":saml-provider/";
// ValidUntil: AWS answers the creation time plus 100 years whatever the metadata says (the CLI
// reference's example: CreateDate 2017-03-06T22:29:46, ValidUntil 2117-03-06T22:29:46.433;
// recorded: a provider whose metadata has no validUntil has one).
constexpr int64_t kValidityMs = int64_t{36525} * 24 * 3600 * 1000;

// The metadata the provider will verify assertions with, or InvalidInput "Could not parse
// metadata." (the IAM User Guide's troubleshooting page quotes the error by that text).
Status CheckMetadata(const std::string& metadata) {
  auto parsed = crypto::ParseSamlMetadata(metadata);
  if (parsed.ok()) return Status::Ok();
  if (parsed.status().code() != ErrorCode::kInvalidParameter) return parsed.status();
  return Status(ErrorCode::kInvalidParameter, "Could not parse metadata.");
}

constexpr size_t kMaxPrivateKeys = 2;  // the model's privateKeyList bound

// AddPrivateKey's key, written again as PKCS#8 (crypto::NormalizeSamlPrivateKey), held wiped.
Result<std::optional<crypto::SecretString>> KeyToAdd(const json::Input& in) {
  auto pem = in.Str("AddPrivateKey");
  if (!pem) return std::optional<crypto::SecretString>();
  auto normalized = crypto::NormalizeSamlPrivateKey(*pem);
  if (!normalized) {
    return Status(ErrorCode::kInvalidParameter,
                  "Unable to parse the private key. It must be an unencrypted PEM RSA private "
                  "key.");
  }
  return std::optional<crypto::SecretString>(crypto::SecretString::Take(*normalized));
}

Status CheckEncryptionMode(const SamlProvider& p) {
  if (p.encryption_mode == "Required" && p.private_keys.empty()) {
    return Status(ErrorCode::kInvalidParameter,
                  "Unable to set assertion encryption mode to Required because no private key "
                  "is provided.");
  }
  return Status::Ok();
}

// An id of 22 characters of [A-Z2-7] (the model's privateKeyIdType: 22 to 64 of [A-Z0-9]).
std::string NewProviderUuid() { return domain::iam::NewUniqueId("SAMLP"); }

}  // namespace

std::string SamlProviderArnOfName(const std::string& account, const std::string& name) {
  return std::string(kSamlArnPrefix) + account + std::string(kSamlArnResource) + name;
}

// Recorded: a provider the account does not have is NoSuchEntity "Manifest not found for arn
// ARN" (the ARN as given), from Get and Delete alike. An ARN that is no SAML provider's is
// InvalidInput "ARN <arn> is not valid.", as IAM words a policy ARN it cannot parse.
Result<SamlProvider> IamService::LoadSamlProvider(const CallContext& ctx, const std::string& arn) {
  const Status missing(ErrorCode::kResourceNotFound, "Manifest not found for arn " + arn);
  const size_t resource = arn.find(kSamlArnResource);
  const bool well_formed = arn.starts_with(kSamlArnPrefix) && resource != std::string::npos &&
                           resource > kSamlArnPrefix.size() &&
                           resource + kSamlArnResource.size() < arn.size();
  if (!well_formed) return Status(ErrorCode::kInvalidParameter, "ARN " + arn + " is not valid.");
  const std::string account = arn.substr(kSamlArnPrefix.size(), resource - kSamlArnPrefix.size());
  const std::string name = arn.substr(resource + kSamlArnResource.size());
  if (account != ctx.account) return missing;
  ARCANA_ASSIGN_OR_RETURN(auto e, store_.GetEntity(ctx.account, storage::kSamlProviderKind, name));
  if (!e) return missing;
  return storage::SamlProviderFromEntity(*e);
}

Status IamService::UpdateSamlProvider(const CallContext& ctx, const std::string& arn,
                                      const char* op,
                                      const std::function<Result<bool>(SamlProvider&)>& change) {
  return RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(SamlProvider p, LoadSamlProvider(ctx, arn));
    ARCANA_ASSIGN_OR_RETURN(bool changed, change(p));
    if (!changed) return Status::Ok();
    return WriteEntities(ctx, {{EntityWrite::Op::kPut, storage::ToEntity(p)}}, op);
  });
}

// Answers the ARN, and the tags when any were given (recorded: no Tags member without them).
// A name taken is EntityAlreadyExists (IAM names are unique without regard to case; AWS's
// words are not recorded: these are IAM's for other entities); more than 100 providers is
// LimitExceeded (the IAM quotas page: 100 SAML providers per account).
Result<std::string> IamService::CreateSAMLProvider(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(auto key, KeyToAdd(in));
  SamlProvider p;
  p.account = ctx.account;
  p.name = *in.Str("Name");
  p.metadata = *in.Str("SAMLMetadataDocument");
  ARCANA_RETURN_IF_ERROR(CheckMetadata(p.metadata));
  ARCANA_RETURN_IF_ERROR(CheckTags(in.Get("Tags")));
  p.tags = TagsOf(in.Get("Tags"));
  p.uuid = NewProviderUuid();
  p.created_ms = ctx.now_ms;
  p.valid_until_ms = ctx.now_ms + kValidityMs;
  p.encryption_mode = in.Str("AssertionEncryptionMode").value_or("Allowed");
  if (key) p.private_keys.push_back({domain::iam::NewUniqueId("SAMLKEY"), ctx.now_ms});
  ARCANA_RETURN_IF_ERROR(CheckEncryptionMode(p));
  EntityWrite write{EntityWrite::Op::kPut, storage::ToEntity(p),
                    QuotaOf(storage::kSamlProviderKind)};
  if (key) {
    std::string keys = storage::EncodeSamlPrivateKeys({{p.private_keys[0].id, key->view()}});
    const crypto::SecretString secret = crypto::SecretString::Take(keys);
    ARCANA_ASSIGN_OR_RETURN(write.sealed_secret,
                            resolver_.SealEntitySecret(write.entity, secret.view()));
  }
  Status st = WriteEntities(ctx, {std::move(write)}, "CreateSAMLProvider");
  if (st.code() == ErrorCode::kResourceExists) {
    return Status(ErrorCode::kResourceExists,
                  "SAMLProvider with name " + p.name + " already exists.");
  }
  ARCANA_RETURN_IF_ERROR(st);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "SAMLProviderArn", p.Arn());
  if (!p.tags.empty()) WriteTags(w, p.tags);
  w.EndObject();
  return json::Finish(buf);
}

// Recorded: every member, with AssertionEncryptionMode Allowed, PrivateKeyList and Tags present
// when empty, the metadata as uploaded and the UUID unchanged by updates.
Result<std::string> IamService::GetSAMLProvider(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(SamlProvider p, LoadSamlProvider(ctx, *in.Str("SAMLProviderArn")));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "SAMLProviderUUID", p.uuid);
  json::KV(w, "SAMLMetadataDocument", p.metadata);
  w.Key("CreateDate");
  json::WriteTimestamp(w, p.created_ms);
  w.Key("ValidUntil");
  json::WriteTimestamp(w, p.valid_until_ms);
  WriteTags(w, p.tags);
  json::KV(w, "AssertionEncryptionMode", p.encryption_mode);
  w.Key("PrivateKeyList");
  w.StartArray();
  for (const auto& k : p.private_keys) {
    w.StartObject();
    json::KV(w, "KeyId", k.id);
    w.Key("Timestamp");
    json::WriteTimestamp(w, k.added_ms);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return json::Finish(buf);
}

// Every provider of the account as {Arn, ValidUntil, CreateDate}, in name order: the operation
// takes no paging members and answers no tags (the API reference).
Result<std::string> IamService::ListSAMLProviders(const In&, const CallContext& ctx) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("SAMLProviderList");
  w.StartArray();
  ARCANA_RETURN_IF_ERROR(
      ForEachEntity(ctx, storage::kSamlProviderKind, [&](const storage::IamEntity& e) -> Status {
        ARCANA_ASSIGN_OR_RETURN(SamlProvider p, storage::SamlProviderFromEntity(e));
        w.StartObject();
        json::KV(w, "Arn", p.Arn());
        w.Key("ValidUntil");
        json::WriteTimestamp(w, p.valid_until_ms);
        w.Key("CreateDate");
        json::WriteTimestamp(w, p.created_ms);
        w.EndObject();
        return Status::Ok();
      }));
  w.EndArray();
  w.EndObject();
  return json::Finish(buf);
}

// Replaces the metadata (rotating the IdP's signing certificate), sets the encryption mode,
// adds or removes a private key (not both at once); answers the ARN (recorded). A request that
// changes nothing is refused as emulators copy AWS's text ("No updates are defined").
Result<std::string> IamService::UpdateSAMLProvider(const In& in, const CallContext& ctx) {
  const std::string arn = *in.Str("SAMLProviderArn");
  auto metadata = in.Str("SAMLMetadataDocument");
  auto mode = in.Str("AssertionEncryptionMode");
  auto remove = in.Str("RemovePrivateKey");
  if (!metadata && !mode && !remove && !in.Has("AddPrivateKey")) {
    return Status(ErrorCode::kInvalidParameter,
                  "Unable to update identity provider. No updates are defined for metadata or "
                  "encryption assertion.");
  }
  if (remove && in.Has("AddPrivateKey")) {
    return Status(ErrorCode::kInvalidParameter,
                  "Unable to add and remove private keys in the same request. Set a value for "
                  "only one of the two parameters.");
  }
  if (metadata) ARCANA_RETURN_IF_ERROR(CheckMetadata(*metadata));
  ARCANA_ASSIGN_OR_RETURN(auto key, KeyToAdd(in));
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(SamlProvider p, LoadSamlProvider(ctx, arn));
    if (metadata) p.metadata = *metadata;
    if (mode) p.encryption_mode = *mode;
    EntityWrite write{EntityWrite::Op::kPut, storage::IamEntity{}};
    if (key || remove) {
      // The provider's keys as stored, then changed, sealed again as one secret.
      std::optional<crypto::SecretString> stored;
      std::vector<std::pair<std::string, std::string_view>> keys;
      if (!p.private_keys.empty()) {
        ARCANA_ASSIGN_OR_RETURN(stored, resolver_.OpenEntitySecret(storage::ToEntity(p)));
        ARCANA_ASSIGN_OR_RETURN(keys, storage::DecodeSamlPrivateKeys(stored->view()));
      }
      if (key) {
        if (p.private_keys.size() >= kMaxPrivateKeys) {
          return Status(ErrorCode::kLimitExceeded, "Private key limit of 2 is reached.");
        }
        p.private_keys.push_back({domain::iam::NewUniqueId("SAMLKEY"), ctx.now_ms});
        keys.emplace_back(p.private_keys.back().id, key->view());
      } else {
        const bool found = std::erase_if(p.private_keys, [&](const auto& k) {
                             return k.id == *remove;
                           }) > 0;
        if (!found) {
          return Status(ErrorCode::kInvalidParameter,
                        "Failed to remove private key because the Key ID does not match a "
                        "private key.");
        }
        std::erase_if(keys, [&](const auto& k) { return k.first == *remove; });
      }
      // Sealed bound to the provider's id, account and kind, which no change here alters.
      std::string encoded = storage::EncodeSamlPrivateKeys(keys);
      const crypto::SecretString secret = crypto::SecretString::Take(encoded);
      ARCANA_ASSIGN_OR_RETURN(write.sealed_secret,
                              resolver_.SealEntitySecret(storage::ToEntity(p), secret.view()));
    }
    ARCANA_RETURN_IF_ERROR(CheckEncryptionMode(p));
    write.entity = storage::ToEntity(p);
    return WriteEntities(ctx, {std::move(write)}, "UpdateSAMLProvider");
  }));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "SAMLProviderArn", arn);
  w.EndObject();
  return json::Finish(buf);
}

// Recorded: the second delete of a provider is NoSuchEntity in Get's words. Roles that trust
// the provider keep their trust policies (as on AWS); no assertion of it is accepted after.
Result<std::string> IamService::DeleteSAMLProvider(const In& in, const CallContext& ctx) {
  const std::string arn = *in.Str("SAMLProviderArn");
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(SamlProvider p, LoadSamlProvider(ctx, arn));
    return WriteEntities(ctx, {{EntityWrite::Op::kDelete, storage::ToEntity(p)}},
                         "DeleteSAMLProvider");
  }));
  return std::string("{}");
}

// Tags as an OIDC provider's (keys case insensitive; at most 50).
Result<std::string> IamService::TagSAMLProvider(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(CheckTags(in.Get("Tags")));
  const auto tags = TagsOf(in.Get("Tags"));
  ARCANA_RETURN_IF_ERROR(UpdateSamlProvider(
      ctx, *in.Str("SAMLProviderArn"), "TagSAMLProvider", [&](SamlProvider& p) -> Result<bool> {
        ARCANA_RETURN_IF_ERROR(MergeProviderTags(p.tags, tags));
        return true;
      }));
  return std::string("{}");
}

Result<std::string> IamService::UntagSAMLProvider(const In& in, const CallContext& ctx) {
  const auto keys = in.StrList("TagKeys").value_or(std::vector<std::string>{});
  ARCANA_RETURN_IF_ERROR(CheckTagKeys(keys));
  ARCANA_RETURN_IF_ERROR(UpdateSamlProvider(
      ctx, *in.Str("SAMLProviderArn"), "UntagSAMLProvider", [&](SamlProvider& p) -> Result<bool> {
        return domain::iam::RemoveTagKeys(p.tags, keys);
      }));
  return std::string("{}");
}

Result<std::string> IamService::ListSAMLProviderTags(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(SamlProvider p, LoadSamlProvider(ctx, *in.Str("SAMLProviderArn")));
  return TagListAnswer(p.tags, in);
}

}  // namespace arcana::services::iam
