// The storage seam of SSM Parameter Store: parameters per account and region with every kept
// version's metadata (labels, policies, tags) and each version's value. SecureString values
// arrive here already sealed (envelope.h); String/StringList values are stored as given.
// Also Parameter Store's service settings per account and region (domain/ssm/service_settings.h),
// kept in the `meta` table both backends already have (no schema of their own). They are not
// cached by any node, so every node reads the latest write.
// See store_types.h for the contract every component shares (durability, revisions, change
// rows, bounded lists, errors).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "domain/ssm/parameter.h"
#include "domain/ssm/service_settings.h"
#include "storage/store_types.h"

namespace arcana::storage {

struct ParameterValue {
  int64_t version = 0;
  std::string value;  // sealed for SecureString
};

// One parameter's changes, applied atomically. parameter.revision is the revision the caller
// read (0: create; see store_types.h).
struct ParameterWrite {
  domain::ssm::Parameter parameter;          // full metadata (all kept versions)
  std::vector<ParameterValue> new_values;    // values of versions created by this write
  std::vector<int64_t> removed_versions;     // versions pruned by this write
  std::string change;  // the Change kind recorded (change_log.h), e.g. "PutParameter"
  // A create (revision 0) given a quota is refused with kParameterLimitExceeded (nothing
  // applied) when the scope already holds that many parameters of the new parameter's tier
  // (Standard: any tier but Advanced). Counted inside the commit's transaction on the tier's
  // counter row (PostgreSQL: locked by the increment; SQLite: its single writer), so
  // concurrent creates on any node cannot all pass a count read before they commit.
  std::optional<int64_t> create_quota;
};

// A parameter removed with all its versions. expected_revision 0: whatever is stored.
struct ParameterDelete {
  std::string key;  // canonical name
  int64_t expected_revision = 0;
};

// A change to one parameter's resource policies (domain/ssm/resource_policy.h), applied
// atomically with a bump of the parameter's revision and one change row naming its ARN, so
// every node's cached copy (which holds the policies) is dropped as for any other write.
struct ResourcePolicyWrite {
  Scope scope;
  std::string key;                 // canonical name of the parameter
  int64_t expected_revision = 0;   // the revision read: kWriteConflict otherwise
  // Inserted, or replaced when a policy with its id exists; nullopt: nothing put.
  std::optional<domain::ssm::ResourcePolicy> put;
  std::string remove_id;           // a policy id deleted ("" = none)
  std::string change;              // the Change kind recorded, e.g. "PutResourcePolicy"
};

struct ParameterRef {
  Scope scope;
  std::string key;  // canonical name (domain::ssm::NameKey)
};

struct ParameterCounts {
  int64_t standard = 0;
  int64_t advanced = 0;
};

class ParameterStore {
 public:
  virtual ~ParameterStore() = default;

  // key: the canonical name. Metadata only (no values), with its resource policies.
  virtual Result<std::optional<domain::ssm::Parameter>> GetParameter(const Scope& scope,
                                                                      const std::string& key) = 0;
  // Parameters of the scope whose key starts with key_prefix ("" = all), ordered by key,
  // starting after `after_key` ("" = from the start), at most limit (an index serves it).
  virtual Result<std::vector<domain::ssm::Parameter>> ListParameters(
      const Scope& scope, const std::string& key_prefix, const std::string& after_key,
      size_t limit) = 0;
  virtual Result<std::optional<std::string>> GetParameterValue(const Scope& scope,
                                                               const std::string& key,
                                                               int64_t version) = 0;
  // Every kept version's value.
  virtual Result<std::map<int64_t, std::string>> GetParameterValues(const Scope& scope,
                                                                    const std::string& key) = 0;
  // O(1): counters kept per scope and tier in the same transactions as the writes.
  virtual Result<ParameterCounts> CountParameters(const Scope& scope) = 0;
  // kWriteConflict on a revision mismatch; kParameterLimitExceeded past write.create_quota
  // (nothing applied either way).
  virtual Status CommitParameter(const ParameterWrite& write) = 0;
  // kWriteConflict when the parameter is gone or its revision is not expected_revision
  // (nothing applied).
  virtual Status CommitResourcePolicy(const ResourcePolicyWrite& write) = 0;
  // Deletes parameters with all their versions and resource policies in one transaction;
  // returns the keys deleted (absent keys, and keys whose revision differs from a non-zero
  // expected_revision, are skipped). `change` is the Change kind recorded, e.g. "DeleteParameters", "ExpireParameter".
  virtual Result<std::vector<std::string>> DeleteParameters(
      const Scope& scope, const std::vector<ParameterDelete>& deletes,
      const std::string& change) = 0;
  // Parameters (any scope) whose Expiration policy time is at or before now_ms, at most limit.
  virtual Result<std::vector<ParameterRef>> ListParametersExpiredBefore(int64_t now_ms,
                                                                        size_t limit) = 0;
  // The stored state of a service setting (setting_id: "/ssm/parameter-store/..."), nullopt
  // when none was ever written in this scope (the caller answers the default).
  virtual Result<std::optional<domain::ssm::ServiceSettingState>> GetServiceSetting(
      const Scope& scope, const std::string& setting_id) = 0;
  // Stores a setting's state (an update, or a reset to its default), replacing what was there:
  // the last write wins, as concurrent UpdateServiceSetting calls do on AWS. Durable on return.
  virtual Status PutServiceSetting(const Scope& scope,
                                   const domain::ssm::ServiceSettingState& state) = 0;
  // Dev-mode reset: drops every parameter and every service setting.
  virtual Status WipeParameters() = 0;
};

}  // namespace arcana::storage
