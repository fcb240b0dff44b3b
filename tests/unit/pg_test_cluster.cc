#include "pg_test_cluster.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <pqxx/pqxx>
#include <sstream>

namespace arcana::testing {

namespace {

constexpr const char* kDefaultBin = "/usr/lib/postgresql/15/bin";

// A port nothing listens on right now (the kernel's pick for an ephemeral bind).
int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
}

std::mutex g_mu;
std::unique_ptr<PgTestCluster> g_cluster;
Status g_start_failure;  // not OK once a start failed: later callers get the same error

// Stops the shared cluster when the test program ends.
class ClusterEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    std::lock_guard<std::mutex> l(g_mu);
    g_cluster.reset();
  }
};
[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new ClusterEnvironment);

}  // namespace

Result<PgTestCluster*> PgTestCluster::Shared() {
  std::lock_guard<std::mutex> l(g_mu);
  if (!g_start_failure.ok()) return g_start_failure;
  if (!g_cluster) {
    std::unique_ptr<PgTestCluster> c(new PgTestCluster());
    Status st = c->Init();
    if (!st.ok()) {
      g_start_failure = st;
      return st;
    }
    g_cluster = std::move(c);
  }
  return g_cluster.get();
}

Status PgTestCluster::Run(const std::string& command, const std::string& what) {
  int rc = std::system(command.c_str());
  if (rc != 0) {
    return Status(ErrorCode::kInternalFailure,
                  what + " failed (" + std::to_string(rc) + "): " + command);
  }
  return Status::Ok();
}

Status PgTestCluster::Init() {
  const char* env_bin = std::getenv("ARCANA_PG_BIN");
  bin_ = env_bin ? env_bin : kDefaultBin;
  if (access((bin_ + "/initdb").c_str(), X_OK) != 0 ||
      access((bin_ + "/pg_ctl").c_str(), X_OK) != 0) {
    return Status(ErrorCode::kInternalFailure,
                  "PostgreSQL 15 server binaries not found in " + bin_ +
                      " (initdb, pg_ctl): install Debian's `postgresql` package "
                      "(scripts/install-deps.sh, run by `make test`), or set ARCANA_PG_BIN");
  }
  char tmpl[] = "/tmp/arcana-pgtest-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return Status(ErrorCode::kInternalFailure, "mkdtemp failed");
  dir_ = tmpl;
  if (geteuid() == 0) {
    // initdb refuses to run as root: the cluster belongs to `nobody`.
    const passwd* pw = getpwnam("nobody");
    if (pw == nullptr) return Status(ErrorCode::kInternalFailure, "no user `nobody`");
    if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return Status(ErrorCode::kInternalFailure, "chown " + dir_ + " failed");
    }
    as_ = "setpriv --reuid=" + std::to_string(pw->pw_uid) +
          " --regid=" + std::to_string(pw->pw_gid) + " --clear-groups -- ";
  }
  Status st = Run(as_ + bin_ + "/initdb -D " + dir_ + "/data -U arcana -A trust -E UTF8 " +
                      "--no-sync --no-instructions > " + dir_ + "/initdb.log 2>&1",
                  "initdb");
  if (!st.ok()) return Status(st.code(), st.message() + "\n" + Tail(dir_ + "/initdb.log"));
  return Start();
}

Status PgTestCluster::Start() {
  if (running_) return Status::Ok();
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (port_ == 0 || attempt > 0) port_ = FreeLoopbackPort();
    const std::string opts = "-p " + std::to_string(port_) + " -k " + dir_ +
                             " -c listen_addresses=127.0.0.1 -c fsync=off"
                             " -c full_page_writes=off -c max_connections=300"
                             " -c shared_buffers=32MB";
    Status st = Run(as_ + bin_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ +
                        "/server.log -w -t 60 -o '" + opts + "' start > /dev/null 2>&1",
                    "pg_ctl start");
    if (st.ok()) {
      running_ = true;
      return Status::Ok();
    }
    if (attempt == 2) return Status(st.code(), st.message() + "\n" + Tail(dir_ + "/server.log"));
  }
  return Status(ErrorCode::kInternalFailure, "unreachable");
}

Status PgTestCluster::Stop() {
  if (!running_) return Status::Ok();
  running_ = false;
  return Run(as_ + bin_ + "/pg_ctl -D " + dir_ + "/data -m fast -w -t 60 stop > /dev/null 2>&1",
             "pg_ctl stop");
}

PgTestCluster::~PgTestCluster() {
  (void)Stop();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

Result<std::string> PgTestCluster::NewDatabase() {
  std::lock_guard<std::mutex> l(mu_);
  const std::string base = "postgresql://arcana@127.0.0.1:" + std::to_string(port_) + "/";
  const std::string name = "t" + std::to_string(++next_db_);
  try {
    pqxx::connection c(base + "postgres");
    pqxx::nontransaction t(c);
    t.exec("CREATE DATABASE " + name + " TEMPLATE template0");
  } catch (const std::exception& e) {
    return Status(ErrorCode::kInternalFailure, std::string("CREATE DATABASE: ") + e.what());
  }
  return base + name;
}

}  // namespace arcana::testing
