// Records and store changes, matched by sequence number (storage/committed_changes.h):
// putting what a request committed into its record, recording what a job committed that no
// report claimed, and the cross-check `arcana audit verify` makes between trail and store.
// Thread-safety: free functions; ClaimThreadChanges works on the calling thread's collector.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_event.h"
#include "storage/change_log.h"
#include "storage/committed_changes.h"

namespace arcana::audit {

// Moves what this thread's collector gathered since the last claim into e (a job's report
// right after its write). No collector: nothing.
void ClaimThreadChanges(AuditEvent& e);

// Records for changes a job committed that none of its reports claimed: one AwsServiceEvent
// per (kind, account, region, service), named after the kind, naming the changed resources
// and, in serviceEventDetails, the job.
std::vector<AuditEvent> UnclaimedChangeEvents(const std::string& job,
                                              const storage::CommittedChanges& changes,
                                              int64_t now_ms);

// The records claiming changes a crash left without one (audit/unrecorded_changes.h): one
// AwsServiceEvent "RecoverUnrecordedChanges" of source arcana.internal per (account, region)
// and per storage::CommittedChanges::kMax changes, naming the changed resources and, in
// serviceEventDetails, the node and the changes looked at:
//   {"node":N,"reason":"crash","changesAfter":A,"storeHeadAtStart":H}
std::vector<AuditEvent> RecoveredChangeEvents(const std::string& node,
                                              const std::vector<storage::Change>& changes,
                                              int64_t after, int64_t head, int64_t now_ms);

// What one record line claims (its additionalEventData), and where it is.
struct RecordClaims {
  std::string where;    // "<file>:<line> (eventName, eventID)"
  int64_t time_ms = 0;  // eventTime (second precision)
  std::vector<storage::Change> claims;  // seq, kind, resource
  bool truncated = false;
};

// Parses a record line; false when it is not a record (no eventTime).
bool ParseRecordClaims(std::string_view line, std::string where, RecordClaims* out);

struct CrossCheckResult {
  std::vector<std::string> problems;  // every disagreement found
  size_t claims_checked = 0;          // claimed changes found in the store and matching
  size_t claims_trimmed = 0;          // claimed changes older than the retained log
  size_t claims_undone = 0;           // claimed changes a store restore took back
  size_t changes_checked = 0;         // store changes in the trail's span (complete only)
};

// changes: the store's retained change log, ascending. Every claim must name a change the
// store has (unless older than the oldest retained one: trimmed; or numbered between a
// restore's change and the retained change before it: undone by `arcana store restore`,
// which the RestoreStore record claims) with the same kind and resource, and no change may
// be claimed twice. When `complete` (the records are every node's), every change committed
// within the records' time span must also be claimed; the span starts no earlier than
// span_floor_ms (where retention removed records before it: their changes' records are gone).
// The span ends with the newest record's second, or, given head_seq (>= 0), runs on to the
// store's head: every change numbered up to head_seq must then be claimed, also those newer
// than every record (a node whose files were all removed took the records of the newest
// changes with it); head_seq is the head read before the records were, so that a change
// committed meanwhile, whose record may not be on disk yet, is not required.
CrossCheckResult CrossCheck(const std::vector<RecordClaims>& records,
                            const std::vector<storage::Change>& changes, bool complete,
                            int64_t span_floor_ms = INT64_MIN, int64_t head_seq = -1);

}  // namespace arcana::audit
