#include "services/kms/data_key_cache.h"

#include <algorithm>

namespace arcana::services::kms {

namespace {
void AppendField(std::string& out, std::string_view field) {
  // Length-prefixed, so no choice of account, region or context can make two different
  // inputs produce the same key.
  const uint32_t n = static_cast<uint32_t>(field.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((n >> shift) & 0xff));
  }
  out.append(field);
}
}  // namespace

DataKeyCache::DataKeyCache(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

std::string DataKeyCache::EntryKey(std::string_view account, std::string_view region,
                                   const crypto::EncryptionContext& ctx,
                                   std::string_view wrapped) {
  std::string key;
  key.reserve(account.size() + region.size() + wrapped.size() + 64);
  AppendField(key, account);
  AppendField(key, region);
  AppendField(key, crypto::CanonicalContext(ctx));
  AppendField(key, wrapped);
  return key;
}

std::optional<DataKeyCache::Hit> DataKeyCache::Get(const std::string& entry_key) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = index_.find(entry_key);
  if (it == index_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second);  // now the most recently used
  const Entry& e = *it->second;
  return Hit{e.key_id, e.material_id, e.plaintext.Reveal()};
}

void DataKeyCache::Put(const std::string& entry_key, std::string key_id, std::string material_id,
                       std::string_view plaintext) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = index_.find(entry_key);
  if (it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    Entry& e = *it->second;
    e.key_id = std::move(key_id);
    e.material_id = std::move(material_id);
    e.plaintext.assign(plaintext);
    return;
  }
  while (lru_.size() >= capacity_) {
    index_.erase(lru_.back().entry_key);
    lru_.pop_back();  // the SecretString wipes itself
  }
  lru_.push_front(Entry{entry_key, std::move(key_id), std::move(material_id),
                        crypto::SecretString(plaintext)});
  index_.emplace(entry_key, lru_.begin());
}

void DataKeyCache::Erase(const std::string& entry_key) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = index_.find(entry_key);
  if (it == index_.end()) return;
  lru_.erase(it->second);
  index_.erase(it);
}

void DataKeyCache::Clear() {
  std::lock_guard<std::mutex> l(mu_);
  index_.clear();
  lru_.clear();
}

size_t DataKeyCache::size() const {
  std::lock_guard<std::mutex> l(mu_);
  return lru_.size();
}

}  // namespace arcana::services::kms
