// The stored form of IAM identities (domain/iam/identity.h): the `doc` JSON of an IamEntity
// and of an StsSession (storage/identity_store.h). The only reader and writer of those
// documents. A document that does not decode is kInternalServiceError (a corrupt row).
#pragma once

#include <string>

#include "common/status.h"
#include "domain/iam/identity.h"
#include "storage/identity_store.h"

namespace arcana::storage {

IamEntity ToEntity(const domain::iam::Identity& i);
Result<domain::iam::Identity> IdentityFromEntity(const IamEntity& e);
IamEntity ToEntity(const domain::iam::ManagedPolicy& p);
Result<domain::iam::ManagedPolicy> PolicyFromEntity(const IamEntity& e);
// An OIDC provider is an IamEntity of kind "oidc-provider" named by its URL (no path).
inline constexpr const char* kOidcProviderKind = "oidc-provider";
IamEntity ToEntity(const domain::iam::OidcProvider& p);
Result<domain::iam::OidcProvider> OidcProviderFromEntity(const IamEntity& e);
// A SAML provider is an IamEntity of kind "saml-provider" named by its name (no path), its
// SAMLProviderUUID the entity's id.
inline constexpr const char* kSamlProviderKind = "saml-provider";
IamEntity ToEntity(const domain::iam::SamlProvider& p);
Result<domain::iam::SamlProvider> SamlProviderFromEntity(const IamEntity& e);
// A SAML provider's secret (sealed as the entity's secret): its private keys by KeyId, each
// "KEYID LENGTH\n" then LENGTH bytes of PEM. DecodeSamlPrivateKeys answers views into `secret`
// (kInternalServiceError when it is not of this form: a corrupt row).
std::string EncodeSamlPrivateKeys(const std::vector<std::pair<std::string, std::string_view>>& keys);
Result<std::vector<std::pair<std::string, std::string_view>>> DecodeSamlPrivateKeys(
    std::string_view secret);
// A service-specific credential is an IamEntity of kind "service-specific-credential" named
// by its id (also the entity's id), under the path "/<user's unique id>/" (its user's
// credentials are the entities under that path); its password is the entity's secret.
inline constexpr const char* kServiceCredentialKind = "service-specific-credential";
std::string ServiceCredentialPath(const std::string& user_id);
IamEntity ToEntity(const domain::iam::ServiceCredential& c);
Result<domain::iam::ServiceCredential> ServiceCredentialFromEntity(const IamEntity& e);
// An instance profile is an IamEntity of kind "instance-profile" named by its name.
inline constexpr const char* kInstanceProfileKind = "instance-profile";
IamEntity ToEntity(const domain::iam::InstanceProfile& p);
Result<domain::iam::InstanceProfile> InstanceProfileFromEntity(const IamEntity& e);
// A virtual MFA device is an IamEntity of kind "mfa-device" named by its name (unique in the
// account, as IAM names are), with its path, and its serial number as the entity's id. Its
// seed is the entity's secret (IdentityStore::GetEntitySecret), not part of the document.
inline constexpr const char* kMfaDeviceKind = "mfa-device";
// A device enabled for a user also has a row of kind "mfa-device-in-use" of the same name
// (doc "{}"), written in the same store write as its assignment: what GetAccountSummary's
// MFADevicesInUse counts (IdentityStore::CountEntities) without reading the devices.
inline constexpr const char* kMfaInUseKind = "mfa-device-in-use";
IamEntity ToEntity(const domain::iam::MfaDevice& d);
Result<domain::iam::MfaDevice> MfaDeviceFromEntity(const IamEntity& e);
// A server certificate is an IamEntity of kind "server-certificate" named by its name, with
// its path and its ServerCertificateId as the entity's id; the document holds the body, the
// chain, the expiration and the tags. Its private key is the entity's secret
// (IdentityStore::GetEntitySecret), not part of the document.
inline constexpr const char* kServerCertificateKind = "server-certificate";
IamEntity ToEntity(const domain::iam::ServerCertificate& c);
Result<domain::iam::ServerCertificate> ServerCertificateFromEntity(const IamEntity& e);
// How much one account uses one AWS managed policy (AttachmentCount,
// PermissionsBoundaryUsageCount). Such a policy is no entity of the account, so its counts
// are kept in an IamEntity of kind "aws-policy-uses" named by the policy's ARN (no id, path
// "/"), written in the same store write as the attachment or boundary that changes them.
// No IAM list, count or authorization details reads this kind.
inline constexpr const char* kAwsPolicyUsesKind = "aws-policy-uses";
// The row of that kind (a name no ARN has) that says the account's counts exist: they were
// counted once from its users, groups and roles (stores written before the counts were
// kept have none), and every change since moved them. Its customer managed policies'
// boundary counts were set by that same count (services/iam: CountAwsPolicyUses).
inline constexpr const char* kAwsPolicyUsesCounted = "counted";
struct AwsPolicyUses {
  std::string account;
  std::string arn;  // kAwsPolicyUsesCounted for the marker row
  int64_t attached = 0;  // users, groups and roles it is attached to
  int64_t bounding = 0;  // users and roles it is the permissions boundary of
  int64_t created_ms = 0;
  int64_t revision = 0;  // 0 = no row yet
};
IamEntity ToEntity(const AwsPolicyUses& u);
Result<AwsPolicyUses> AwsPolicyUsesFromEntity(const IamEntity& e);
// Which users, groups and roles use a managed policy (ListEntitiesForPolicy), kept so that the
// call reads the policy's uses, not the account's identities: one IamEntity per use, of kind
// kPolicyAttachedKind + ARN (the identity has the policy attached) or kPolicyBoundsKind + ARN
// (the policy is its permissions boundary), named PolicyUseName(kind, name) ("group/NAME",
// "role/NAME", "user/NAME": in name order groups, roles then users, each by name, as the call
// answers them), with the identity's id and path, doc "{}". Written in the same store write as
// the identity (services/iam: IamService::WriteEntities). No other IAM list or count reads these kinds.
inline constexpr const char* kPolicyAttachedKind = "policy-attached:";
inline constexpr const char* kPolicyBoundsKind = "policy-bounds:";
inline std::string PolicyUseName(const std::string& kind, const std::string& name) {
  return kind + "/" + name;
}
// The row (kind kPolicyUsesIndexedKind, name kPolicyUsesIndexed) that says the account's
// rows above exist: stores written before they were kept have none, and the first call that
// needs them makes them once from the identities, together with this row.
inline constexpr const char* kPolicyUsesIndexedKind = "policy-uses-indexed";
inline constexpr const char* kPolicyUsesIndexed = "indexed";
std::string EncodeSession(const domain::iam::Session& s);
Result<domain::iam::Session> DecodeSession(const std::string& doc);

}  // namespace arcana::storage
