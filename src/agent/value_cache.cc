#include "agent/value_cache.h"

#include "crypto/aead.h"
#include "crypto/random.h"

namespace arcana::agent {

ValueCache::ValueCache(size_t capacity, std::chrono::seconds default_ttl, Clock clock)
    : capacity_(capacity), default_ttl_(default_ttl), clock_(std::move(clock)) {
  std::string k = crypto::RandomBytes(crypto::kAeadKeySize);
  key_ = crypto::SecretString::Take(k);
}

ValueCache::~ValueCache() {
  Clear();
  std::lock_guard<std::mutex> l(mu_);
  key_.clear();  // SecretString wipes what it frees
}

std::optional<ValueCache::Hit> ValueCache::Get(const std::string& key) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second);
  const Entry& e = *it->second;
  auto opened = crypto::AeadOpen(key_.view(), e.sealed, e.key);
  if (!opened.ok()) {  // cannot happen short of memory corruption: treat as a miss
    EraseLocked(it->second);
    return std::nullopt;
  }
  Hit hit;
  hit.body = std::move(opened).value();
  hit.age = std::chrono::duration_cast<std::chrono::milliseconds>(clock_() - e.fetched);
  hit.fresh = hit.age < e.ttl;
  return hit;
}

uint64_t ValueCache::epoch() const {
  std::lock_guard<std::mutex> l(mu_);
  return epoch_;
}

bool ValueCache::Put(const std::string& key, std::string_view body,
                     std::vector<std::string> resources, uint64_t epoch_at_fetch,
                     std::optional<std::chrono::seconds> ttl) {
  const std::chrono::seconds entry_ttl = ttl.value_or(default_ttl_);
  if (entry_ttl.count() <= 0 || capacity_ == 0) return false;
  auto sealed = crypto::AeadSeal(key_.view(), body, key);
  if (!sealed.ok()) return false;
  std::lock_guard<std::mutex> l(mu_);
  if (epoch_ != epoch_at_fetch) return false;
  if (auto it = index_.find(key); it != index_.end()) EraseLocked(it->second);
  lru_.push_front(
      Entry{key, std::move(sealed).value(), std::move(resources), clock_(), entry_ttl});
  index_[key] = lru_.begin();
  for (const auto& r : lru_.front().resources) by_resource_.emplace(r, key);
  while (lru_.size() > capacity_) EraseLocked(std::prev(lru_.end()));
  return true;
}

void ValueCache::EraseLocked(std::list<Entry>::iterator it) {
  for (const auto& r : it->resources) {
    auto [b, e] = by_resource_.equal_range(r);
    for (auto i = b; i != e; ++i) {
      if (i->second == it->key) {
        by_resource_.erase(i);
        break;
      }
    }
  }
  index_.erase(it->key);
  crypto::SecureWipe(it->sealed);
  lru_.erase(it);
}

size_t ValueCache::InvalidateResource(const std::string& resource) {
  std::lock_guard<std::mutex> l(mu_);
  ++epoch_;
  size_t n = 0;
  while (true) {
    auto found = by_resource_.find(resource);
    if (found == by_resource_.end()) break;
    auto it = index_.find(found->second);
    if (it == index_.end()) {  // defensive: a dangling tag
      by_resource_.erase(found);
      continue;
    }
    EraseLocked(it->second);
    ++n;
  }
  return n;
}

size_t ValueCache::Clear() {
  std::lock_guard<std::mutex> l(mu_);
  ++epoch_;
  const size_t n = lru_.size();
  for (auto& e : lru_) crypto::SecureWipe(e.sealed);
  lru_.clear();
  index_.clear();
  by_resource_.clear();
  return n;
}

size_t ValueCache::size() const {
  std::lock_guard<std::mutex> l(mu_);
  return lru_.size();
}

}  // namespace arcana::agent
