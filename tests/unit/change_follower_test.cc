// The change follower and the caches it drives (storage/change_follower.h,
// cached_secret_store.h, cached_kms_store.h), over in-memory fakes of the backends: a cache
// must never serve what another node has replaced, whatever the interleaving.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "storage/cached_kms_store.h"
#include "storage/cached_secret_store.h"
#include "storage/change_follower.h"

namespace arcana::storage {
namespace {

// A change log in memory; `local` picks the SQLite-like (in-process head) path.
class FakeLog : public ChangeLog {
 public:
  explicit FakeLog(bool local) : local_(local) {}
  Result<int64_t> Head() override {
    std::lock_guard<std::mutex> l(mu_);
    ++head_calls;
    if (down) return Status(ErrorCode::kServiceUnavailable, "down");
    if (published_head) return *published_head;
    return changes_.empty() ? trimmed_head_ : changes_.back().seq;
  }
  bool HeadIsLocal() const override { return local_; }
  Result<std::vector<Change>> ReadChanges(int64_t after, size_t limit) override {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<Change> out;
    for (const auto& c : changes_) {
      if (c.seq > after && out.size() < limit) out.push_back(c);
    }
    return out;
  }
  void WaitForChange(int64_t, std::chrono::milliseconds) override {}
  Result<size_t> TrimChanges(int64_t) override {
    std::lock_guard<std::mutex> l(mu_);
    size_t n = changes_.size() - 1;
    changes_.erase(changes_.begin(), changes_.end() - 1);
    return n;
  }
  // Retention that deletes one change and keeps those around it (as trimming by each
  // writer's commit clock can, which is not monotonic in seq).
  void Remove(int64_t seq) {
    std::lock_guard<std::mutex> l(mu_);
    std::erase_if(changes_, [seq](const Change& c) { return c.seq == seq; });
  }
  // The store is replaced by one whose head is lower (wiped and recreated).
  void Rewind(int64_t head) {
    std::lock_guard<std::mutex> l(mu_);
    changes_.clear();
    trimmed_head_ = head;
    published_head.reset();
  }
  // Head() answers this instead of the newest row: SQLite publishes its in-memory head
  // after the COMMIT, so rows are readable before Head() counts them.
  void HoldHeadAt(std::optional<int64_t> head) {
    std::lock_guard<std::mutex> l(mu_);
    published_head = head;
  }
  void Append(const std::string& service, const std::string& resource,
              const std::string& account = "a", const std::string& region = "r") {
    std::lock_guard<std::mutex> l(mu_);
    Change c;
    c.seq = (changes_.empty() ? trimmed_head_ : changes_.back().seq) + 1;
    c.service = service;
    c.resource = resource;
    c.account = account;
    c.region = region;
    changes_.push_back(c);
  }
  int head_calls = 0;
  bool down = false;

