// Decoded rows, keyed by id, each stamped with the store generation it was read at
// (sqlite::Pool::generation): an entry is served only while no commit happened since, so
// hot reads skip the database entirely. On a miss the row is read again, and its JSON
// document is decoded only if its stored text changed.
// Thread-safety: all methods take one short lock; values are shared immutable copies.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace arcana::storage {

template <typename T>
class TextCache {
 public:
  static constexpr size_t kMaxEntries = 10000;

  // The value cached for id at generation gen, or null.
  std::shared_ptr<const T> Find(const std::string& id, uint64_t gen) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.gen != gen) return nullptr;
    return it->second.value;
  }

  // The decoded value of `text` (read at generation gen) under `id`: reuses the previous
  // decode when the text is unchanged, else decode(text) (a Result<T>).
  template <typename DecodeFn>
  auto Fill(const std::string& id, uint64_t gen, std::string text, DecodeFn&& decode)
      -> decltype(decode(text)) {
    {
      std::lock_guard<std::mutex> l(mu_);
      auto it = entries_.find(id);
      if (it != entries_.end() && it->second.text == text) {
        it->second.gen = gen;
        return *it->second.value;
      }
    }
    auto decoded = decode(text);
    if (!decoded.ok()) return decoded;
    auto shared = std::make_shared<const T>(decoded.value());
    std::lock_guard<std::mutex> l(mu_);
    if (entries_.size() >= kMaxEntries) entries_.clear();
    entries_[id] = Entry{gen, std::move(text), std::move(shared)};
    return decoded;
  }

  void Clear() {
    std::lock_guard<std::mutex> l(mu_);
    entries_.clear();
  }

 private:
  struct Entry {
    uint64_t gen;
    std::string text;
    std::shared_ptr<const T> value;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace arcana::storage
