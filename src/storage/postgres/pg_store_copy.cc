#include "storage/store_copy.h"

#include <pqxx/pqxx>
#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "storage/parameter_codec.h"
#include "storage/postgres/pg_database.h"

namespace arcana::storage {

namespace {

// Rows per INSERT: up to kCopyBatchRows, within PostgreSQL's 65,535 parameters per
// statement, and a batch is sent early once its values pass kCopyBatchBytes (secret versions
// are up to 64 KiB each: memory stays bounded).
constexpr size_t kCopyBatchRows = 500;
constexpr size_t kCopyMaxParams = 30000;
constexpr size_t kCopyBatchBytes = size_t{8} << 20;

// SQLite columns whose PostgreSQL column has another name.
const std::map<std::pair<std::string, std::string>, std::string>& Renamed() {
  static const std::map<std::pair<std::string, std::string>, std::string> renamed = {
      {{"secrets", "changed_ms"}, "last_changed_ms"},
      {{"secrets", "accessed_ms"}, "last_accessed_ms"},
  };
  return renamed;
}

// Tables the copy leaves out: the store's own bookkeeping (see store_copy.h).
bool Skipped(const std::string& table) {
  return table == "meta" || table == "changes" || table.starts_with("sqlite_");
}

// One-row tables a new store's migrations fill (when tracking of last uses began): the
// source's row replaces the target's, so the tracking period is the old store's.
bool Seeded(const std::string& table) {
  return table == "kms_key_usage_tracking" || table == "iam_service_access_tracking";
}

// Lease columns released in the copy (the old node's claims mean nothing to the new nodes).
bool IsLeaseColumn(const std::string& table, const std::string& column) {
  return (table == "jobs" || table == "event_deliveries") &&
         (column == "owner" || column == "lease_until_ms");
}

struct TargetColumn {
  std::string type;  // information_schema data_type
  bool required = false;  // NOT NULL, no default, no identity
  bool identity = false;
  bool always = false;  // GENERATED ALWAYS AS IDENTITY
};
using TargetTable = std::map<std::string, TargetColumn>;

Status Drift(const std::string& what) {
  return Status(ErrorCode::kInvalidRequest,
                "the SQLite and PostgreSQL schemas of this build differ (" + what +
                    "); nothing was copied");
}

struct Sqlite {
  sqlite3* db = nullptr;
  ~Sqlite() { sqlite3_close_v2(db); }
};

struct Stmt {
  sqlite3_stmt* st = nullptr;
  ~Stmt() { sqlite3_finalize(st); }
};

Status SqliteError(sqlite3* db, const std::string& what) {
  return Status(ErrorCode::kInternalServiceError,
                what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

Status Prepare(sqlite3* db, const std::string& sql, Stmt* s) {
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s->st, nullptr) != SQLITE_OK) {
    return SqliteError(db, "cannot read the SQLite store");
  }
  return Status::Ok();
}

// Column i of the current row as the text form of the target's type; nullopt for NULL.
Result<std::optional<std::string>> Value(sqlite3_stmt* st, int i, const std::string& type) {
  const int kind = sqlite3_column_type(st, i);
  if (kind == SQLITE_NULL) return std::optional<std::string>();
  if (type == "bytea") {
    const auto* p = static_cast<const char*>(kind == SQLITE_BLOB ? sqlite3_column_blob(st, i)
                                                                 : sqlite3_column_text(st, i));
    const std::string bytes(p == nullptr ? "" : p, static_cast<size_t>(sqlite3_column_bytes(st, i)));
    return pg::Param::Bytes(bytes).value();
  }
  if (type == "boolean") {
    return std::optional<std::string>(sqlite3_column_int64(st, i) != 0 ? "true" : "false");
  }
  if (type == "bigint" || type == "integer") {
    if (kind != SQLITE_INTEGER) return Drift("a non-integer value for an integer column");
    return std::optional<std::string>(std::to_string(sqlite3_column_int64(st, i)));
  }
  if (kind == SQLITE_INTEGER) return std::optional<std::string>(std::to_string(sqlite3_column_int64(st, i)));
  const auto* p = reinterpret_cast<const char*>(kind == SQLITE_BLOB ? sqlite3_column_blob(st, i)
                                                                    : sqlite3_column_text(st, i));
  return std::optional<std::string>(std::string(p == nullptr ? "" : p,
                                                static_cast<size_t>(sqlite3_column_bytes(st, i))));
}

class Copier {
 public:
  Copier(sqlite3* src, pqxx::connection& pg, pqxx::work& tx) : src_(src), pg_(pg), tx_(tx) {}