 private:
  std::optional<int64_t> published_head;
  bool local_;
  std::mutex mu_;
  std::vector<Change> changes_;
  int64_t trimmed_head_ = 0;
};

// A secret store in memory whose writes append to the fake log, like a backend's would.
class FakeSecrets : public SecretStore {
 public:
  explicit FakeSecrets(FakeLog& log) : log_(log) {}
  Result<std::optional<domain::sm::Secret>> GetSecretByArn(const std::string& arn) override {
    ++reads;
    std::optional<domain::sm::Secret> row;
    {
      std::lock_guard<std::mutex> l(mu_);
      auto it = secrets_.find(arn);
      if (it != secrets_.end()) row = it->second;
    }
    if (after_read) after_read();
    return row;
  }
  Result<std::optional<domain::sm::Secret>> GetSecretByName(const Scope&,
                                                             const std::string& name) override {
    ++reads;
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [arn, s] : secrets_) {
      if (s.name == name) return std::optional<domain::sm::Secret>(s);
    }
    return std::optional<domain::sm::Secret>();
  }
  Result<std::vector<domain::sm::Secret>> ListSecrets(const Scope&, const SecretQuery&) override {
    return std::vector<domain::sm::Secret>();
  }
  Result<std::vector<std::string>> ListSecretsDeletedBefore(int64_t, size_t) override {
    return std::vector<std::string>();
  }
  Result<std::optional<std::string>> GetSealedValue(const std::string& arn,
                                                    const std::string& v) override {
    ++reads;
    std::lock_guard<std::mutex> l(mu_);
    auto it = values_.find(arn + "/" + v);
    if (it == values_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status Commit(const std::vector<SecretWrite>& writes,
                const std::vector<SecretDelete>& deletes) override {
    {
      std::lock_guard<std::mutex> l(mu_);
      for (const auto& w : writes) {
        auto s = w.secret;
        s.revision = secrets_.count(s.arn) ? secrets_[s.arn].revision + 1 : 1;
        secrets_[s.arn] = s;
        for (const auto& v : w.new_values) values_[s.arn + "/" + v.version_id] = v.sealed;
      }
      for (const auto& d : deletes) secrets_.erase(d.arn);
    }
    for (const auto& w : writes) log_.Append("secretsmanager", w.secret.arn);
    for (const auto& d : deletes) log_.Append("secretsmanager", d.arn);
    return Status::Ok();
  }
  Status WipeSecrets() override { return Status::Ok(); }
  std::atomic<int> reads{0};
  std::function<void()> after_read;  // runs between reading a row and returning it

 private:
  FakeLog& log_;
  std::mutex mu_;
  std::map<std::string, domain::sm::Secret> secrets_;
  std::map<std::string, std::string> values_;
};

domain::sm::Secret MakeSecret(const std::string& arn, const std::string& name,
                              const std::string& description) {
  domain::sm::Secret s;
  s.arn = arn;
  s.name = name;
  s.account = "a";
  s.region = "r";
  s.description = description;
  return s;
}

Status Put(SecretStore& store, const domain::sm::Secret& s, const std::string& version = "",
           const std::string& sealed = "") {
  SecretWrite w;
  w.secret = s;
  if (!version.empty()) w.new_values.push_back({version, sealed});
  return store.Commit({w}, {});
}

class CachedSecretStoreTest : public ::testing::TestWithParam<bool> {};

TEST_P(CachedSecretStoreTest, HitsUntilAnotherNodeWrites) {
  FakeLog log(GetParam());
  FakeSecrets backend(log);
  ChangeFollower follower(log);
  CachedSecretStore cache(backend, follower);
  ASSERT_TRUE(Put(backend, MakeSecret("arn:1", "one", "v1")).ok());

  for (int i = 0; i < 3; ++i) {
    auto s = cache.GetSecretByArn("arn:1");
    ASSERT_TRUE(s.ok() && s->has_value());
    EXPECT_EQ((*s)->description, "v1");
  }
  EXPECT_EQ(backend.reads, 1);  // cached after the first read

  // "Another node" writes straight to the backend: the next read sees it.
  ASSERT_TRUE(Put(backend, MakeSecret("arn:1", "one", "v2")).ok());
  auto s = cache.GetSecretByArn("arn:1");
  ASSERT_TRUE(s.ok() && s->has_value());
  EXPECT_EQ((*s)->description, "v2");
  EXPECT_EQ(backend.reads, 2);
}

TEST_P(CachedSecretStoreTest, AWriteToOneSecretKeepsTheOthersCached) {
  FakeLog log(GetParam());
  FakeSecrets backend(log);
  ChangeFollower follower(log);
  CachedSecretStore cache(backend, follower);
  ASSERT_TRUE(Put(backend, MakeSecret("arn:1", "one", "v1")).ok());
  ASSERT_TRUE(Put(backend, MakeSecret("arn:2", "two", "v1")).ok());
  ASSERT_TRUE(cache.GetSecretByArn("arn:1").ok());
  ASSERT_TRUE(cache.GetSecretByArn("arn:2").ok());
  ASSERT_TRUE(Put(backend, MakeSecret("arn:2", "two", "v2")).ok());
  int before = backend.reads;
  ASSERT_TRUE(cache.GetSecretByArn("arn:1").ok());
  EXPECT_EQ(backend.reads, before);  // untouched by the change to arn:2
  auto two = cache.GetSecretByArn("arn:2");
  EXPECT_EQ((*two)->description, "v2");
}

TEST_P(CachedSecretStoreTest, ByNameFollowsDeleteAndRecreate) {
  FakeLog log(GetParam());
  FakeSecrets backend(log);
  ChangeFollower follower(log);
  CachedSecretStore cache(backend, follower);
  ASSERT_TRUE(Put(backend, MakeSecret("arn:old", "n", "old")).ok());
  auto s = cache.GetSecretByName({"a", "r"}, "n");
  ASSERT_EQ((*s)->arn, "arn:old");
  ASSERT_TRUE(backend.Commit({}, {SecretDelete{"arn:old", 0, "DeleteSecret"}}).ok());
  ASSERT_TRUE(Put(backend, MakeSecret("arn:new", "n", "new")).ok());
  s = cache.GetSecretByName({"a", "r"}, "n");
  ASSERT_TRUE(s.ok() && s->has_value());
  EXPECT_EQ((*s)->arn, "arn:new");
}

TEST_P(CachedSecretStoreTest, SealedValuesAreCachedAndDroppedWithTheirSecret) {
  FakeLog log(GetParam());
  FakeSecrets backend(log);
  ChangeFollower follower(log);
  CachedSecretStore cache(backend, follower);
  ASSERT_TRUE(Put(backend, MakeSecret("arn:1", "one", ""), "v1", "sealed-1").ok());
  ASSERT_TRUE(cache.GetSecretByArn("arn:1").ok());
  ASSERT_EQ(**cache.GetSealedValue("arn:1", "v1"), "sealed-1");
  int before = backend.reads;
  ASSERT_EQ(**cache.GetSealedValue("arn:1", "v1"), "sealed-1");
  EXPECT_EQ(backend.reads, before);
  ASSERT_TRUE(backend.Commit({}, {SecretDelete{"arn:1", 0, "DeleteSecret"}}).ok());
  auto gone = cache.GetSealedValue("arn:1", "v1");
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(backend.reads, before + 1);  // read again, not served from the dropped entry
}

// The race step 3 of the protocol closes: a row read before a change, inserted after the
// change was applied (by another request on this node), must not stay cached.
TEST_P(CachedSecretStoreTest, ARowReadBeforeAnAppliedChangeIsNotKept) {
  FakeLog log(GetParam());
  FakeSecrets backend(log);
  ChangeFollower follower(log);
  CachedSecretStore cache(backend, follower);
  ASSERT_TRUE(Put(backend, MakeSecret("arn:1", "one", "v1")).ok());
  // Between the cache's backend read (v1) and its insert: another node writes v2, and
  // another request on this node syncs, applying that change.
  backend.after_read = [&] {
    backend.after_read = nullptr;
    ASSERT_TRUE(Put(backend, MakeSecret("arn:1", "one", "v2")).ok());
    ASSERT_TRUE(follower.Sync().ok());
  };
  auto first = cache.GetSecretByArn("arn:1");
  EXPECT_EQ((*first)->description, "v1");  // read before the write: fine to return
  auto next = cache.GetSecretByArn("arn:1");
  EXPECT_EQ((*next)->description, "v2");  // but never kept past the change
}

TEST_P(CachedSecretStoreTest, UnreachableStoreIsAnErrorNotAStaleHit) {
  FakeLog log(GetParam());
  FakeSecrets backend(log);
  ChangeFollower follower(log);
  CachedSecretStore cache(backend, follower);
  ASSERT_TRUE(Put(backend, MakeSecret("arn:1", "one", "v1")).ok());
  ASSERT_TRUE(cache.GetSecretByArn("arn:1").ok());
  log.down = true;
  auto s = cache.GetSecretByArn("arn:1");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), ErrorCode::kServiceUnavailable);
  log.down = false;
  EXPECT_TRUE(cache.GetSecretByArn("arn:1").ok());
}

TEST_P(CachedSecretStoreTest, TrimmedChangesResetTheCache) {
  FakeLog log(GetParam());
  FakeSecrets backend(log);
  ChangeFollower follower(log);
  CachedSecretStore cache(backend, follower);
  ASSERT_TRUE(Put(backend, MakeSecret("arn:1", "one", "v1")).ok());
  ASSERT_TRUE(cache.GetSecretByArn("arn:1").ok());
  // Two writes, then the older change is trimmed before this node saw it.
  ASSERT_TRUE(Put(backend, MakeSecret("arn:1", "one", "v2")).ok());
  log.Append("secretsmanager", "arn:other");
  ASSERT_TRUE(log.TrimChanges(0).ok());
  auto s = cache.GetSecretByArn("arn:1");
  EXPECT_EQ((*s)->description, "v2");
}

// Retention trims only a prefix of the log now, but a follower does not rely on it (it used
// to trim by each writer's commit clock, which could delete a change and keep the ones on both
// sides of it): a hole after the first row of a batch resets the caches too, or what the
// missing change touched would stay cached.
TEST_P(CachedSecretStoreTest, AHoleAfterTheFirstChangeOfABatchResetsTheCache) {
  FakeLog log(GetParam());
  FakeSecrets backend(log);
  ChangeFollower follower(log);
  CachedSecretStore cache(backend, follower);
  ASSERT_TRUE(Put(backend, MakeSecret("arn:1", "one", "v1")).ok());
  ASSERT_TRUE(cache.GetSecretByArn("arn:1").ok());
  const int64_t at = follower.applied();
  ASSERT_TRUE(Put(backend, MakeSecret("arn:2", "two", "x")).ok());   // at + 1: kept
  ASSERT_TRUE(Put(backend, MakeSecret("arn:1", "one", "v2")).ok());  // at + 2: trimmed
  ASSERT_TRUE(Put(backend, MakeSecret("arn:3", "three", "x")).ok()); // at + 3: kept
  log.Remove(at + 2);
  auto s = cache.GetSecretByArn("arn:1");
  ASSERT_TRUE(s.ok() && s->has_value());
  EXPECT_EQ((*s)->description, "v2");
  EXPECT_EQ(follower.applied(), at + 3);
}

INSTANTIATE_TEST_SUITE_P(HeadLocalOrShared, CachedSecretStoreTest, ::testing::Bool());

// A follower with one subscriber that counts resets.
struct CountingFollower {
  explicit CountingFollower(ChangeLog& log) : follower(log) {
    follower.Subscribe({[this](const Change&) { ++changes; }, [this] { ++resets; }});
  }
  ChangeFollower follower;
  std::atomic<int> changes{0};
  std::atomic<int> resets{0};
};

// SQLite's head (in memory) is published after its COMMIT, and a concurrent Sync may read
// rows committed after another Sync read the head: a head below what was applied is then
// already applied, not a store that went backwards (which would drop every cache).
TEST(ChangeFollowerTest, ALocalHeadBehindTheAppliedChangesIsAlreadyApplied) {
  FakeLog log(true);
  CountingFollower f(log);
  for (int i = 0; i < 5; ++i) log.Append("secretsmanager", "arn:" + std::to_string(i));
  ASSERT_EQ(f.follower.Sync().value(), 5);
  ASSERT_EQ(f.resets, 1);  // the first Sync

  // Two Syncs read head 10; the first one's catch-up also reads 11 and 12, committed since
  // (their head not published yet), so the second finds 12 applied.
  for (int i = 5; i < 10; ++i) log.Append("secretsmanager", "arn:" + std::to_string(i));
  log.HoldHeadAt(10);
  log.Append("secretsmanager", "arn:a");
  log.Append("secretsmanager", "arn:b");
  ASSERT_EQ(f.follower.Sync().value(), 12);
  EXPECT_EQ(f.changes, 7);
  EXPECT_EQ(f.follower.Sync().value(), 12);
  log.HoldHeadAt(std::nullopt);
  EXPECT_EQ(f.follower.Sync().value(), 12);
  EXPECT_EQ(f.resets, 1) << "a Sync that read an older head reset every cache";
  EXPECT_EQ(f.changes, 7);

  // A head below one read before is a store that went backwards: start over.
  log.Rewind(3);
  EXPECT_EQ(f.follower.Sync().value(), 3);
  EXPECT_EQ(f.resets, 2);
  log.Append("secretsmanager", "arn:c");
  EXPECT_EQ(f.follower.Sync().value(), 4);
  EXPECT_EQ(f.resets, 2);
  EXPECT_EQ(f.changes, 8);
}

// The same race under load: Syncs on several threads while a writer commits. Resets after
// the first Sync mean every cache of the node was dropped for nothing.
TEST(ChangeFollowerTest, ConcurrentLocalSyncsUnderWritesNeverReset) {
  FakeLog log(true);
  CountingFollower f(log);
  ASSERT_TRUE(f.follower.Sync().ok());
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      while (!stop) EXPECT_TRUE(f.follower.Sync().ok());
    });
  }
  constexpr int kWrites = 5000;
  for (int i = 0; i < kWrites; ++i) log.Append("secretsmanager", "arn:" + std::to_string(i % 7));
  stop = true;
  for (auto& t : readers) t.join();
  ASSERT_EQ(f.follower.Sync().value(), kWrites);
  EXPECT_EQ(f.resets, 1) << (f.resets - 1) << " spurious resets in " << kWrites << " writes";
  EXPECT_EQ(f.changes, kWrites);
}

