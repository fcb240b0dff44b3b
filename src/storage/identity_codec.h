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
std::string EncodeSession(const domain::iam::Session& s);
Result<domain::iam::Session> DecodeSession(const std::string& doc);

}  // namespace arcana::storage
