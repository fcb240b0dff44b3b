#include "storage/cached_parameter_store.h"

#include <mutex>
#include <unordered_map>

#include "domain/ssm/names.h"

namespace arcana::storage {

struct CachedParameterStore::Cache {
  struct Entry {
    std::shared_ptr<const domain::ssm::Parameter> parameter;
    std::unordered_map<int64_t, std::string> values;  // version -> value (sealed if secure)
  };
  std::mutex mu;
  // Bumped by every erasure: a row read before an erasure may be older than the change that
  // caused it, so it is not kept (change_follower.h, step 3).
  uint64_t epoch = 0;
  // By ARN: what a parameter's change row names (the same for every spelling of its name).
  std::unordered_map<std::string, Entry> by_arn;

  static std::string ArnOf(const Scope& scope, const std::string& key) {
    return domain::ssm::ParameterArn(scope.region, scope.account, key);
  }
  void EraseArn(const std::string& arn) {
    std::lock_guard<std::mutex> l(mu);
    ++epoch;
    by_arn.erase(arn);
  }
  void Clear() {
    std::lock_guard<std::mutex> l(mu);
    ++epoch;
    by_arn.clear();
  }
};

CachedParameterStore::CachedParameterStore(ParameterStore& backend, ChangeFollower& follower)
    : backend_(backend), follower_(follower), cache_(std::make_unique<Cache>()) {
  Cache* cache = cache_.get();
  follower_.Subscribe({[cache](const Change& c) {
                         if (c.service == "ssm") {
                           cache->EraseArn(c.resource);
                         } else if (c.IsRootRewrap()) {
                           cache->Clear();  // every sealed value was rewrapped
                         }
                       },
                       [cache] { cache->Clear(); }});
}
CachedParameterStore::~CachedParameterStore() = default;

Result<std::optional<domain::ssm::Parameter>> CachedParameterStore::GetParameter(
    const Scope& scope, const std::string& key) {
  ARCANA_RETURN_IF_ERROR(follower_.Sync().status());
  const std::string arn = Cache::ArnOf(scope, key);
  uint64_t epoch;
  {
    std::lock_guard<std::mutex> l(cache_->mu);
    auto it = cache_->by_arn.find(arn);
    if (it != cache_->by_arn.end()) {
      return std::optional<domain::ssm::Parameter>(*it->second.parameter);
    }
    epoch = cache_->epoch;
  }
  ARCANA_ASSIGN_OR_RETURN(auto parameter, backend_.GetParameter(scope, key));
  if (!parameter) return parameter;
  std::lock_guard<std::mutex> l(cache_->mu);
  if (cache_->epoch != epoch) return parameter;
  if (cache_->by_arn.size() >= kMaxEntries) cache_->by_arn.clear();
  auto& e = cache_->by_arn[arn];
  if (!e.parameter || e.parameter->revision != parameter->revision) {
    e.parameter = std::make_shared<const domain::ssm::Parameter>(*parameter);
    e.values.clear();
  }
  return parameter;
}

Result<std::optional<std::string>> CachedParameterStore::GetParameterValue(const Scope& scope,
                                                                          const std::string& key,
                                                                          int64_t version) {
  ARCANA_RETURN_IF_ERROR(follower_.Sync().status());
  const std::string arn = Cache::ArnOf(scope, key);
  uint64_t epoch;
  {
    std::lock_guard<std::mutex> l(cache_->mu);
    auto it = cache_->by_arn.find(arn);
    if (it != cache_->by_arn.end()) {
      auto v = it->second.values.find(version);
      if (v != it->second.values.end()) return std::optional<std::string>(v->second);
    }
    epoch = cache_->epoch;
  }
  ARCANA_ASSIGN_OR_RETURN(auto value, backend_.GetParameterValue(scope, key, version));
  if (value) {
    std::lock_guard<std::mutex> l(cache_->mu);
    auto it = cache_->by_arn.find(arn);
    // Only beside the metadata it belongs to: an entry (re)filled after a change is new.
    if (cache_->epoch == epoch && it != cache_->by_arn.end() &&
        it->second.values.size() < kMaxValuesPerParameter) {
      it->second.values.emplace(version, *value);
    }
  }
  return value;
}

Result<std::vector<domain::ssm::Parameter>> CachedParameterStore::ListParameters(
    const Scope& scope, const std::string& key_prefix, const std::string& after_key,
    size_t limit) {
  return backend_.ListParameters(scope, key_prefix, after_key, limit);
}

Result<std::map<int64_t, std::string>> CachedParameterStore::GetParameterValues(
    const Scope& scope, const std::string& key) {
  return backend_.GetParameterValues(scope, key);
}

Result<ParameterCounts> CachedParameterStore::CountParameters(const Scope& scope) {
  return backend_.CountParameters(scope);
}

Status CachedParameterStore::CommitParameter(const ParameterWrite& write) {
  // The commit's change row erases the entry at this node's next Sync, like any node's.
  return backend_.CommitParameter(write);
}

Result<std::vector<std::string>> CachedParameterStore::DeleteParameters(
    const Scope& scope, const std::vector<ParameterDelete>& deletes, const std::string& change) {
  return backend_.DeleteParameters(scope, deletes, change);
}

Result<std::vector<ParameterRef>> CachedParameterStore::ListParametersExpiredBefore(
    int64_t now_ms, size_t limit) {
  return backend_.ListParametersExpiredBefore(now_ms, limit);
}

Status CachedParameterStore::WipeParameters() {
  Status s = backend_.WipeParameters();
  cache_->Clear();
  return s;
}

}  // namespace arcana::storage
