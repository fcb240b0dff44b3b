// DataKeyCache (services/kms/data_key_cache.h): entries are found only by the exact scope,
// context and wrapped bytes; the cache holds at most its capacity, evicting the least
// recently used; Clear (seal, dev reset) and Erase drop plaintexts.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "services/kms/data_key_cache.h"

namespace arcana::services::kms {
namespace {

const crypto::EncryptionContext kCtx{{"SecretARN", "arn:aws:secretsmanager:us-east-1:1:secret:a"},
                                     {"SecretVersionId", "v1"}};

std::string Key(const std::string& wrapped, const crypto::EncryptionContext& ctx = kCtx,
                const std::string& account = "123456789012",
                const std::string& region = "us-east-1") {
  return DataKeyCache::EntryKey(account, region, ctx, wrapped);
}

TEST(DataKeyCache, HitReturnsWhatWasPut) {
  DataKeyCache c(8);
  c.Put(Key("w1"), "key-1", "m1", std::string(32, 'k'));
  auto hit = c.Get(Key("w1"));
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->key_id, "key-1");
  EXPECT_EQ(hit->material_id, "m1");
  EXPECT_EQ(hit->plaintext, std::string(32, 'k'));
}

TEST(DataKeyCache, EveryPartOfTheLookupKeyMatters) {
  DataKeyCache c(8);
  c.Put(Key("w1"), "key-1", "m1", "plain");
  EXPECT_FALSE(c.Get(Key("w2")).has_value());                               // other bytes
  EXPECT_FALSE(c.Get(Key("w1", {{"SecretARN", "other"}})).has_value());     // other context
  EXPECT_FALSE(c.Get(Key("w1", kCtx, "210987654321")).has_value());         // other account
  EXPECT_FALSE(c.Get(Key("w1", kCtx, "123456789012", "eu-west-1")).has_value());  // region
  // Length-prefixed fields: moving bytes between fields gives another key.
  EXPECT_NE(DataKeyCache::EntryKey("ab", "c", {}, "w"), DataKeyCache::EntryKey("a", "bc", {}, "w"));
  EXPECT_TRUE(c.Get(Key("w1")).has_value());
}

TEST(DataKeyCache, EvictsTheLeastRecentlyUsedAtCapacity) {
  DataKeyCache c(3);
  c.Put(Key("a"), "k", "m", "A");
  c.Put(Key("b"), "k", "m", "B");
  c.Put(Key("c"), "k", "m", "C");
  ASSERT_TRUE(c.Get(Key("a")).has_value());  // a is now the most recently used
  c.Put(Key("d"), "k", "m", "D");            // evicts b
  EXPECT_EQ(c.size(), 3u);
  EXPECT_FALSE(c.Get(Key("b")).has_value());
  EXPECT_TRUE(c.Get(Key("a")).has_value());
  EXPECT_TRUE(c.Get(Key("c")).has_value());
  EXPECT_TRUE(c.Get(Key("d")).has_value());
}

TEST(DataKeyCache, PutOfAPresentEntryReplacesItWithoutGrowing) {
  DataKeyCache c(2);
  c.Put(Key("a"), "k1", "m1", "old");
  c.Put(Key("a"), "k2", "m2", "new");
  EXPECT_EQ(c.size(), 1u);
  auto hit = c.Get(Key("a"));
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->key_id, "k2");
  EXPECT_EQ(hit->plaintext, "new");
}

TEST(DataKeyCache, ClearDropsEverything) {
  DataKeyCache c(16);
  for (int i = 0; i < 10; ++i) c.Put(Key("w" + std::to_string(i)), "k", "m", "p");
  ASSERT_EQ(c.size(), 10u);
  c.Clear();  // what a seal and a dev reset do
  EXPECT_EQ(c.size(), 0u);
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(c.Get(Key("w" + std::to_string(i))).has_value());
}

TEST(DataKeyCache, EraseDropsOneEntry) {
  DataKeyCache c(4);
  c.Put(Key("a"), "k", "m", "A");
  c.Put(Key("b"), "k", "m", "B");
  c.Erase(Key("a"));
  c.Erase(Key("absent"));
  EXPECT_FALSE(c.Get(Key("a")).has_value());
  EXPECT_TRUE(c.Get(Key("b")).has_value());
  EXPECT_EQ(c.size(), 1u);
}

TEST(DataKeyCache, StaysBoundedUnderConcurrentUse) {
  DataKeyCache c(64);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c, t] {
      for (int i = 0; i < 2000; ++i) {
        std::string k = Key(std::to_string(t) + "/" + std::to_string(i % 100));
        if (auto hit = c.Get(k)) {
          EXPECT_EQ(hit->plaintext, "p" + std::to_string(i % 100));
        } else {
          c.Put(k, "k", "m", "p" + std::to_string(i % 100));
        }
        if (i % 500 == 0) c.Clear();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(c.size(), 64u);
}

}  // namespace
}  // namespace arcana::services::kms
