// The storage seam of SSM Parameter Store: parameters per account and region with every kept
// version's metadata (labels, policies, tags) and each version's value. SecureString values
// arrive here already sealed (envelope.h); String/StringList values are stored as given.
// A write returns only after its transaction is durable.
// Thread-safety: every method may be called concurrently from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "domain/ssm/parameter.h"
#include "storage/store.h"

namespace arcana::storage {

struct ParameterValue {
  int64_t version = 0;
  std::string value;  // sealed for SecureString
};

// One parameter's changes, applied atomically.
struct ParameterWrite {
  domain::ssm::Parameter parameter;          // full metadata (all kept versions)
  std::vector<ParameterValue> new_values;    // values of versions created by this write
  std::vector<int64_t> removed_versions;     // versions pruned by this write
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

  // key: the canonical name. Metadata only (no values).
  virtual Result<std::optional<domain::ssm::Parameter>> GetParameter(const Scope& scope,
                                                                      const std::string& key) = 0;
  // Parameters of the scope whose key starts with key_prefix ("" = all), ordered by key,
  // starting after `after_key` ("" = from the start).
  virtual Result<std::vector<domain::ssm::Parameter>> ListParameters(
      const Scope& scope, const std::string& key_prefix, const std::string& after_key) = 0;
  virtual Result<std::optional<std::string>> GetParameterValue(const Scope& scope,
                                                               const std::string& key,
                                                               int64_t version) = 0;
  // Every kept version's value.
  virtual Result<std::map<int64_t, std::string>> GetParameterValues(const Scope& scope,
                                                                    const std::string& key) = 0;
  virtual Result<ParameterCounts> CountParameters(const Scope& scope) = 0;
  virtual Status CommitParameter(const ParameterWrite& write) = 0;
  // Deletes parameters with all their versions in one transaction; returns the keys deleted.
  virtual Result<std::vector<std::string>> DeleteParameters(const Scope& scope,
                                                            const std::vector<std::string>& keys) = 0;
  // Parameters whose Expiration policy time is at or before now_ms, in any scope.
  virtual Result<std::vector<ParameterRef>> ListParametersExpiredBefore(int64_t now_ms) = 0;
};

}  // namespace arcana::storage
