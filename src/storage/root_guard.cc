#include "storage/root_guard.h"

#include "common/root_blob.h"

namespace arcana::storage {

Status JudgeSealedUnderStoreRoot(std::string_view blob, std::string_view root_check,
                                 std::string_view rotating) {
  const std::string_view id = root_blob::KeyIdOf(blob);
  if (id.empty()) return Status::Ok();
  // No root yet, or a root.check from before blobs named their key: nothing to compare.
  const std::string_view root = root_blob::KeyIdOf(root_check);
  if (root.empty() || root == id) return Status::Ok();
  if (!rotating.empty() && !rotating.ends_with(root_blob::kCommittedMark)) return Status::Ok();
  return Status(ErrorCode::kServiceUnavailable,
                "the root key changed while this request ran (it was rotated); nothing was "
                "written: retry the request");
}

}  // namespace arcana::storage
