// The store conformance programs' one way to open a backend: through OpenStores, as arcanad
// opens it (the node's caches in front of the backend), so every case also checks that the
// caches stay exact. backend: "sqlite" (where = a data dir) or "postgresql" (where = a URL).
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "common/status.h"
#include "pg_test_cluster.h"
#include "storage/stores.h"

namespace arcana::testing {

inline Result<std::unique_ptr<storage::Stores>> OpenStoresAt(const std::string& backend,
                                                             const std::string& where) {
  storage::StoreLocation loc;
  if (backend == "sqlite") {
    loc.kind = storage::StoreLocation::Kind::kSqlite;
    loc.sqlite_dir = where;
  } else {
    loc.kind = storage::StoreLocation::Kind::kPostgres;
    loc.pg_url = where;
  }
  return storage::OpenStores(loc);
}

// A fresh place for a case's store: a new temporary directory ("sqlite") or a new database
// of the shared throwaway PostgreSQL cluster (pg_test_cluster.h). Errors: the cluster's.
inline Result<std::string> NewStoreLocation(const std::string& backend) {
  if (backend == "sqlite") {
    char tmpl[] = "/tmp/arcana-conformance-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return Status(ErrorCode::kInternalFailure, "mkdtemp");
    return std::string(tmpl);
  }
  ARCANA_ASSIGN_OR_RETURN(auto* cluster, PgTestCluster::Shared());
  return cluster->NewDatabase();
}

// A case run on each backend (the parameter: "sqlite" or "postgresql") with a store of its
// own, opened at SetUp (before_open_ms_: the wall clock just before) and removed at TearDown.
class StoresCase : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    before_open_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
    auto where = NewStoreLocation(GetParam());
    ASSERT_TRUE(where.ok()) << where.status().message();
    where_ = *where;
    stores_ = Open();
    ASSERT_NE(stores_, nullptr);
  }
  void TearDown() override {
    stores_.reset();
    if (IsSqlite() && !where_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(where_, ec);
    }
  }
  bool IsSqlite() const { return std::string(GetParam()) == "sqlite"; }
  // The store again (SQLite: reopened; PostgreSQL: as another node would open it).
  std::unique_ptr<storage::Stores> Open() {
    auto s = OpenStoresAt(GetParam(), where_);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(*s) : nullptr;
  }

  int64_t before_open_ms_ = 0;
  std::string where_;
  std::unique_ptr<storage::Stores> stores_;
};

// An event connection (kind kEventConnectionKind) or API destination row of account
// 111122223333 in us-east-1, created and modified at 1, its document "{}".
inline storage::EventConnectionRecord EventConnectionRow(const std::string& kind,
                                                         const std::string& name,
                                                         const std::string& uuid) {
  storage::EventConnectionRecord r;
  r.kind = kind;
  r.name = name;
  r.arn = "arn:aws:events:us-east-1:111122223333:" + kind + "/" + name + "/" + uuid;
  r.state = kind == storage::kEventConnectionKind ? "AUTHORIZED" : "";
  r.document = "{}";
  r.created_ms = r.modified_ms = 1;
  return r;
}

}  // namespace arcana::testing
