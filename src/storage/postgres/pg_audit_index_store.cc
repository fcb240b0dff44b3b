#include "storage/postgres/pg_audit_index_store.h"

#include <algorithm>

#include "storage/store_types.h"

namespace arcana::storage::pg {

namespace {

// Node names compare bytewise (COLLATE "C"), as the file search and NextToken order them.
// audit_index_keys' primary key serves the scan of one attribute's value newest first;
// the time indexes serve the trim.
const char* const kAuditIndexV1 = R"sql(
CREATE TABLE audit_index_records (
  node    TEXT COLLATE "C" NOT NULL,
  seq     BIGINT NOT NULL,
  time_ms BIGINT NOT NULL,
  account TEXT COLLATE "C" NOT NULL,
  region  TEXT COLLATE "C" NOT NULL,
  line    TEXT NOT NULL,
  PRIMARY KEY (node, seq)
);
CREATE INDEX audit_index_records_newest
  ON audit_index_records (account, region, time_ms DESC, node DESC, seq DESC);
CREATE INDEX audit_index_records_age ON audit_index_records (time_ms);
CREATE TABLE audit_index_keys (
  account   TEXT COLLATE "C" NOT NULL,
  region    TEXT COLLATE "C" NOT NULL,
  attribute TEXT COLLATE "C" NOT NULL,
  value     TEXT COLLATE "C" NOT NULL,
  time_ms   BIGINT NOT NULL,
  node      TEXT COLLATE "C" NOT NULL,
  seq       BIGINT NOT NULL,
  PRIMARY KEY (account, region, attribute, value, time_ms, node, seq)
);
CREATE INDEX audit_index_keys_age ON audit_index_keys (time_ms);
CREATE TABLE audit_index_nodes (
  node     TEXT COLLATE "C" PRIMARY KEY,
  last_seq BIGINT NOT NULL
);
)sql";

// "a = $n" for each non-empty filter, the time range and the cursor, over the columns of
// `t` (records or keys: both carry account, region, time_ms, node and seq).
std::string Where(const AuditIndexQuery& q, const char* t, Params& params) {
  std::string w;
  auto add = [&](const std::string& clause) { w += (w.empty() ? " WHERE " : " AND ") + clause; };
  auto next = [&] { return "$" + std::to_string(params.size()); };
  if (!q.account.empty()) {
    params.emplace_back(q.account);
    add(std::string(t) + ".account = " + next());
  }
  if (!q.region.empty()) {
    params.emplace_back(q.region);
    add(std::string(t) + ".region = " + next());
  }
  if (!q.attribute.empty()) {
    params.emplace_back(q.attribute);
    add("k.attribute = " + next());
    params.emplace_back(q.value);
    add("k.value = " + next());
  }
  params.emplace_back(q.start_ms);
  add(std::string(t) + ".time_ms >= " + next() + "::bigint");
  params.emplace_back(q.end_ms);
  add(std::string(t) + ".time_ms <= " + next() + "::bigint");
  if (q.has_cursor) {
    params.emplace_back(q.cursor_ms);
    const std::string ms = next();
    params.emplace_back(q.cursor_node);
    const std::string node = next();
    params.emplace_back(std::to_string(q.cursor_seq));
    const std::string seq = next();
    add("(" + std::string(t) + ".time_ms, " + t + ".node, " + t + ".seq) < (" + ms +
        "::bigint, " + node + "::text COLLATE \"C\", " + seq + "::bigint)");
  }
  return w;
}

}  // namespace

Migrations PgAuditIndexStore::Schema() { return {"audit_index", {kAuditIndexV1}}; }

Status PgAuditIndexStore::AddAuditRecords(const std::vector<IndexedAuditRecord>& records) {
  if (records.empty()) return Status::Ok();
  // Column arrays, one statement per table: a batch costs three round trips, not one per row.
  std::vector<std::string> node, seq, time, account, region, line;
  std::vector<std::string> k_account, k_region, k_attribute, k_value, k_time, k_node, k_seq;
  std::vector<std::pair<std::string, uint64_t>> last;  // per node, the highest sequence
  for (const auto& r : records) {
    node.push_back(r.node);
    seq.push_back(std::to_string(r.sequence));
    time.push_back(std::to_string(r.time_ms));
    account.push_back(r.account);
    region.push_back(r.region);
    line.push_back(r.line);
    for (const auto& k : r.keys) {
      k_account.push_back(r.account);
      k_region.push_back(r.region);
      k_attribute.push_back(k.attribute);
      k_value.push_back(k.value);
      k_time.push_back(std::to_string(r.time_ms));
      k_node.push_back(r.node);
      k_seq.push_back(std::to_string(r.sequence));
    }
    auto it = std::find_if(last.begin(), last.end(), [&](const auto& p) { return p.first == r.node; });
    if (it == last.end()) last.emplace_back(r.node, r.sequence);
    else it->second = std::max(it->second, r.sequence);
  }
  // No change row: the index mirrors records, it changes nothing a cache holds.
  return db_.Write("add audit records", [&](Tx& tx) -> Status {
    tx.Exec(
        "INSERT INTO audit_index_records (node, seq, time_ms, account, region, line) "
        "SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], "
        "$6::text[]) ON CONFLICT (node, seq) DO NOTHING",
        {Param::TextArray(node), Param::TextArray(seq), Param::TextArray(time),
         Param::TextArray(account), Param::TextArray(region), Param::TextArray(line)});
    if (!k_node.empty()) {
      tx.Exec(
          "INSERT INTO audit_index_keys (account, region, attribute, value, time_ms, node, seq) "
          "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], "
          "$6::text[], $7::bigint[]) ON CONFLICT DO NOTHING",
          {Param::TextArray(k_account), Param::TextArray(k_region),
           Param::TextArray(k_attribute), Param::TextArray(k_value), Param::TextArray(k_time),
           Param::TextArray(k_node), Param::TextArray(k_seq)});
    }
    for (const auto& [n, s] : last) {
      tx.Exec(
          "INSERT INTO audit_index_nodes (node, last_seq) VALUES ($1, $2::bigint) "
          "ON CONFLICT (node) DO UPDATE SET last_seq = "
          "GREATEST(audit_index_nodes.last_seq, EXCLUDED.last_seq)",
          {n, std::to_string(s)});
    }
    return Status::Ok();
  });
}

