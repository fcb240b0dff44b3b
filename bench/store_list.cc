// Bounded reads at scale: how long one page of each List takes with N items in one scope,
// on either backend, and how much memory the process holds meanwhile. A benchmark, not a
// test: `make test` never runs it. Usage (see bench/README.md):
//   store_list_bench --store sqlite:/tmp/big | postgresql://... [--items 1000000] [--pages 200]
// The first run fills the scope (secrets, parameters, KMS keys) through the store API in
// large transactions; later runs against the same store reuse what is there.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "storage/stores.h"

namespace {

using arcana::storage::Scope;
using Clock = std::chrono::steady_clock;

const Scope kScope{"111122223333", "us-east-1"};

std::string Pad(size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%09zu", i);
  return buf;
}

long RssMiB() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long kb = -1;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "VmRSS:", 6) == 0) kb = std::strtol(line + 6, nullptr, 10);
  }
  std::fclose(f);
  return kb / 1024;
}

[[noreturn]] void Die(const std::string& what, const arcana::Status& s) {
  std::fprintf(stderr, "store_list_bench: %s: %s\n", what.c_str(), s.message().c_str());
  std::exit(1);
}

void FillSecrets(arcana::storage::SecretStore& store, size_t n) {
  auto probe = store.GetSecretByName(kScope, "bench/" + Pad(n - 1));
  if (probe.ok() && probe->has_value()) return;
  const size_t batch = 2000;
  for (size_t start = 0; start < n; start += batch) {
    std::vector<arcana::storage::SecretWrite> writes;
    for (size_t i = start; i < std::min(n, start + batch); ++i) {
      arcana::storage::SecretWrite w;
      auto& s = w.secret;
      s.name = "bench/" + Pad(i);
      s.arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:" + s.name + "-abcdef";
      s.account = kScope.account;
      s.region = kScope.region;
      s.created_ms = 1700000000000 + static_cast<int64_t>(i);
      s.last_changed_ms = s.created_ms;
      s.description = i % 10 == 0 ? "tenth" : "";
      w.change = "BenchFill";
      writes.push_back(std::move(w));
    }
    arcana::Status st = store.Commit(writes, {});
    if (!st.ok()) Die("fill secrets", st);
  }
}

// Runs fill(i) for i in [0, n) on many threads: parameters and keys have no batch write, and
// concurrent writers share commits (group commit), which makes a million rows affordable.
template <typename Fill>
void Parallel(size_t n, Fill fill) {
  constexpr size_t kThreads = 64;
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < n; i += kThreads) fill(i);
    });
  }
  for (auto& th : threads) th.join();
}

void FillParameters(arcana::storage::ParameterStore& store, size_t n) {
  auto probe = store.GetParameter(kScope, "/bench/" + Pad(n - 1));
  if (probe.ok() && probe->has_value()) return;
  Parallel(n, [&](size_t i) {
    arcana::storage::ParameterWrite w;
    auto& p = w.parameter;
    p.account = kScope.account;
    p.region = kScope.region;
    p.name = "/bench/" + Pad(i);
    p.key = p.name;
    arcana::domain::ssm::ParameterVersion v;
    v.version = 1;
    v.type = "String";
    v.tier = "Standard";
    v.modified_ms = 1700000000000;
    p.versions.push_back(v);
    w.new_values.push_back({1, "value"});
    w.change = "BenchFill";
    arcana::Status st = store.CommitParameter(w);
    if (!st.ok() && st.code() != arcana::ErrorCode::kWriteConflict) Die("fill parameters", st);
  });
}

void FillKeys(arcana::storage::KmsStore& store, size_t n) {
  auto probe = store.GetKmsKey(kScope, "00000000-0000-0000-0000-" + Pad(n - 1) + "000");
  if (probe.ok() && probe->has_value()) return;
  Parallel(n, [&](size_t i) {
    arcana::domain::kms::Key k;
    k.account = kScope.account;
    k.region = kScope.region;
    k.key_id = "00000000-0000-0000-0000-" + Pad(i) + "000";
    k.arn = "arn:aws:kms:us-east-1:111122223333:key/" + k.key_id;
    k.key_usage = "ENCRYPT_DECRYPT";
    k.key_spec = "SYMMETRIC_DEFAULT";
    arcana::Status st = store.PutKmsKey(k, {}, "BenchFill");
    if (!st.ok() && st.code() != arcana::ErrorCode::kAlreadyExists) Die("fill keys", st);
  });
}

