// Fuzzes the operator API of the root of trust (seal/operator_api.h): seal status, unseal
// (JSON body, Shamir share text, nonce), seal and rotate-root, authentication by operator
// token or SigV4, over a real SQLite store in a temp dir. Two servers: a Shamir one (starts
// sealed; 2 of 3 shares, which the fuzzer never has) and a key-file one (unsealed). Both
// accept the operator token kToken, which the seeds carry, so the fuzzer also explores the
// authenticated paths (seal, unseal again, rotate-root, rekey). Input: a request in text form,
//   METHOD PATH\n  Name:value\n ... \n  \n  body
// Invariants checked: a request that does not carry the token changes no seal state (the
// Shamir server never unseals, the key-file server is never sealed); every answer is a JSON
// object with a known status.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "auth/access_keys.h"
#include "auth/authenticator.h"
#include "crypto/root_key.h"
#include "net/http_types.h"
#include "seal/operator_api.h"
#include "seal/seal_manager.h"
#include "storage/sqlite/sqlite_stores.h"

namespace {

using namespace arcana;

struct Server {
  std::unique_ptr<storage::Stores> store;
  crypto::RootKey root;
  std::unique_ptr<seal::SealManager> seal;
  std::unique_ptr<auth::Authenticator> authn;
  std::unique_ptr<seal::OperatorApi> api;
};

constexpr const char* kToken = "fuzz-operator-token-0123456789abcdef";
std::filesystem::path g_dir;

void Must(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "operator_api_fuzzer: setup failed: %s\n", what);
    std::abort();
  }
}

std::unique_ptr<Server> MakeServer(const std::string& name, bool shamir) {
  auto s = std::make_unique<Server>();
  std::filesystem::path dir = g_dir / name;
  std::filesystem::create_directories(dir);
  auto store = storage::sqlite::OpenSqliteStores((dir / "arcana.db").string());
  Must(store.ok(), "open store");
  s->store = std::move(store).value();
  if (shamir) {
    crypto::RootKey init_root;
    Must(seal::SealManager::InitShamir(s->store->meta(), s->store->root(), init_root, 3, 2).ok(), "init");
    Must(auth::CreateAccessKey(s->store->access_keys(), init_root, "123456789012",
                               std::string("AKIAFUZZROOT0000001"), std::string("fuzz-secret"))
             .ok(),
         "access key");
  }
  seal::SealOptions o;
  o.type = shamir ? "shamir" : "";
  o.data_dir = dir.string();
  s->seal = std::make_unique<seal::SealManager>(o, s->store->meta(), s->store->root(), s->root);
  Must(s->seal->Start().ok(), "start");
  if (!shamir) {
    Must(auth::CreateAccessKey(s->store->access_keys(), s->root, "123456789012",
                               std::string("AKIAFUZZROOT0000002"), std::string("fuzz-secret"))
             .ok(),
         "access key");
  }
  s->authn = std::make_unique<auth::Authenticator>(s->store->access_keys(), s->root, auth::AuthOptions{});
  s->seal->AddSealListener([a = s->authn.get()] { a->ForgetCredentials(); });
  seal::OperatorOptions oo;
  oo.token = kToken;
  // Limits high enough that the fuzzer reaches the handlers, low enough to run the limiter.
  oo.limits.per_source_burst = 1e6;
  oo.limits.global_burst = 1e6;
  oo.limits.per_source_rate = 1e6;
  oo.limits.global_rate = 1e6;
  s->api = std::make_unique<seal::OperatorApi>(*s->seal, *s->authn, oo);
  return s;
}

Server* g_shamir = nullptr;
Server* g_keyfile = nullptr;

net::HttpRequest ParseText(std::string_view in) {
  net::HttpRequest req;
  size_t nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  size_t sp = line.find(' ');
  req.method = std::string(line.substr(0, sp));
  if (sp != std::string_view::npos) req.target = std::string(line.substr(sp + 1));
  while (!in.empty()) {
    nl = in.find('\n');
    line = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    req.headers.emplace_back(std::string(line.substr(0, colon)),
                             std::string(line.substr(colon + 1)));
  }
  req.body.assign(in);
  req.remote_address = "127.0.0.1";
  return req;
}

void Check(const net::HttpResponse& res) {
  if (res.status < 200 || res.status > 599) __builtin_trap();
  if (res.body.empty() || res.body[0] != '{') __builtin_trap();  // always a JSON object
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char tmpl[] = "/tmp/arcana-fuzz-operator-XXXXXX";
  Must(mkdtemp(tmpl) != nullptr, "mkdtemp");
  g_dir = tmpl;
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(g_dir, ec);
  });
  g_shamir = MakeServer("shamir", true).release();
  g_keyfile = MakeServer("keyfile", false).release();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const bool has_token = in.find(kToken) != std::string_view::npos;
  for (Server* s : {g_shamir, g_keyfile}) {
    const bool sealed = s->root.sealed();
    net::HttpRequest req = ParseText(in);
    net::HttpResponse res;
    if (s->api->Handle(req, res)) Check(res);
    if (!has_token && s->root.sealed() != sealed) {
      __builtin_trap();  // seal state changed without credentials
    }
  }
  if (!g_shamir->root.sealed()) __builtin_trap();  // unsealed without the shares
  return 0;
}