Result<uint64_t> PgAuditIndexStore::LastAuditSequence(const std::string& node) {
  uint64_t out = 0;
  ARCANA_RETURN_IF_ERROR(db_.Read("read audit index position", [&](Tx& tx) {
    auto r = tx.Exec("SELECT last_seq FROM audit_index_nodes WHERE node = $1", {node});
    out = r.empty() ? 0 : static_cast<uint64_t>(Int(r[0][0]));
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<AuditIndexRow>> PgAuditIndexStore::SearchAuditRecords(
    const AuditIndexQuery& q, size_t limit) {
  Params params;
  std::string sql;
  if (q.attribute.empty()) {
    sql = "SELECT r.node, r.seq, r.time_ms, r.line FROM audit_index_records r" +
          Where(q, "r", params) + " ORDER BY r.time_ms DESC, r.node DESC, r.seq DESC";
  } else {
    // A key row outlives its record for a moment during a trim: the join drops it.
    sql = "SELECT r.node, r.seq, r.time_ms, r.line FROM audit_index_keys k "
          "JOIN audit_index_records r ON r.node = k.node AND r.seq = k.seq" +
          Where(q, "k", params) + " ORDER BY k.time_ms DESC, k.node DESC, k.seq DESC";
  }
  params.emplace_back(std::min(limit, kMaxListLimit));
  sql += " LIMIT $" + std::to_string(params.size()) + "::bigint";
  std::vector<AuditIndexRow> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("search audit records", [&](Tx& tx) {
    out.clear();
    for (const auto& row : tx.Exec(sql, params)) {
      out.push_back(AuditIndexRow{Text(row[0]), static_cast<uint64_t>(Int(row[1])),
                                  Int(row[2]), Text(row[3])});
    }
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<AuditIndexNode>> PgAuditIndexStore::ListAuditNodes() {
  std::vector<AuditIndexNode> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("list audit index nodes", [&](Tx& tx) {
    out.clear();
    for (const auto& row : tx.Exec("SELECT node, last_seq FROM audit_index_nodes ORDER BY node")) {
      out.push_back(AuditIndexNode{Text(row[0]), static_cast<uint64_t>(Int(row[1]))});
    }
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<AuditIndexRow>> PgAuditIndexStore::ReadAuditRecordsAfter(
    const std::string& node, uint64_t after, size_t limit) {
  std::vector<AuditIndexRow> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read audit records after", [&](Tx& tx) {
    out.clear();
    // The primary key (node, seq) serves this range.
    for (const auto& row : tx.Exec(
             "SELECT node, seq, time_ms, line FROM audit_index_records "
             "WHERE node = $1 AND seq > $2::bigint ORDER BY seq LIMIT $3::bigint",
             {node, std::to_string(after), std::min(limit, kMaxListLimit)})) {
      out.push_back(AuditIndexRow{Text(row[0]), static_cast<uint64_t>(Int(row[1])),
                                  Int(row[2]), Text(row[3])});
    }
    return Status::Ok();
  }));
  return out;
}

Result<bool> PgAuditIndexStore::TrimAuditRecords(int64_t before_ms, size_t max) {
  bool more = false;
  ARCANA_RETURN_IF_ERROR(db_.Write("trim audit records", [&](Tx& tx) -> Status {
    more = false;
    for (const char* table : {"audit_index_records", "audit_index_keys"}) {
      auto r = tx.Exec(std::string("DELETE FROM ") + table + " WHERE ctid IN (SELECT ctid FROM " +
                           table + " WHERE time_ms < $1::bigint LIMIT $2::bigint)",
                       {before_ms, max});
      more = more || r.affected_rows() >= max;
    }
    return Status::Ok();
  }));
  return more;
}

}  // namespace arcana::storage::pg
