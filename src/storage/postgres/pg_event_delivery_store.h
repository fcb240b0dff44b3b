// The PostgreSQL EventDeliveryStore (storage/event_delivery_store.h): tables
// event_deliveries and event_denials (component "event_deliveries"). Claims lock the rows
// they take (FOR UPDATE SKIP LOCKED, re-checked as locked), so two nodes never claim one
// delivery; a denial takes a transaction-scoped advisory lock on its principal, so the
// count-and-reset of one principal's burst is serialised across nodes.
// Thread-safety: as every store component (store_types.h).
#pragma once

#include "storage/event_delivery_store.h"
#include "storage/postgres/pg_database.h"

namespace arcana::storage::pg {

class PgEventDeliveryStore : public EventDeliveryStore {
 public:
  explicit PgEventDeliveryStore(Database& db) : db_(db) {}
  static Migrations Schema();

  Result<size_t> AddDeliveries(const std::vector<EventDelivery>& deliveries,
                               const std::string& owner, int64_t lease_until_ms,
                               size_t max_pending) override;
  Result<std::vector<EventDelivery>> ClaimDueDeliveries(const std::string& owner, int64_t now_ms,
                                                        int64_t lease_ms, size_t limit) override;
  Result<bool> RenewDeliveryLease(const std::string& id, const std::string& owner,
                                  int64_t until_ms) override;
  Result<std::vector<bool>> RecordOutcomes(const std::string& owner,
                                           const std::vector<DeliveryOutcome>& outcomes) override;
  Result<size_t> ReleaseDeliveries(const std::string& owner_prefix) override;
  Result<std::vector<EventDelivery>> ListDeliveries(bool dead, const std::string& after_id,
                                                    size_t limit) override;
  Result<size_t> CountPendingDeliveries(size_t up_to) override;
  Result<size_t> TrimDeliveries(int64_t before_ms, size_t keep_dead) override;
  Result<int64_t> CountDenial(const std::string& principal, int64_t now_ms, int64_t window_ms,
                              int64_t bucket_ms, int64_t threshold) override;
  Result<size_t> TrimDenials(int64_t before_ms) override;

 private:
  Database& db_;
};

}  // namespace arcana::storage::pg