// Concurrent readers and a writer: no read that starts after a write is acknowledged ever
// returns an older value.
TEST(ChangeFollowerTest, NoStaleReadUnderConcurrency) {
  FakeLog log(false);
  FakeSecrets backend(log);
  ChangeFollower follower(log);
  CachedSecretStore cache(backend, follower);
  ASSERT_TRUE(Put(backend, MakeSecret("arn:1", "one", "0")).ok());
  std::atomic<int> acknowledged{0};
  std::atomic<bool> stop{false};
  std::atomic<int> stale{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        // The floor is read before the request starts: a write acknowledged after its start
        // is concurrent with it, and a Sync begun after the start rightly covers the request
        // without it (the floor read after the scope failed ~5 % of runs for that alone).
        int floor = acknowledged.load();
        ChangeFollower::FreshnessScope scope;
        auto s = cache.GetSecretByArn("arn:1");
        if (!s.ok() || !s->has_value() || std::stoi((*s)->description) < floor) ++stale;
      }
    });
  }
  for (int i = 1; i <= 2000; ++i) {
    ASSERT_TRUE(Put(backend, MakeSecret("arn:1", "one", std::to_string(i))).ok());
    acknowledged = i;
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(stale, 0);
}

TEST(ChangeFollowerTest, OneRequestSharesOneFreshnessCheck) {
  FakeLog log(false);
  ChangeFollower follower(log);
  ASSERT_TRUE(follower.Sync().ok());
  int before = log.head_calls;
  {
    ChangeFollower::FreshnessScope scope;
    ASSERT_TRUE(follower.Sync().ok());
    ASSERT_TRUE(follower.Sync().ok());
    ASSERT_TRUE(follower.Sync().ok());
  }
  EXPECT_EQ(log.head_calls, before + 1);
  ASSERT_TRUE(follower.Sync().ok());  // outside a scope: always checks
  EXPECT_EQ(log.head_calls, before + 2);
}

