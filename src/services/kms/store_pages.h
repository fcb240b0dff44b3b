// Whole lists read from the KMS store's bounded pages (storage/kms_store.h), for the
// operations that still filter and page in memory. Each loop is bounded by what it reads.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "storage/kms_store.h"

namespace arcana::services::kms {

// Reads pages of `fetch(after, limit)` until a short page; `next` gives an item's position.
template <typename T, typename Fetch, typename Next>
Result<std::vector<T>> AllPages(Fetch fetch, Next next) {
  std::vector<T> out;
  std::string after;
  for (;;) {
    ARCANA_ASSIGN_OR_RETURN(auto page, fetch(after, storage::kMaxListLimit));
    const bool last = page.size() < storage::kMaxListLimit;
    if (!page.empty()) after = next(page.back());
    for (auto& item : page) out.push_back(std::move(item));
    if (last) return out;
  }
}

inline Result<std::vector<domain::kms::Key>> AllKeys(storage::KmsStore& store,
                                                     const storage::Scope& scope) {
  return AllPages<domain::kms::Key>(
      [&](const std::string& after, size_t n) { return store.ListKmsKeys(scope, after, n); },
      [](const domain::kms::Key& k) { return k.key_id; });
}

// key_id "" = every alias of the scope.
inline Result<std::vector<domain::kms::Alias>> AllAliases(storage::KmsStore& store,
                                                          const storage::Scope& scope,
                                                          const std::string& key_id = "") {
  return AllPages<domain::kms::Alias>(
      [&](const std::string& after, size_t n) {
        return store.ListKmsAliases(scope, key_id, after, n);
      },
      [](const domain::kms::Alias& a) { return a.name; });
}

inline Result<std::vector<domain::kms::Grant>> AllGrants(storage::KmsStore& store,
                                                         const storage::Scope& scope,
                                                         const std::string& key_id) {
  return AllPages<domain::kms::Grant>(
      [&](const std::string& after, size_t n) {
        return store.ListKmsGrants(scope, key_id, after, n);
      },
      [](const domain::kms::Grant& g) { return g.grant_id; });
}

inline Result<std::vector<domain::kms::Grant>> AllRetirableGrants(storage::KmsStore& store,
                                                                  const storage::Scope& scope,
                                                                  const std::string& principal) {
  return AllPages<domain::kms::Grant>(
      [&](const std::string& after, size_t n) {
        return store.ListKmsGrantsByRetiringPrincipal(scope, principal, after, n);
      },
      [](const domain::kms::Grant& g) { return g.grant_id; });
}

}  // namespace arcana::services::kms
