// A SQLite store in a fresh temporary directory, removed (with everything in it) when the
// fixture goes: for unit tests that need real stores but no PostgreSQL.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "storage/stores.h"

namespace arcana::testing {

class TempStores {
 public:
  TempStores() {
    char tmpl[] = "/tmp/arcana-stores-XXXXXX";
    EXPECT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    storage::StoreLocation loc;
    loc.sqlite_dir = dir_;
    auto s = storage::OpenStores(loc);
    EXPECT_TRUE(s.ok()) << s.status().message();
    stores_ = std::move(*s);
  }
  ~TempStores() {
    stores_.reset();
    std::filesystem::remove_all(dir_);
  }
  TempStores(const TempStores&) = delete;
  TempStores& operator=(const TempStores&) = delete;

  storage::Stores& operator*() { return *stores_; }
  storage::Stores* operator->() { return stores_.get(); }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::unique_ptr<storage::Stores> stores_;
};

}  // namespace arcana::testing
