// What a crash leaves between the store and the trail. A call commits its changes, then hands
// its record to the trail (net/api_stages.h, CallRecorder::AuditAsync): a process killed in
// between leaves committed changes that no record claims, which `arcana audit verify` would
// report as evidence of tampering on every later run. A node whose audit files were not
// closed in order (FileTrail::interrupted) finds them at its next start, and records them in
// a RecoverUnrecordedChanges service event (audit/change_claims.h, RecoveredChangeEvents).
//
// Which changes: those numbered after `after` and up to the store's head when the node
// started (head: before the start committed anything), that no record in the audit dir
// claims. `after` comes from the tail of the node's own records, read newest first until it
// holds 2*kWindow records that claim changes (or the files' start, or kMaxScanBytes): the
// highest change claimed by the older half of them. Records are handed over in about the
// order their changes commit, so a change above it whose record exists is claimed within the
// window; the window's every claim is excluded, and so are the claims of the dir's other file
// sets (an operator CLI's, a former node name's) above `after`. The work is bounded by that
// tail and the changes after it, whatever the trail's length.
// Which node's: on a store several nodes share (PostgreSQL: ChangeLog::NamesNodes), only the
// changes whose row names this node (Change::node): another node's change is not in this
// dir's claims, and its record may still be on its way (that node is alive), so claiming it
// would claim it twice. The node's own changes up to `head` were all committed by the
// process that crashed: none has a record still to come. (A node restarted under another
// --audit-node finds no claims of its own and claims nothing; its former name's changes stay
// unrecorded.) On a store one node owns (SQLite, HeadIsLocal) rows name no node: every
// change is looked at, the arcana CLI's claimed by its own file set in the dir.
// Thread-safety: a free function over files and the store.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/change_log.h"

namespace arcana::audit {

struct UnrecordedChanges {
  int64_t after = 0;    // the changes looked at: after+1 .. head
  int64_t head = 0;
  std::vector<storage::Change> changes;  // ascending
  bool no_claims = false;  // the node's tail claims no change: nothing could be bounded
  bool cut = false;        // more than kMaxChanges were read: the rest were not looked at
};

inline constexpr size_t kUnrecordedWindow = 256;
inline constexpr uint64_t kUnrecordedMaxScanBytes = uint64_t{64} << 20;  // per file set
inline constexpr size_t kUnrecordedMaxChanges = 100000;

// dir: the audit dir; node: this node's name (and, where log.NamesNodes(), the node whose
// changes are looked at). Errors: unreadable files, the store's.
Result<UnrecordedChanges> FindUnrecordedChanges(const std::string& dir, const std::string& node,
                                                storage::ChangeLog& log, int64_t head);

}  // namespace arcana::audit
