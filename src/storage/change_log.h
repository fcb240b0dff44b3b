// The change sequence (a transactional outbox): every store transaction that changes a
// secret, version, label, parameter, KMS key, alias, grant, policy or access key appends, in
// that same transaction, one Change per resource it touched. Sequence numbers increase
// strictly in COMMIT order (writers serialise on the sequence head only for the moment of
// their commit), so a reader that has seen every change up to Head() has seen all changes
// that will ever carry a number <= Head(): there are no gaps that fill in later.
//
// This is the one feed every later feature reads: cross-node cache invalidation
// (change_follower.h), the audit trail, event rules and the caching agent's push
// invalidation. Nothing else invents its own. No secret value ever appears in a Change.
// Thread-safety: as every store component (store_types.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace arcana::storage {

struct Change {
  int64_t seq = 0;      // strictly increasing in commit order, from 1
  int64_t at_ms = 0;    // commit time (the writer's clock)
  std::string account;  // "" for server-wide resources
  std::string region;
  std::string service;   // "secretsmanager" | "ssm" | "kms" | "arcana" (access keys)
  std::string resource;  // the ARN (secret, parameter, key, alias), or the access key id
  std::string kind;      // what happened: the operation or job, e.g. "PutSecretValue",
                         // "UpdateSecretVersionStage", "DeleteParameters", "PurgeSecret"
  // The node that committed it (its audit node name, app/audit_setup.h AuditNodeName), where
  // the log says so (ChangeLog::NamesNodes: PostgreSQL, whose store several nodes share; ""
  // for the arcana CLI's changes and those committed before the column existed); "" on
  // SQLite, whose one node made every change but the CLI's. A node restarted after a crash
  // claims only its own changes (audit/unrecorded_changes.h). "= {}": the initialisations
  // naming seq..kind need not name it.
  std::string node = {};

  // RootOfTrustStore::RewrapRootBlobs appends one change of this form in its transaction:
  // every root-wrapped blob changed at once, so caches of sealed bytes drop everything.
  static constexpr const char* kRootResource = "root-of-trust";
  bool IsRootRewrap() const { return service == "arcana" && resource == kRootResource; }

  // `arcana store restore` (store_backup.h) appends one change of this form to the restored
  // store, numbered after every change either store had given: anything may have changed, so
  // a follower drops everything it cached (the change stream answers Reset).
  static constexpr const char* kStoreResource = "store";
  static constexpr const char* kRestoreKind = "RestoreStore";
  bool IsStoreRestore() const {
    return service == "arcana" && resource == kStoreResource && kind == kRestoreKind;
  }
};

class ChangeLog {
 public:
  virtual ~ChangeLog() = default;
  // The highest committed sequence number (0 when none). Cheap: this is the freshness check
  // every cached read makes (SQLite: an in-memory counter and a look at the WAL index for
  // other processes' commits; PostgreSQL: one single-row read).
  virtual Result<int64_t> Head() = 0;
  // Head(), covering every commit before `since` (a steady-clock time) but free to reuse a
  // check that began at or after it (SQLite: the look for other processes' commits; this
  // node's own commits are always counted). The default asks Head().
  virtual Result<int64_t> HeadSince(std::chrono::steady_clock::time_point since) {
    (void)since;
    return Head();
  }
  // True when the head is kept in this process (one node serves the store: SQLite; the
  // arcana CLI beside it is noticed by HeadSince), so followers call HeadSince on every read
  // instead of sharing one in-flight call (change_follower.h).
  virtual bool HeadIsLocal() const { return false; }
  // True when every change this log commits from now on names its node (Change::node), so a
  // node can tell its own changes from other nodes' on a shared store (PostgreSQL).
  virtual bool NamesNodes() const { return false; }
  // Changes with seq > after_seq, ascending, at most limit (<= kMaxListLimit).
  virtual Result<std::vector<Change>> ReadChanges(int64_t after_seq, size_t limit) = 0;
  // Blocks until a change after `after_seq` may have been committed, or the timeout passes.
  // A wake-up only (PostgreSQL: LISTEN/NOTIFY; SQLite: in-process): callers re-read Head(),
  // so a lost notification delays nothing longer than the timeout.
  virtual void WaitForChange(int64_t after_seq, std::chrono::milliseconds timeout) = 0;
  // Retention: deletes the changes up to the newest one committed before before_ms (by the
  // writer's clock), never the newest one (Head() keeps its value). What it deletes is
  // always a prefix of the sequence, so a reader finds a gap only right after the seq it
  // asked for, never a hole further on (the commit clocks of several nodes, or of one stepped
  // back, are not monotonic in seq). Returns how many were deleted.
  virtual Result<size_t> TrimChanges(int64_t before_ms) = 0;
};

}  // namespace arcana::storage