TEST(ChangeFollowerTest, RootRewrapDropsSealedBytes) {
  FakeLog log(true);
  FakeSecrets backend(log);
  ChangeFollower follower(log);
  CachedSecretStore cache(backend, follower);
  ASSERT_TRUE(Put(backend, MakeSecret("arn:1", "one", ""), "v1", "s").ok());
  ASSERT_TRUE(cache.GetSecretByArn("arn:1").ok());
  ASSERT_TRUE(cache.GetSealedValue("arn:1", "v1").ok());
  int before = backend.reads;
  log.Append("arcana", Change::kRootResource);
  ASSERT_TRUE(cache.GetSealedValue("arn:1", "v1").ok());
  EXPECT_EQ(backend.reads, before + 1);
}

// A KMS store in memory: only the reads the cache serves do anything.
class FakeKms : public KmsStore {
 public:
  Result<std::optional<domain::kms::Key>> GetKmsKey(const Scope&, const std::string& id) override {
    ++reads;
    auto it = keys.find(id);
    return it == keys.end() ? std::optional<domain::kms::Key>() : std::optional(it->second);
  }
  Result<std::optional<domain::kms::Alias>> GetKmsAlias(const Scope&,
                                                         const std::string& name) override {
    ++reads;
    auto it = aliases.find(name);
    return it == aliases.end() ? std::optional<domain::kms::Alias>() : std::optional(it->second);
  }
  Status WriteKmsKeys(const std::vector<KmsKeyWrite>&, const std::string&) override { return No(); }
  Result<std::vector<domain::kms::Key>> ListKmsKeyRegions(const std::string&,
                                                          const std::string&) override {
    return No();
  }
  Result<std::optional<KeyMaterialRecord>> GetKeyMaterial(const std::string& k,
                                                          const std::string& m) override {
    ++reads;
    KeyMaterialRecord r;
    r.key_id = k;
    r.material_id = m;
    r.wrapped = "w";
    return std::optional<KeyMaterialRecord>(r);
  }
  Status No() { return Status(ErrorCode::kInternalServiceError, "not in this fake"); }
  Result<std::vector<domain::kms::Key>> ListKmsKeys(const Scope&, const std::string&,
                                                    size_t) override { return No(); }
  Result<std::vector<domain::kms::Key>> ListKmsKeysDue(int64_t, size_t) override { return No(); }
  Status PutKmsKey(const domain::kms::Key&, const std::vector<KeyMaterialRecord>&,
                   const std::string&) override { return No(); }
  Status CreateKmsKeyWithAlias(const domain::kms::Key&, const std::vector<KeyMaterialRecord>&,
                               const domain::kms::Alias&) override { return No(); }
  Status DeleteKmsKey(const Scope&, const std::string&, int64_t) override { return No(); }
  Result<std::vector<domain::kms::Alias>> ListKmsAliases(const Scope&, const std::string&,
                                                         const std::string&, size_t) override {
    return No();
  }
  Status PutKmsAlias(const domain::kms::Alias&, bool, size_t) override { return No(); }
  Status DeleteKmsAlias(const Scope&, const std::string&) override { return No(); }
  Result<domain::kms::Grant> CreateKmsGrant(const domain::kms::Grant&, int64_t, size_t) override {
    return No();
  }
  Result<std::vector<domain::kms::Grant>> ListKmsGrants(const Scope&, const std::string&,
                                                        const std::string&, size_t) override {
    return No();
  }
  Result<std::vector<domain::kms::Grant>> ListKmsGrantsByRetiringPrincipal(
      const std::string&, const std::string&, const std::string&, size_t) override {
    return No();
  }
  Status DeleteKmsGrant(const Scope&, const std::string&, const std::string&) override {
    return No();
  }
  Result<std::vector<KeyMaterialRecord>> ListKeyMaterials() override { return No(); }
  Status RewrapKeyMaterials(
      const std::function<Result<std::string>(const KeyMaterialRecord&)>&) override {
    return No();
  }
  Status WipeKms() override { return Status::Ok(); }
  std::map<std::string, domain::kms::Key> keys;
  std::map<std::string, domain::kms::Alias> aliases;
  int reads = 0;
};

