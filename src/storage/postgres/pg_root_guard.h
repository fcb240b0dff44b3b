// The root guard: a write that stores a blob sealed under the root key commits it only while
// that key is the store's root, checked inside the write's own transaction.
//
// Why here and not only before sealing (seal_manager.h checks the store's root.check before
// every root seal): between that check and the commit another node may commit a root
// rotation and finish its verification pass, after which no node keeps the old key; a blob
// committed under it then would open nowhere. The rotation's rewrap transactions lock every
// table that holds root-sealed blobs (pg_root_store.cc, EXCLUSIVE MODE), and the caller of
// CheckSealedUnderStoreRoot has already written its blob to one of them (ROW EXCLUSIVE, held
// to commit). So either this write commits first and the rotation's rewrap sees its blob, or
// the rotation commits first and this check, a statement that starts after the write's lock
// was granted, reads the new root.check and refuses.
//
// Accepted: a legacy untagged blob; a blob under root.check's key; any blob while a rotation
// is in progress and not committed (the rotating node already seals under the new key, the
// others under the old: the rotation's commit rewraps both); anything on a store not yet
// initialised (no root.check) or whose root.check predates the header (it names no key).
// Refused: kServiceUnavailable, "retry" (a retried request seals again, after the node's own
// check has adopted the new root or sealed the node).
// SQLite needs no guard: one node per store, whose rotation waits for its own in-flight seals.
#pragma once

#include <string_view>

#include "common/status.h"
#include "storage/postgres/pg_database.h"

namespace arcana::storage::pg {

Status CheckSealedUnderStoreRoot(Tx& tx, std::string_view blob);

}  // namespace arcana::storage::pg