  Status LoadTargetSchema() {
    auto rows = tx_.exec(
        "SELECT table_name, column_name, data_type, is_nullable, column_default IS NOT NULL, "
        "is_identity, identity_generation FROM information_schema.columns "
        "WHERE table_schema = current_schema()");
    for (const auto& r : rows) {
      TargetColumn c;
      c.type = r[2].as<std::string>();
      c.identity = r[5].as<std::string>() == "YES";
      c.always = !r[6].is_null() && r[6].as<std::string>() == "ALWAYS";
      c.required = r[3].as<std::string>() == "NO" && !r[4].as<bool>() && !c.identity;
      target_[r[0].as<std::string>()][r[1].as<std::string>()] = c;
    }
    return Status::Ok();
  }

  Result<std::vector<std::string>> SourceTables() {
    Stmt s;
    ARCANA_RETURN_IF_ERROR(Prepare(src_, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", &s));
    std::vector<std::string> out;
    while (sqlite3_step(s.st) == SQLITE_ROW) {
      std::string t = reinterpret_cast<const char*>(sqlite3_column_text(s.st, 0));
      if (!Skipped(t)) out.push_back(std::move(t));
    }
    return out;
  }

  Status RequireEmpty(const std::vector<std::string>& tables) {
    for (const auto& t : tables) {
      if (!target_.count(t)) return Drift("PostgreSQL has no table " + t);
      if (Seeded(t)) continue;
      if (tx_.exec("SELECT 1 FROM " + pg_.quote_name(t) + " LIMIT 1").size() != 0) {
        return Status(ErrorCode::kInvalidRequest,
                      "the PostgreSQL store is not empty (table " + t +
                          " has rows): copy into a new, empty database; nothing was copied");
      }
    }
    if (tx_.exec("SELECT 1 FROM meta WHERE key LIKE 'root.%' OR key = 'initialized' LIMIT 1").size() != 0) {
      return Status(ErrorCode::kInvalidRequest,
                    "the PostgreSQL store already has a root of trust: copy into a new, empty "
                    "database; nothing was copied");
    }
    return Status::Ok();
  }

  Result<int64_t> CopyTable(const std::string& table) {
    const TargetTable& target = target_.at(table);
    // Source columns and where each goes.
    Stmt info;
    ARCANA_RETURN_IF_ERROR(Prepare(src_, "SELECT name FROM pragma_table_info(?1)", &info));
    sqlite3_bind_text(info.st, 1, table.c_str(), -1, SQLITE_TRANSIENT);
    std::vector<std::string> source_cols, target_cols;
    while (sqlite3_step(info.st) == SQLITE_ROW) {
      std::string c = reinterpret_cast<const char*>(sqlite3_column_text(info.st, 0));
      auto renamed = Renamed().find({table, c});
      std::string to = renamed != Renamed().end() ? renamed->second : c;
      if (!target.count(to)) return Drift("PostgreSQL's " + table + " has no column " + to);
      source_cols.push_back(c);
      target_cols.push_back(to);
    }
    const bool derive_name = table == "ssm_parameters" && target.count("name") &&
                             std::find(target_cols.begin(), target_cols.end(), "name") == target_cols.end();
    std::set<std::string> filled(target_cols.begin(), target_cols.end());
    if (derive_name) filled.insert("name");
    bool always_identity = false;
    for (const auto& [name, c] : target) {
      if (c.required && !filled.count(name)) {
        return Drift("nothing fills PostgreSQL's " + table + "." + name);
      }
      always_identity = always_identity || (c.always && filled.count(name));
    }
    // INSERT INTO t (a, b, ...) [OVERRIDING SYSTEM VALUE] VALUES ($1, $2, ...), (...), ...:
    // many rows per round trip (one statement per row took about a round trip per row).
    std::string head = "INSERT INTO " + pg_.quote_name(table) + " (";
    for (size_t i = 0; i < target_cols.size(); ++i) head += (i ? ", " : "") + pg_.quote_name(target_cols[i]);
    if (derive_name) head += ", name";
    head += ")" + std::string(always_identity ? " OVERRIDING SYSTEM VALUE" : "") + " VALUES ";
    const size_t per_row = target_cols.size() + (derive_name ? 1 : 0);
    const size_t batch_rows = std::max<size_t>(1, std::min(kCopyBatchRows, kCopyMaxParams / per_row));
    auto insert_sql = [&](size_t rows) {
      std::string sql = head;
      size_t n = 0;
      for (size_t r = 0; r < rows; ++r) {
        sql += r ? ", (" : "(";
        for (size_t c = 0; c < per_row; ++c) sql += (c ? ", $" : "$") + std::to_string(++n);
        sql += ")";
      }
      return sql;
    };
    if (Seeded(table)) tx_.exec("DELETE FROM " + pg_.quote_name(table));
    const std::string full_batch = "copy_" + table;
    bool full_prepared = false;
    std::vector<std::optional<std::string>> params;  // the batch's rows, row after row
    size_t rows_in_batch = 0, bytes_in_batch = 0;
    auto flush = [&]() {
      if (rows_in_batch == 0) return;
      std::vector<const char*> raw;
      raw.reserve(params.size());
      for (const auto& p : params) raw.push_back(p ? p->c_str() : nullptr);
      if (rows_in_batch == batch_rows) {
        if (!full_prepared) pg_.prepare(full_batch, insert_sql(batch_rows));
        full_prepared = true;
        tx_.exec_prepared(full_batch, pqxx::prepare::make_dynamic_params(raw));
      } else {  // the table's last, shorter batch (or one cut short by its bytes)
        const std::string name = full_batch + "_" + std::to_string(rows_in_batch);
        pg_.prepare(name, insert_sql(rows_in_batch));
        tx_.exec_prepared(name, pqxx::prepare::make_dynamic_params(raw));
        pg_.unprepare(name);
      }
      params.clear();
      rows_in_batch = bytes_in_batch = 0;
    };

    std::string select = "SELECT ";
    for (size_t i = 0; i < source_cols.size(); ++i) {
      select += (i ? ", \"" : "\"") + source_cols[i] + "\"";
    }
    select += " FROM \"" + table + "\"";
    Stmt rows;
    ARCANA_RETURN_IF_ERROR(Prepare(src_, select, &rows));
    int64_t copied = 0;
    int meta_col = -1;
    for (size_t i = 0; i < source_cols.size(); ++i)
      if (source_cols[i] == "meta") meta_col = static_cast<int>(i);
    for (;;) {
      int rc = sqlite3_step(rows.st);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return SqliteError(src_, "cannot read " + table);
      const size_t row_start = params.size();
      for (size_t i = 0; i < source_cols.size(); ++i) {
        if (IsLeaseColumn(table, target_cols[i])) {
          // A free lease: jobs' owner NULL, a delivery's owner '' (their stores' forms).
          if (target_cols[i] == "lease_until_ms") {
            params.emplace_back("0");
          } else {
            params.push_back(table == "jobs" ? std::nullopt : std::optional<std::string>(""));
          }
          continue;
        }
        ARCANA_ASSIGN_OR_RETURN(auto v, Value(rows.st, static_cast<int>(i), target.at(target_cols[i]).type));
        bytes_in_batch += v ? v->size() : 0;
        params.push_back(std::move(v));
      }
      if (derive_name) {
        // PostgreSQL's parameter store keeps the parameter's name beside its key.
        if (meta_col < 0 || !params[row_start + static_cast<size_t>(meta_col)]) {
          return Drift("ssm_parameters has no meta");
        }
        ARCANA_ASSIGN_OR_RETURN(auto p, DecodeParameterMetadata(*params[row_start + static_cast<size_t>(meta_col)]));
        params.push_back(p.name);
      }
      ++copied;
      if (++rows_in_batch == batch_rows || bytes_in_batch >= kCopyBatchBytes) flush();
    }
    flush();
    // Identity columns continue after the copied values.
    for (const auto& [name, c] : target) {
      if (!c.identity || !filled.count(name)) continue;
      tx_.exec("SELECT setval(pg_get_serial_sequence(" + tx_.quote(table) + ", " + tx_.quote(name) +
               "), COALESCE((SELECT MAX(" + pg_.quote_name(name) + ") FROM " + pg_.quote_name(table) +
               "), 0) + 1, false)");
    }
    return copied;
  }

  Result<int64_t> CopyMeta() {
    Stmt rows;
    ARCANA_RETURN_IF_ERROR(Prepare(src_, "SELECT key, value FROM meta ORDER BY key", &rows));
    int64_t copied = 0;
    for (;;) {
      int rc = sqlite3_step(rows.st);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return SqliteError(src_, "cannot read meta");
      const std::string key = reinterpret_cast<const char*>(sqlite3_column_text(rows.st, 0));
      if (key == "root.pending") {
        return Status(ErrorCode::kInvalidRequest,
                      "the SQLite store is in the middle of a root rotation: let arcanad finish "
                      "it (arcana operator rotate-root) before copying; nothing was copied");
      }
      // The new store's change sequence starts afresh: it is another stream, with its own id.
      if (key.starts_with("schema:") || key.starts_with("audit.node.") || key == kStoreIdMeta) {
        continue;
      }
      ARCANA_ASSIGN_OR_RETURN(auto v, Value(rows.st, 1, "bytea"));
      tx_.exec("INSERT INTO meta (key, value) VALUES (" + tx_.quote(key) + ", " +
               (v ? tx_.quote(*v) + "::bytea" : std::string("NULL")) +
               ") ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value");
      ++copied;
    }
    return copied;
  }

 private:
  sqlite3* src_;
  pqxx::connection& pg_;
  pqxx::work& tx_;
  std::map<std::string, TargetTable> target_;
};

}  // namespace

Result<StoreCopyReport> CopySqliteToPostgres(const std::string& sqlite_db,
                                             const std::string& pg_url) {
  Sqlite src;
  if (sqlite3_open_v2(sqlite_db.c_str(), &src.db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    return SqliteError(src.db, "cannot open " + sqlite_db);
  }
  // One read transaction: every table from the same snapshot.
  if (sqlite3_exec(src.db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqliteError(src.db, "cannot read " + sqlite_db);
  }
  try {
    pqxx::connection pg(pg_url);
    pqxx::work tx(pg);
    Copier copier(src.db, pg, tx);
    ARCANA_RETURN_IF_ERROR(copier.LoadTargetSchema());
    ARCANA_ASSIGN_OR_RETURN(auto tables, copier.SourceTables());
    ARCANA_RETURN_IF_ERROR(copier.RequireEmpty(tables));
    StoreCopyReport report;
    ARCANA_ASSIGN_OR_RETURN(int64_t meta, copier.CopyMeta());
    report.rows.emplace_back("meta", meta);
    for (const auto& t : tables) {
      ARCANA_ASSIGN_OR_RETURN(int64_t n, copier.CopyTable(t));
      report.rows.emplace_back(t, n);
    }
    tx.commit();
    return report;
  } catch (const std::exception& e) {
    // libpq's text may name the host and user, never the password.
    return Status(ErrorCode::kServiceUnavailable,
                  std::string("copying into PostgreSQL failed, nothing was copied: ") + e.what());
  }
}

}  // namespace arcana::storage
