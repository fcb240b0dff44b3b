// A searchable copy of every node's audit records in a store that several nodes share, so
// that CloudTrail's LookupEvents answers the same on every node of a cluster (each node's
// record files hold only its own records; audit/trail_indexer.h ships them here).
//
// The record files stay the trail of record (chained, signed, what `arcana audit verify`
// checks); this copy is an index for queries, kept for kRetention (LookupEvents covers the
// last 90 days on AWS) and written after the records are durable in their files. Each record
// is keyed by its node and sequence (the node's chain position), so shipping a record again
// (after a restart, or by two shippers) keeps one copy. A record carries the lookup
// attributes it can be found by (audit/lookup_keys.h: attribute names as LookupEvents spells
// them, e.g. "EventName", "ResourceName"); the store matches them exactly and knows nothing
// else of the record's JSON.
//
// Order: newest first, by (time_ms, node, sequence) descending, node names compared
// bytewise, as the file search orders them (audit/trail_query.h), so a NextToken's position
// means the same to either.
// Only a store shared by several nodes has one (Stores::audit_index: PostgreSQL); a SQLite
// store serves one node, whose files are the whole trail.
// Schema: the "audit_index" component's migrations (postgres/pg_audit_index_store.cc).
// Thread-safety: as every store component (store_types.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "common/status.h"

namespace arcana::storage {

struct AuditLookupKey {
  std::string attribute;  // LookupEvents' AttributeKey
  std::string value;
};

struct IndexedAuditRecord {
  std::string node;
  uint64_t sequence = 0;
  int64_t time_ms = 0;      // the record's eventTime
  std::string account;      // recipientAccountId ("" for none)
  std::string region;       // awsRegion ("" for none)
  std::vector<AuditLookupKey> keys;  // distinct
  std::string line;         // the record as its file holds it
};

struct AuditIndexQuery {
  std::string account, region;      // "" = any
  std::string attribute, value;     // attribute "" = every record
  int64_t start_ms = std::numeric_limits<int64_t>::min();  // inclusive
  int64_t end_ms = std::numeric_limits<int64_t>::max();    // inclusive
  // Only records strictly older than this position (time_ms, node, sequence).
  bool has_cursor = false;
  int64_t cursor_ms = 0;
  std::string cursor_node;
  uint64_t cursor_seq = 0;
};

struct AuditIndexRow {
  std::string node;
  uint64_t sequence = 0;
  int64_t time_ms = 0;
  std::string line;
};

struct AuditIndexNode {
  std::string node;
  uint64_t last_sequence = 0;  // LastAuditSequence's
};

class AuditIndexStore {
 public:
  static constexpr std::chrono::hours kRetention{90 * 24};

  virtual ~AuditIndexStore() = default;

  // Adds the records in one transaction; a record already held (same node and sequence) is
  // left as it is.
  virtual Status AddAuditRecords(const std::vector<IndexedAuditRecord>& records) = 0;
  // The highest sequence of the node's records ever added (0: none; a trim does not lower
  // it). Records are shipped in order, so everything up to it was added.
  virtual Result<uint64_t> LastAuditSequence(const std::string& node) = 0;
  // Up to limit (at most kMaxListLimit) matching records, newest first.
  virtual Result<std::vector<AuditIndexRow>> SearchAuditRecords(const AuditIndexQuery& q,
                                                                size_t limit) = 0;
  // Every node that ever shipped a record, with its highest sequence, in node order (bytewise).
  virtual Result<std::vector<AuditIndexNode>> ListAuditNodes() = 0;
  // Up to limit (at most kMaxListLimit) of the node's records with a sequence above `after`,
  // in sequence order: what a follower of the index (`arcana audit tail --follow`) has not
  // seen yet.
  virtual Result<std::vector<AuditIndexRow>> ReadAuditRecordsAfter(const std::string& node,
                                                                   uint64_t after,
                                                                   size_t limit) = 0;
  // Drops records older than before_ms and their keys, at most max rows of each kind per
  // call; true when some older ones may be left (call again).
  virtual Result<bool> TrimAuditRecords(int64_t before_ms, size_t max) = 0;
};

}  // namespace arcana::storage
