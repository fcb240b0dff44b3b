// Backend conformance of the root rewrap's walk (storage/root_store.h), the SAME cases on
// SQLite and on PostgreSQL (a throwaway cluster, pg_test_cluster.h): every blob of tables
// several pages long is offered once and replaced, and the walk holds a page of blobs at a
// time, not a table (a root rotation or a recovery at unseal must not need the store's size
// in memory). The memory is measured by this program's operator new (below): the blobs a
// backend reads into std::strings are counted, wherever they are allocated.
#include <gtest/gtest.h>
#include <malloc.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <new>
#include <set>
#include <tuple>

#include "conformance_stores.h"
#include "domain/kms/rules.h"
#include "pg_test_cluster.h"
#include "storage/stores.h"

namespace {

// Bytes allocated with operator new and not yet freed, while metering, and their peak.
std::atomic<bool> g_metering{false};
std::atomic<int64_t> g_live{0};
std::atomic<int64_t> g_peak{0};

}  // namespace

void* operator new(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  if (g_metering.load(std::memory_order_relaxed)) {
    const auto size = static_cast<int64_t>(malloc_usable_size(p));
    const int64_t live = g_live.fetch_add(size, std::memory_order_relaxed) + size;
    int64_t peak = g_peak.load(std::memory_order_relaxed);
    while (live > peak && !g_peak.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
    }
  }
  return p;
}
void operator delete(void* p) noexcept {
  if (p != nullptr && g_metering.load(std::memory_order_relaxed)) {
    g_live.fetch_sub(static_cast<int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  }
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }

namespace arcana::storage::root_rewrap_conformance {
namespace {

const Scope kHere{"111122223333", "us-east-1"};

// The highest net growth of operator new's live bytes while it exists.
class HeapMeter {
 public:
  HeapMeter() {
    g_live.store(0);
    g_peak.store(0);
    g_metering.store(true);
  }
  ~HeapMeter() { g_metering.store(false); }
  int64_t peak() const { return g_peak.load(); }
};

class RootRewrapConformance : public testing::StoresCase {
 protected:
  // `secrets` secrets of `versions` versions each, every value `size` bytes.
  void PutSecretValues(int secrets, int versions, size_t size) {
    std::vector<SecretWrite> batch;
    for (int i = 0; i < secrets; ++i) {
      SecretWrite w;
      w.secret.account = kHere.account;
      w.secret.region = kHere.region;
      w.secret.name = "s" + std::to_string(i);
      w.secret.arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:" + w.secret.name;
      w.change = "CreateSecret";
      for (int v = 0; v < versions; ++v) {
        domain::sm::SecretVersion sv;
        sv.version_id = "v" + std::to_string(v);
        sv.has_value = true;
        w.secret.versions.push_back(sv);
        w.new_values.push_back({sv.version_id, std::string(size, static_cast<char>('a' + v))});
      }
      batch.push_back(std::move(w));
      if (batch.size() == 100 || i == secrets - 1) {
        Status st = stores_->secrets().Commit(batch, {});
        ASSERT_TRUE(st.ok()) << st.message();
        batch.clear();
      }
    }
  }

};

// Tables longer than a page (whatever a backend's page size up to 500), with page
// boundaries inside one secret's versions and one key's materials: each blob once.
TEST_P(RootRewrapConformance, EveryBlobOfEveryPageIsOfferedOnceAndReplaced) {
  PutSecretValues(/*secrets=*/400, /*versions=*/3, /*size=*/16);
  for (int k = 0; k < 2; ++k) {
    domain::kms::Key key;
    key.account = kHere.account;
    key.region = kHere.region;
    key.key_id = "key-" + std::to_string(k);
    key.arn = domain::kms::KeyArn(kHere.region, kHere.account, key.key_id);
    key.key_usage = "ENCRYPT_DECRYPT";
    key.key_spec = "SYMMETRIC_DEFAULT";
    std::vector<KeyMaterialRecord> materials;
    for (int m = 0; m < 350; ++m) {
      const std::string id = "m" + std::to_string(m);
      key.materials.push_back({id, 1000, ""});
      materials.push_back({key.key_id, id, KeyMaterialAad(key.arn, id), "w-" + id});
    }
    Status st = stores_->kms().PutKmsKey(key, materials, "CreateKey");
    ASSERT_TRUE(st.ok()) << st.message();
  }
  for (int i = 0; i < 510; ++i) {
    char id[32];
    std::snprintf(id, sizeof(id), "AKID%05d", i);
    Status st = stores_->access_keys().PutAccessKey({id, "ak", kHere.account, "p", 1});
    ASSERT_TRUE(st.ok()) << st.message();
  }

  using Kind = RootWrappedBlob::Kind;
  std::set<std::tuple<Kind, std::string, std::string>> seen;
  size_t repeats = 0;
  auto n = stores_->root().RewrapRootBlobs(
      {},
      [&](const RootWrappedBlob& b) -> Result<std::optional<std::string>> {
        if (!seen.emplace(b.kind, b.id, b.sub).second) ++repeats;
        return std::optional<std::string>("new:" + b.blob);
      },
      {}, {});
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(repeats, 0u);
  std::map<Kind, size_t> per_kind;
  for (const auto& [kind, id, sub] : seen) ++per_kind[kind];
  EXPECT_EQ(per_kind[Kind::kSecretValue], 1200u);
  EXPECT_EQ(per_kind[Kind::kKmsKeyMaterial], 700u);
  EXPECT_EQ(per_kind[Kind::kAccessKeySecret], 510u);
  EXPECT_EQ(*n, 1200u + 700u + 510u);
  const std::string arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:s";
  EXPECT_EQ(**stores_->secrets().GetSealedValue(arn + "399", "v2"), "new:" + std::string(16, 'c'));
  EXPECT_EQ((*stores_->kms().GetKeyMaterial("key-1", "m349"))->wrapped, "new:w-m349");
  EXPECT_EQ((*stores_->access_keys().GetAccessKey("AKID00509"))->sealed_secret, "new:ak");
}

// An IAM entity's secret (a virtual MFA device's seed) is walked with the access keys, bound
// to its id, account and "iam-entity:" + kind, replaced in place, and deleted with its entity.
TEST_P(RootRewrapConformance, EntitySecretsAreRewrappedAndDeletedWithTheirEntity) {
  IamEntity device{kHere.account, "mfa-device", "phone", "arn:aws:iam::111122223333:mfa/phone",
                   "/", "{}", 1, 0};
  EntityWrite put{EntityWrite::Op::kPut, device};
  put.sealed_secret = "seed-v1";
  Status st = stores_->identities().WriteEntities({put}, "CreateVirtualMFADevice");
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(**stores_->identities().GetEntitySecret(device.id), "seed-v1");

  std::vector<RootWrappedBlob> offered;
  auto n = stores_->root().RewrapRootBlobs(
      {},
      [&](const RootWrappedBlob& b) -> Result<std::optional<std::string>> {
        offered.push_back(b);
        return std::optional<std::string>("new:" + b.blob);
      },
      {}, {});
  ASSERT_TRUE(n.ok()) << n.status().message();
  ASSERT_EQ(offered.size(), 1u);
  EXPECT_EQ(offered[0].kind, RootWrappedBlob::Kind::kAccessKeySecret);
  EXPECT_EQ(offered[0].id, device.id);
  EXPECT_EQ(offered[0].account, kHere.account);
  EXPECT_EQ(offered[0].principal, "iam-entity:mfa-device");
  EXPECT_EQ(**stores_->identities().GetEntitySecret(device.id), "new:seed-v1");

  // A later write without a secret keeps it; the delete removes it.
  device.revision = 1;
  st = stores_->identities().WriteEntities({{EntityWrite::Op::kPut, device}}, "TagMFADevice");
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(**stores_->identities().GetEntitySecret(device.id), "new:seed-v1");
  device.revision = 2;
  st = stores_->identities().WriteEntities({{EntityWrite::Op::kDelete, device}},
                                           "DeleteVirtualMFADevice");
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_FALSE(*stores_->identities().GetEntitySecret(device.id));
}

// 3000 values of 4 KiB (12 MiB): the walk holds at most a page of them (500: 2 MiB) at once.
TEST_P(RootRewrapConformance, TheWalkHoldsAPageOfBlobsNotATable) {
  constexpr size_t kSize = 4096;
  PutSecretValues(/*secrets=*/1000, /*versions=*/3, kSize);
  size_t offered = 0;
  int64_t peak = 0;
  {
    HeapMeter meter;
    auto n = stores_->root().RewrapRootBlobs(
        {},
        [&](const RootWrappedBlob&) -> Result<std::optional<std::string>> {
          ++offered;
          return std::optional<std::string>();  // left as it is
        },
        {}, {});
    peak = meter.peak();
    ASSERT_TRUE(n.ok()) << n.status().message();
  }
  EXPECT_EQ(offered, 3000u);
  EXPECT_LT(peak, static_cast<int64_t>(3000 * kSize / 3))
      << "the rewrap held " << peak / 1024 << " KiB at once";
}

INSTANTIATE_TEST_SUITE_P(Backends, RootRewrapConformance, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace arcana::storage::root_rewrap_conformance
