// arcana-agent's cache: a bounded LRU of upstream answers (GetSecretValue / GetParameter JSON)
// with a TTL per entry (secrets and parameters have their own), held only encrypted in memory. Each value is sealed with AES-256-GCM
// (crypto/aead.h) under a key drawn at construction and kept in wiped memory, with the entry's
// key as authenticated data; it is opened only to answer a request. Entries name the
// resources they came from (a secret or parameter ARN), so a change on the store's change
// sequence drops exactly them. Clear() and the destructor wipe the key and every entry.
//
// Race rule with invalidation (as storage/change_follower.h step 3): a fetch notes epoch()
// before asking the upstream and Put()s with that epoch; if any invalidation happened since,
// the answer may predate it, so Put keeps nothing (the caller still serves what it fetched).
// Thread-safety: every method may be called concurrently (one mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crypto/secure_memory.h"

namespace arcana::agent {

class ValueCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // default_ttl: the TTL of an entry Put without its own.
  ValueCache(size_t capacity, std::chrono::seconds default_ttl,
             Clock clock = std::chrono::steady_clock::now);
  ~ValueCache();
  ValueCache(const ValueCache&) = delete;
  ValueCache& operator=(const ValueCache&) = delete;

  struct Hit {
    std::string body;  // plaintext: the caller wipes it (crypto::SecureWipe)
    std::chrono::milliseconds age{0};
    bool fresh = false;  // younger than its TTL
  };
  // The entry for key (fresh or expired), marked most recently used.
  std::optional<Hit> Get(const std::string& key);
  uint64_t epoch() const;
  // Stores body under key, tagged with the resources it depends on, fresh for `ttl` (nullopt:
  // the default TTL), unless an invalidation happened after `epoch_at_fetch` or the TTL is 0.
  // Evicts the least recently used entry beyond capacity. Returns whether it was stored.
  bool Put(const std::string& key, std::string_view body, std::vector<std::string> resources,
           uint64_t epoch_at_fetch, std::optional<std::chrono::seconds> ttl = std::nullopt);
  // Drops every entry tagged with `resource`; returns how many.
  size_t InvalidateResource(const std::string& resource);
  // Drops every entry (a stream reset) and bumps the epoch.
  size_t Clear();
  size_t size() const;

 private:
  struct Entry {
    std::string key;
    std::string sealed;  // nonce || ciphertext || tag
    std::vector<std::string> resources;
    std::chrono::steady_clock::time_point fetched;
    std::chrono::seconds ttl;
  };
  void EraseLocked(std::list<Entry>::iterator it);

  const size_t capacity_;
  const std::chrono::seconds default_ttl_;
  Clock clock_;
  crypto::SecretString key_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // front: most recently used
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  std::unordered_multimap<std::string, std::string> by_resource_;  // resource -> entry key
  uint64_t epoch_ = 0;
};

}  // namespace arcana::agent
