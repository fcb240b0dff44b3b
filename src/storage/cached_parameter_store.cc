#include "storage/cached_parameter_store.h"

#include "domain/ssm/names.h"

namespace arcana::storage {

namespace {

std::string ArnOf(const Scope& scope, const std::string& key) {
  return domain::ssm::ParameterArn(scope.region, scope.account, key);
}

}  // namespace

CachedParameterStore::CachedParameterStore(ParameterStore& backend, ChangeFollower& follower)
    : backend_(backend),
      follower_(follower),
      cache_(std::make_unique<Cache>(kMaxEntries, kMaxValuesPerParameter)) {
  cache_->Follow(follower_, "ssm");
}
CachedParameterStore::~CachedParameterStore() = default;

Result<std::optional<domain::ssm::Parameter>> CachedParameterStore::GetParameter(
    const Scope& scope, const std::string& key) {
  ARCANA_RETURN_IF_ERROR(follower_.Sync().status());
  const std::string arn = ArnOf(scope, key);
  uint64_t epoch = 0;
  if (auto hit = cache_->Get(arn, &epoch)) return hit;
  ARCANA_ASSIGN_OR_RETURN(auto parameter, backend_.GetParameter(scope, key));
  if (parameter) cache_->Keep(arn, *parameter, epoch);
  return parameter;
}

Result<std::optional<std::string>> CachedParameterStore::GetParameterValue(const Scope& scope,
                                                                          const std::string& key,
                                                                          int64_t version) {
  ARCANA_RETURN_IF_ERROR(follower_.Sync().status());
  const std::string arn = ArnOf(scope, key);
  uint64_t epoch = 0;
  if (auto hit = cache_->GetValue(arn, version, &epoch)) return hit;
  ARCANA_ASSIGN_OR_RETURN(auto value, backend_.GetParameterValue(scope, key, version));
  if (value) cache_->KeepValue(arn, version, *value, epoch);
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

Status CachedParameterStore::CommitResourcePolicy(const ResourcePolicyWrite& write) {
  // Its change row names the parameter's ARN: the cached parameter (with its policies) is
  // erased at this node's next Sync, like any node's.
  return backend_.CommitResourcePolicy(write);
}

Result<std::vector<std::string>> CachedParameterStore::DeleteParameters(
    const Scope& scope, const std::vector<ParameterDelete>& deletes, const std::string& change) {
  return backend_.DeleteParameters(scope, deletes, change);
}

Result<std::vector<ParameterRef>> CachedParameterStore::ListParametersExpiredBefore(
    int64_t now_ms, size_t limit) {
  return backend_.ListParametersExpiredBefore(now_ms, limit);
}

Result<std::optional<domain::ssm::ServiceSettingState>> CachedParameterStore::GetServiceSetting(
    const Scope& scope, const std::string& setting_id) {
  return backend_.GetServiceSetting(scope, setting_id);
}

Status CachedParameterStore::PutServiceSetting(const Scope& scope,
                                               const domain::ssm::ServiceSettingState& state) {
  return backend_.PutServiceSetting(scope, state);
}

Status CachedParameterStore::WipeParameters() {
  Status s = backend_.WipeParameters();
  cache_->Clear();
  return s;
}

}  // namespace arcana::storage
