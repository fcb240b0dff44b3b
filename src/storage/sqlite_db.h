// SQLite plumbing shared by every part of the embedded store: pooled connections with
// cached prepared statements, bind/column helpers, and per-component schema migrations.
// Each store component (secrets, kms, ssm, ...) keeps its own numbered migration list, so
// features can add tables independently. Applied versions are recorded in the `meta`
// table as "schema:<component>". Never edit a shipped migration: append a new one.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace arcana::storage::sqlite {

Status DbError(sqlite3* db, const char* what);

// One connection and its prepared statements. Used by one thread at a time.
class Conn {
 public:
  explicit Conn(sqlite3* db) : db_(db) {}
  ~Conn();
  sqlite3* db() { return db_; }
  // A reset, cached statement for sql (a string literal: keyed by address); nullptr on error.
  sqlite3_stmt* Prepare(const char* sql);
  Status Exec(const char* sql);

 private:
  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> stmts_;
};

void BindText(sqlite3_stmt* st, int i, const std::string& s);
void BindBlob(sqlite3_stmt* st, int i, const std::string& s);
std::string ColText(sqlite3_stmt* st, int i);

class Pool;

// Borrows a pooled connection for the duration of one call.
class Lease {
 public:
  Lease(Pool* pool, std::unique_ptr<Conn> c) : pool_(pool), c_(std::move(c)) {}
  Lease(Lease&&) = default;
  ~Lease();
  Conn* operator->() { return c_.get(); }
  Conn& operator*() { return *c_; }

 private:
  Pool* pool_;
  std::unique_ptr<Conn> c_;
};

class Pool {
 public:
  explicit Pool(std::string path) : path_(std::move(path)) {}
  Result<Lease> Acquire();
  void Release(std::unique_ptr<Conn> c);

  // Bumped after every commit through any connection of this pool (SQLite's WAL hook runs
  // once the commit is durable and visible). A cache entry filled while the generation
  // was G is exact for as long as the generation is still G: arcanad is the only writer
  // of its data dir (it holds the data dir's lock file), so no commit escapes the count.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  std::atomic<uint64_t> generation_{0};
  std::string path_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Conn>> free_;
};

struct Migrations {
  const char* component;           // "secrets", "kms", "ssm"
  const char* const* steps;        // steps[i] takes the component from version i to i+1
  size_t count;
};

// Applies the pending steps of every component in one exclusive transaction.
Status Migrate(Conn& c, const std::vector<Migrations>& components);

}  // namespace arcana::storage::sqlite

// `ARCANA_LEASE(c, pool)` binds `c` to a pooled connection or returns its error.
#define ARCANA_LEASE(name, pool)                      \
  auto name##_res = (pool)->Acquire();                \
  if (!name##_res.ok()) return name##_res.status();   \
  ::arcana::storage::sqlite::Lease name = std::move(name##_res).value()
