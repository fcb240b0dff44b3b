// Access keys of the SigV4 identities: each secret access key is stored only sealed under the
// root key. See store_types.h for the shared contract. Puts and deletes append Change rows
// (service "arcana", resource = the access key id), so every node's credential cache drops a
// deleted key on its next freshness check.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/store_types.h"

namespace arcana::storage {

struct AccessKeyRecord {
  std::string access_key_id;
  std::string sealed_secret;  // the secret access key, sealed under the root key
  std::string account_id;
  std::string principal_arn;
  int64_t created_ms = 0;
};

class AccessKeyStore {
 public:
  virtual ~AccessKeyStore() = default;
  // kResourceExists when the id is taken.
  virtual Status PutAccessKey(const AccessKeyRecord& key) = 0;
  virtual Result<std::optional<AccessKeyRecord>> GetAccessKey(const std::string& id) = 0;
  // Ordered by id, starting after `after_id` ("" = from the start), at most limit.
  virtual Result<std::vector<AccessKeyRecord>> ListAccessKeys(const std::string& after_id,
                                                              size_t limit) = 0;
  // kResourceNotFound when absent.
  virtual Status DeleteAccessKey(const std::string& id) = 0;
};

}  // namespace arcana::storage
