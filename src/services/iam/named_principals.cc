#include "services/iam/named_principals.h"

#include "storage/identity_codec.h"

namespace arcana::services::iam {

Result<std::optional<domain::iam::Identity>> FindNamedPrincipal(
    storage::IdentityStore& store, const domain::iam::NamedPrincipal& p) {
  ARCANA_ASSIGN_OR_RETURN(auto e, store.GetEntity(p.account, p.kind, p.name));
  if (!e) return std::optional<domain::iam::Identity>();
  ARCANA_ASSIGN_OR_RETURN(auto found, storage::IdentityFromEntity(*e));
  if (found.Arn() != p.arn) return std::optional<domain::iam::Identity>();
  return std::optional<domain::iam::Identity>(std::move(found));
}

}  // namespace arcana::services::iam