TEST(CachedKmsStoreTest, KeysAliasesAndMaterialsFollowTheirChanges) {
  FakeLog log(false);
  FakeKms backend;
  ChangeFollower follower(log);
  CachedKmsStore cache(backend, follower);
  const Scope scope{"a", "r"};
  backend.keys["k1"].description = "one";
  backend.aliases["alias/x"].target_key_id = "k1";
  ASSERT_TRUE(cache.GetKmsKey(scope, "k1").ok());
  ASSERT_TRUE(cache.GetKmsAlias(scope, "alias/x").ok());
  ASSERT_TRUE(cache.GetKeyMaterial("k1", "m1").ok());
  const int filled = backend.reads;
  ASSERT_TRUE(cache.GetKmsKey(scope, "k1").ok());
  ASSERT_TRUE(cache.GetKmsAlias(scope, "alias/x").ok());
  ASSERT_TRUE(cache.GetKeyMaterial("k1", "m1").ok());
  EXPECT_EQ(backend.reads, filled);

  // The alias is moved on another node: only the alias is read again.
  backend.aliases["alias/x"].target_key_id = "k2";
  log.Append("kms", "arn:aws:kms:r:a:alias/x");
  auto alias = cache.GetKmsAlias(scope, "alias/x");
  EXPECT_EQ((*alias)->target_key_id, "k2");
  ASSERT_TRUE(cache.GetKmsKey(scope, "k1").ok());
  EXPECT_EQ(backend.reads, filled + 1);

  // The key changes on another node: the key (and its materials) are read again.
  backend.keys["k1"].description = "changed";
  log.Append("kms", "arn:aws:kms:r:a:key/k1");
  auto key = cache.GetKmsKey(scope, "k1");
  EXPECT_EQ((*key)->description, "changed");
  ASSERT_TRUE(cache.GetKeyMaterial("k1", "m1").ok());
  EXPECT_EQ(backend.reads, filled + 3);

  // A key of the same id in another scope is another entry.
  log.Append("kms", "arn:aws:kms:r2:a:key/k1", "a", "r2");
  ASSERT_TRUE(cache.GetKmsKey(scope, "k1").ok());
  EXPECT_EQ(backend.reads, filled + 3);
}

}  // namespace
}  // namespace arcana::storage
