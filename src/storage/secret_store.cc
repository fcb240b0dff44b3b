#include "storage/secret_store.h"

namespace arcana::storage {

SecretPosition SecretStore::PositionOf(const domain::sm::Secret& s, SecretOrder order) {
  SecretPosition p;
  p.arn = s.arn;
  switch (order) {
    case SecretOrder::kCreated: p.number = s.created_ms; break;
    case SecretOrder::kName: p.name = s.name; break;
    case SecretOrder::kLastChanged: p.number = s.last_changed_ms.value_or(0); break;
    case SecretOrder::kLastAccessed: p.number = s.last_accessed_ms.value_or(0); break;
  }
  return p;
}

}  // namespace arcana::storage
