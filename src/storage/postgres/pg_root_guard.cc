#include "storage/postgres/pg_root_guard.h"

#include <string>

#include "common/root_blob.h"

namespace arcana::storage::pg {

Status CheckSealedUnderStoreRoot(Tx& tx, std::string_view blob) {
  const std::string_view id = root_blob::KeyIdOf(blob);
  if (id.empty()) return Status::Ok();
  std::string check, rotating;
  for (const auto& row : tx.Exec("SELECT key, value FROM meta WHERE key IN ($1, $2)",
                                 {root_blob::kCheckMeta, root_blob::kRotatingMeta})) {
    (Text(row[0]) == root_blob::kCheckMeta ? check : rotating) = Bytes(row[1]);
  }
  // No root yet, or a root.check from before blobs named their key: nothing to compare.
  const std::string_view root = root_blob::KeyIdOf(check);
  if (root.empty() || root == id) return Status::Ok();
  if (!rotating.empty() && !rotating.ends_with(root_blob::kCommittedMark)) return Status::Ok();
  return Status(ErrorCode::kServiceUnavailable,
                "the root key changed while this request ran (another node rotated it); "
                "nothing was written: retry the request");
}

}  // namespace arcana::storage::pg
