// This node's cache of unwrapped data keys (KmsDataKeyProvider): every Secrets Manager value
// and SecureString parameter is sealed under a data key that KMS wrapped, and reading it
// would otherwise unwrap that data key (key material lookup + AES-GCM) on every request.
//
// An entry is found by everything the unwrap depended on: the scope (account, region), the
// encryption context (canonical form) and the exact wrapped bytes. A wrapped data key is
// immutable and opens to one plaintext only under that context, so an entry can never be
// stale; what CAN change is whether its KMS key may still be used (disabled, scheduled for
// deletion, deleted), so the entry remembers the key id and material id and the provider
// re-checks the key's state on every hit (kms_data_key_provider.h).
//
// Bounded: at most `capacity` entries, least recently used evicted first. Plaintexts live in
// crypto::SecretString (wiped when evicted, replaced, cleared or destroyed). Clear() on seal
// and on dev reset.
// Thread-safety: all methods are thread-safe (one mutex; critical sections are map and list
// operations only).
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "crypto/envelope.h"
#include "crypto/secure_memory.h"

namespace arcana::services::kms {

class DataKeyCache {
 public:
  static constexpr size_t kDefaultCapacity = 4096;

  struct Hit {
    std::string key_id;       // the KMS key that wrapped it (key id, not ARN)
    std::string material_id;  // hex
    std::string plaintext;    // the data key; the caller wipes it (crypto::SecureWipe)
  };

  explicit DataKeyCache(size_t capacity = kDefaultCapacity);

  // The lookup key of a wrapped data key under a scope and context.
  static std::string EntryKey(std::string_view account, std::string_view region,
                              const crypto::EncryptionContext& ctx, std::string_view wrapped);

  std::optional<Hit> Get(const std::string& entry_key);
  void Put(const std::string& entry_key, std::string key_id, std::string material_id,
           std::string_view plaintext);
  // Drops one entry (e.g. when its key can no longer be used).
  void Erase(const std::string& entry_key);
  // Drops (and wipes) every entry.
  void Clear();
  size_t size() const;
  size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    std::string entry_key;
    std::string key_id;
    std::string material_id;
    crypto::SecretString plaintext;
  };
  const size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace arcana::services::kms
