// Decoded rows keyed by id and validated against the exact stored text. A read still asks
// the database (so it sees every writer, this process or another) but skips decoding the
// JSON document when the text is unchanged, which dominated hot-path reads.
// Thread-safety: all methods take one short lock.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace arcana::storage {

template <typename T>
class TextCache {
 public:
  static constexpr size_t kMaxEntries = 10000;

  // The decoded value of `text` under `id`: from the cache when the text matches, else
  // decode(text) (a Result<T>), which is then remembered.
  template <typename DecodeFn>
  auto Get(const std::string& id, std::string text, DecodeFn&& decode)
      -> decltype(decode(text)) {
    {
      std::lock_guard<std::mutex> l(mu_);
      auto it = entries_.find(id);
      if (it != entries_.end() && it->second.first == text) return *it->second.second;
    }
    auto decoded = decode(text);
    if (!decoded.ok()) return decoded;
    auto shared = std::make_shared<const T>(decoded.value());
    std::lock_guard<std::mutex> l(mu_);
    if (entries_.size() >= kMaxEntries) entries_.clear();
    entries_[id] = {std::move(text), std::move(shared)};
    return decoded;
  }

  void Clear() {
    std::lock_guard<std::mutex> l(mu_);
    entries_.clear();
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::pair<std::string, std::shared_ptr<const T>>> entries_;
};

}  // namespace arcana::storage
