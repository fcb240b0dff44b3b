// What a node cache of versioned resources is made of (cached_secret_store.h,
// cached_parameter_store.h): per resource ARN, the name its change rows carry, the decoded
// metadata and the stored values of its versions. Entries are erased by the change sequence
// (Follow), never by time. A read follows change_follower.h's protocol:
//   Get / GetValue: a hit is exact; on a miss *epoch is set
//   read the backend, then Keep / KeepValue with that epoch: kept only if no change was
//   applied meanwhile (a row read before an erasure may predate the change that caused it)
// Bounded: at most max_entries resources (all are dropped when full: cheap, and a working set
// larger than the cache gains nothing from LRU order) and max_values values each. A value is
// kept only beside the metadata it belongs to. Aliases (another key, such as a scoped name,
// for an ARN) are valid only while the ARN's entry lives.
// Meta needs a `revision`: an entry re-read at another revision drops its values.
// Thread-safety: every member may be called from any thread (one mutex, held briefly).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "storage/change_follower.h"

namespace arcana::storage {

template <typename Meta, typename Version>
class VersionedCache {
 public:
  VersionedCache(size_t max_entries, size_t max_values)
      : max_entries_(max_entries), max_values_(max_values) {}
  VersionedCache(const VersionedCache&) = delete;
  VersionedCache& operator=(const VersionedCache&) = delete;

  // Subscribes to follower (call once; this cache must outlive its Syncs): a change of
  // `service` erases its resource's entry; a root-key rewrap (every stored value rewrapped)
  // and a reset erase everything.
  void Follow(ChangeFollower& follower, std::string service) {
    follower.Subscribe({[this, service = std::move(service)](const Change& c) {
                          if (c.service == service) {
                            Erase(c.resource);
                          } else if (c.IsRootRewrap()) {
                            Clear();
                          }
                        },
                        [this] { Clear(); }});
  }

  std::optional<Meta> Get(const std::string& arn, uint64_t* epoch) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = by_arn_.find(arn);
    if (it != by_arn_.end()) return *it->second.meta;
    *epoch = epoch_;
    return std::nullopt;
  }
  // By alias; `still_named(meta)` says whether the entry still answers to it (the resource
  // may have been renamed since the alias was kept).
  template <typename StillNamed>
  std::optional<Meta> GetByAlias(const std::string& alias, StillNamed still_named,
                                 uint64_t* epoch) {
    std::lock_guard<std::mutex> l(mu_);
    auto a = aliases_.find(alias);
    if (a != aliases_.end()) {
      auto it = by_arn_.find(a->second);
      if (it != by_arn_.end() && still_named(*it->second.meta)) return *it->second.meta;
    }
    *epoch = epoch_;
    return std::nullopt;
  }
  void Keep(const std::string& arn, const Meta& meta, uint64_t epoch,
            const std::string& alias = std::string()) {
    std::lock_guard<std::mutex> l(mu_);
    if (epoch_ != epoch) return;
    if (by_arn_.size() >= max_entries_) {
      by_arn_.clear();
      aliases_.clear();
    }
    auto& e = by_arn_[arn];
    if (!e.meta || e.meta->revision != meta.revision) {
      e.meta = meta;
      e.values.clear();
    }
    if (!alias.empty()) aliases_[alias] = arn;
  }

  std::optional<std::string> GetValue(const std::string& arn, const Version& version,
                                      uint64_t* epoch) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = by_arn_.find(arn);
    if (it != by_arn_.end()) {
      auto v = it->second.values.find(version);
      if (v != it->second.values.end()) return v->second;
    }
    *epoch = epoch_;
    return std::nullopt;
  }
  void KeepValue(const std::string& arn, const Version& version, const std::string& value,
                 uint64_t epoch) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = by_arn_.find(arn);
    // Only beside the metadata it belongs to: an entry (re)filled after a change is new.
    if (epoch_ == epoch && it != by_arn_.end() && it->second.values.size() < max_values_) {
      it->second.values.emplace(version, value);
    }
  }

  void Erase(const std::string& arn) {
    std::lock_guard<std::mutex> l(mu_);
    ++epoch_;
    by_arn_.erase(arn);  // its aliases die with it: they are checked against by_arn_
  }
  void Clear() {
    std::lock_guard<std::mutex> l(mu_);
    ++epoch_;
    by_arn_.clear();
    aliases_.clear();
  }

 private:
  struct Entry {
    std::optional<Meta> meta;
    std::unordered_map<Version, std::string> values;
  };
  const size_t max_entries_;
  const size_t max_values_;
  std::mutex mu_;
  uint64_t epoch_ = 0;  // bumped by every erasure
  std::unordered_map<std::string, Entry> by_arn_;
  std::unordered_map<std::string, std::string> aliases_;  // alias -> ARN
};

}  // namespace arcana::storage