// Times `pages` page reads, each starting at a random position; prints p50/p99/max in ms.
template <typename ReadPage>
void Measure(const char* what, size_t n, int pages, ReadPage read_page) {
  std::mt19937_64 rng(42);
  std::vector<double> ms;
  size_t rows = 0;
  for (int i = 0; i < pages; ++i) {
    size_t at = rng() % n;
    auto t0 = Clock::now();
    rows += read_page(at);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("%-44s p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms  (%zu rows/page avg)  rss %ld MiB\n",
              what, ms[ms.size() / 2], ms[ms.size() * 99 / 100], ms.back(), rows / pages,
              RssMiB());
}

}  // namespace

int main(int argc, char** argv) {
  std::string url;
  size_t n = 1000000;
  int pages = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--store") url = argv[i + 1];
    else if (flag == "--items") n = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--pages") pages = std::atoi(argv[i + 1]);
  }
  if (url.empty() || n == 0) {
    std::fprintf(stderr, "usage: store_list_bench --store URL [--items N] [--pages P]\n");
    return 2;
  }
  auto where = arcana::storage::ParseStoreLocation(url);
  if (!where.ok()) Die("store", where.status());
  auto stores = arcana::storage::OpenStores(*where);
  if (!stores.ok()) Die("open", stores.status());
  auto& s = **stores;

  auto t0 = Clock::now();
  FillSecrets(s.secrets(), n);
  FillParameters(s.parameters(), n);
  FillKeys(s.kms(), n);
  std::printf("backend %s, %zu secrets / parameters / KMS keys in one scope (filled or found in %.1f s)\n",
              s.backend(), n, std::chrono::duration<double>(Clock::now() - t0).count());

  using arcana::storage::SecretOrder;
  for (auto [order, name] : {std::pair{SecretOrder::kCreated, "created"},
                             std::pair{SecretOrder::kName, "name"},
                             std::pair{SecretOrder::kLastChanged, "last-changed"}}) {
    for (bool desc : {false, true}) {
      std::string label = std::string("ListSecrets page of 100, by ") + name + (desc ? " desc" : "");
      Measure(label.c_str(), n, pages, [&](size_t at) {
        arcana::storage::SecretQuery q;
        q.order = order;
        q.descending = desc;
        q.limit = 100;
        arcana::domain::sm::Secret pos;
        pos.name = "bench/" + Pad(at);
        pos.arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:" + pos.name + "-abcdef";
        pos.created_ms = 1700000000000 + static_cast<int64_t>(at);
        pos.last_changed_ms = pos.created_ms;
        q.after = arcana::storage::SecretStore::PositionOf(pos, order);
        auto page = s.secrets().ListSecrets(kScope, q);
        if (!page.ok()) Die("list secrets", page.status());
        return page->size();
      });
    }
  }
  Measure("ListParameters page of 50 (path prefix)", n, pages, [&](size_t at) {
    auto page = s.parameters().ListParameters(kScope, "/bench/", "/bench/" + Pad(at), 50);
    if (!page.ok()) Die("list parameters", page.status());
    return page->size();
  });
  Measure("ListKmsKeys page of 100", n, pages, [&](size_t at) {
    auto page = s.kms().ListKmsKeys(kScope, "00000000-0000-0000-0000-" + Pad(at) + "000", 100);
    if (!page.ok()) Die("list keys", page.status());
    return page->size();
  });
  Measure("CountParameters", n, pages, [&](size_t) {
    auto c = s.parameters().CountParameters(kScope);
    if (!c.ok()) Die("count", c.status());
    return size_t{1};
  });
  return 0;
}
