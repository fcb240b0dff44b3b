// A throwaway PostgreSQL 15 cluster for tests: Debian's initdb + pg_ctl in a temp dir, on a
// free loopback port, run as an unprivileged user (`nobody` when the tests run as root, since
// initdb refuses root), trust authentication, fsync off (tests do not pull the plug). Started
// on first use and stopped (and its directory removed) when the test program ends, by a
// GoogleTest environment. No Docker, no shared server: each test program owns its cluster.
// When the PostgreSQL binaries are absent, Shared() fails with a message saying how to get
// them (`make test` installs them): tests using it fail, never silently pass.
// Thread-safety: Shared() and NewDatabase() may be called from any thread.
#pragma once

#include <mutex>
#include <string>

#include "common/status.h"

namespace arcana::testing {

class PgTestCluster {
 public:
  // The process-wide cluster, started (initdb, pg_ctl start) on the first call.
  static Result<PgTestCluster*> Shared();
  ~PgTestCluster();

  // Creates a new, empty database and returns its libpq URI (postgresql://...).
  Result<std::string> NewDatabase();
  // Stops / restarts the server (the data stays): outage tests.
  Status Stop();
  Status Start();
  int port() const { return port_; }
  // The server's log (what auto_explain writes plans to).
  std::string log_path() const { return dir_ + "/server.log"; }

 private:
  PgTestCluster() = default;
  Status Init();
  Status Run(const std::string& command, const std::string& what);

  std::mutex mu_;
  std::string bin_;   // directory of initdb, pg_ctl
  std::string dir_;   // temp dir: data/, logs, socket
  std::string as_;    // command prefix dropping root privileges, or ""
  int port_ = 0;
  int next_db_ = 0;
  bool running_ = false;
};

}  // namespace arcana::testing
