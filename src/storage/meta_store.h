// Server metadata: small named values shared by every node (initialisation marker, the root
// of trust's verification value and wrapped secrets, token keys). See store_types.h.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace arcana::storage {

// A store's identity: random, made once by whichever node opens the store first, never copied
// into another store (`arcana store copy`). A follower of the change sequence tells by it that
// the sequence it follows was replaced by another's (net/change_stream_api.h).
inline constexpr const char* kStoreIdMeta = "store.id";

class MetaStore {
 public:
  virtual ~MetaStore() = default;
  virtual Result<std::optional<std::string>> GetMeta(const std::string& key) = 0;
  virtual Status PutMeta(const std::string& key, const std::string& value) = 0;
  // Inserts key=value only if key is absent; returns the value stored afterwards (the
  // winner's when several nodes race to initialise the same key).
  virtual Result<std::string> PutMetaIfAbsent(const std::string& key, const std::string& value) = 0;
  // Every key that starts with prefix, with its value, in key (byte) order: the entries of a
  // family of keys no one can name in advance (e.g. audit.node.*, audit/node_head.h).
  virtual Result<std::vector<std::pair<std::string, std::string>>> ListMeta(
      const std::string& prefix) = 0;
};

}  // namespace arcana::storage
