// Backing up and restoring a one-node SQLite store (`arcana store backup` / `arcana store
// restore`), as Vault's snapshots do for its integrated storage: one file that holds the whole
// store (secrets and their sealed versions, parameters, KMS keys and their sealed material,
// IAM identities, access keys, rotation schedules, event rules...), taken while arcanad
// serves, and put back in place of a store later.
//
// A backup holds sealed values only, exactly as the database does: it is useless without the
// root of trust it was taken under (the key file, the Shamir shares or the PKCS#11 token),
// which it never contains. The audit files are not part of it: they are append-only files
// in the data dir, copied by the operator's own tools (`arcana audit verify` checks them).
// A PostgreSQL store is backed up with PostgreSQL's own tools (pg_dump, or base backups with
// WAL archiving), while its nodes keep serving.
//
// BackupSqliteStore(db, to):
//  - A consistent snapshot of db as of one moment (SQLite's VACUUM INTO in one read
//    transaction): a running arcanad keeps serving and writing meanwhile; a write it
//    acknowledged after that moment is not in the backup.
//  - `to` must not exist. The file is made 0600 under a temporary name beside it, synced, and
//    moved into place without replacing anything (a hard link, or RENAME_NOREPLACE where the
//    file system has no links; then its directory synced): `to` is whole or absent, never torn.
//  - A store in the middle of a root rotation (root.pending) is not backed up: nothing is
//    left behind and kInvalidRequest says to retry once the rotation has ended.
//  - Reports the change sequence's head the backup holds (the newest change in it).
//
// RestoreSqliteStore(dir, from, now_ms): replaces <dir>/arcana.db with the backup `from`.
//  - The caller holds dir's arcanad.lock (no arcanad serves the store meanwhile).
//  - `from` must be an Arcana store that passes SQLite's integrity check, holds no trigger
//    or view (Arcana makes none; a crafted file's would run on the restore's writes), with no
//    root rotation in progress and a plausible change head (kInvalidRequest otherwise; nothing
//    changes); the copy restored is checked again. An older schema is migrated as an arcanad
//    starting on it would; a newer one is refused.
//  - The replaced store's write-ahead log is folded into it first; while another process
//    reads that store (which keeps the fold from finishing) the restore is refused
//    (kInvalidRequest, retry), as removing the log then would lose committed writes.
//  - Same root of trust: when dir already holds a store, the backup's root key (the id in its
//    root.check) must be the store's. A backup taken before a root rotation, or of another
//    store, is refused (kInvalidRequest naming both key ids): its values open only with the
//    root they were sealed under, so it belongs in a new data dir started with that root.
//  - The change sequence never goes back: the restored store's next change number continues
//    after the higher of the two stores' heads, and the restore itself is one change
//    (service "arcana", resource Change::kStoreResource, kind "RestoreStore"), so every
//    follower (the change stream's clients, arcana-agent) learns that everything may have
//    changed (net/change_stream_api.h answers Reset), and `arcana audit verify` tells the
//    changes the restore undid (claimed by records, absent from the store: numbered between
//    the backup's head and the restore's change) from missing ones.
//  - What the store keeps of each node's audit digest chain (audit.node.*, node_head.h) is
//    the replaced store's, never the backup's older values (nor entries only the backup has):
//    the audit files went on. Restored into a new data dir, the backup's entries stay.
//  - Job and event-delivery leases are released (the process that held them is gone). What
//    was due at the backup runs again: events pending then are delivered (again, if they
//    were delivered after the backup: deliveries are at least once), and jobs run by their
//    restored schedules.
//  - The replaced database stays beside it as arcana.db.before-restore-<UTC time> (a hard
//    link, made before the new file is renamed over arcana.db): restoring that file undoes the
//    restore. Each step is atomic (link, rename), so a crash anywhere leaves arcana.db either
//    the old store or the restored one, never absent or torn.
// Errors: kInvalidRequest as above; the file system's and SQLite's otherwise (nothing
// replaced then).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "storage/change_log.h"

namespace arcana::storage {

struct BackupReport {
  int64_t head = 0;   // the newest change the backup holds (0: none)
  int64_t bytes = 0;  // the backup file's size
};

Result<BackupReport> BackupSqliteStore(const std::string& db, const std::string& to);

// What a backup holds, read without changing it (`arcana store inspect`), so a backup can be
// checked before it is needed: SQLite's integrity check, then the root of trust it opens
// with (strategy and key id, from root.check's header), the change sequence's head, the
// newest change's time, and the rows of the main tables. Works on a live arcana.db too.
// Errors: kInvalidRequest for a file that is not an Arcana store or is damaged.
struct BackupSummary {
  std::string root_seal;    // "keyfile" | "shamir" | "pkcs11" ("" before the first unseal)
  std::string root_key_id;  // hex; "" when none or untagged
  bool rotating = false;    // root.pending present (a backup taken mid-rotation)
  int64_t head = 0;
  int64_t newest_change_ms = 0;  // 0 when no change is retained
  std::vector<std::pair<std::string, int64_t>> rows;  // table -> rows
};
Result<BackupSummary> InspectSqliteBackup(const std::string& path);

// Scheduled backups (arcanad --backup-dir): "arcana-YYYYMMDDThhmmss.mmmZ.db", the UTC time,
// so that names sort as times do.
std::string BackupFileName(int64_t now_ms);
bool IsBackupFileName(std::string_view name);
// Deletes all but the `keep` newest backups (by name) in dir, never `just_made` (the backup
// this run wrote, counted among the kept: a clock once ahead may have left names that sort
// after it), and staging copies of backups killed part-way (".arcana-partial", unchanged for
// 6 hours at now_ms); other files are left alone. Returns how many backups were deleted.
// Errors: the file system's (nothing more deleted then).
Result<size_t> KeepNewestBackups(const std::string& dir, size_t keep,
                                 std::string_view just_made = {}, int64_t now_ms = 0);

struct RestoreReport {
  int64_t backup_head = 0;    // the newest change the backup held
  int64_t replaced_head = 0;  // the newest change of the store it replaced (0: none)
  Change restore_change;      // the change recording the restore (seq and at_ms set)
  std::string kept_as;        // the replaced database's new name ("" when dir had none)
};

Result<RestoreReport> RestoreSqliteStore(const std::string& dir, const std::string& from,
                                         int64_t now_ms);

}  // namespace arcana::storage
