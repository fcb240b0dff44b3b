// The root guard: a write that stores a blob sealed under the root key commits it only while
// that key is the store's root, decided inside the write's own transaction (both backends).
//
// Why here and not only before sealing (seal_manager.h checks the store's root.check before
// every root seal): between that check and the commit the root may be rotated (by another
// node on PostgreSQL; by arcanad while the offline `arcana` CLI writes an access key on either
// backend) and the rotation's verification pass may finish, after which nothing keeps the old
// key; a blob committed under it then would open nowhere. The rotation's rewrap runs in one
// write transaction over every table of root-sealed blobs (PostgreSQL: LOCK TABLE ... IN
// EXCLUSIVE MODE; SQLite: the one writer), and the backend reads the root below only after
// the write has taken its own lock on such a table (PostgreSQL: after writing its row, ROW
// EXCLUSIVE held to commit; SQLite: inside the write transaction). So either the write
// commits first and the rotation's rewrap sees its blob, or the rotation commits first and the
// write reads the new root.check and is refused.
//
// Accepted: a legacy untagged blob; a blob under root.check's key; any blob while a rotation
// is in progress and not committed (the rotating node already seals under the new key, the
// others under the old: the rotation's commit rewraps both); anything on a store not yet
// initialised (no root.check) or whose root.check predates the header (it names no key).
// Refused: kServiceUnavailable, "retry" (a retried request seals again, after the node's own
// check has adopted the new root or sealed the node).
#pragma once

#include <string_view>

#include "common/status.h"

namespace arcana::storage {

// The decision, given the blob and the store's meta values root.check and root.rotating as
// read in the write's transaction ("" when absent). Each backend reads them and calls this.
Status JudgeSealedUnderStoreRoot(std::string_view blob, std::string_view root_check,
                                 std::string_view rotating);

}  // namespace arcana::storage
