#include "storage/event_delivery_store.h"

#include <cstdio>

#include "crypto/hash.h"
#include "crypto/random.h"

namespace arcana::storage {

std::string NewDeliveryId(int64_t created_ms) {
  char stamp[24];
  std::snprintf(stamp, sizeof(stamp), "%016lld", static_cast<long long>(created_ms));
  return std::string(stamp) + "-" + crypto::HexEncode(crypto::RandomBytes(8));
}

}  // namespace arcana::storage
