#include "storage/postgres/pg_event_delivery_store.h"

#include <algorithm>

namespace arcana::storage::pg {

namespace {

// A free lease has owner '' and lease_until_ms 0.
const char* const kDeliveriesV1 = R"sql(
CREATE TABLE event_deliveries (
  id              TEXT COLLATE "C" PRIMARY KEY,
  account         TEXT NOT NULL,
  region          TEXT NOT NULL,
  rule_arn        TEXT NOT NULL,
  target_id       TEXT NOT NULL,
  url             TEXT NOT NULL,
  body            TEXT NOT NULL,
  max_retries     INTEGER NOT NULL,
  max_age_ms      BIGINT,
  created_ms      BIGINT NOT NULL,
  next_attempt_ms BIGINT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT NOT NULL DEFAULT '',
  dead            BOOLEAN NOT NULL DEFAULT false,
  finished_ms     BIGINT NOT NULL DEFAULT 0,
  owner           TEXT COLLATE "C" NOT NULL DEFAULT '',
  lease_until_ms  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX event_deliveries_due ON event_deliveries (dead, next_attempt_ms);
CREATE INDEX event_deliveries_finished ON event_deliveries (dead, finished_ms);
CREATE TABLE event_denials (
  principal       TEXT COLLATE "C" NOT NULL,
  window_start_ms BIGINT NOT NULL,
  count           BIGINT NOT NULL,
  PRIMARY KEY (principal, window_start_ms)
);
CREATE INDEX event_denials_by_start ON event_denials (window_start_ms);
)sql";

constexpr const char* kColumns =
    "id, account, region, rule_arn, target_id, url, body, max_retries, max_age_ms, created_ms, "
    "next_attempt_ms, attempts, last_error, dead, finished_ms";

EventDelivery Decode(const pqxx::row& row) {
  EventDelivery d;
  d.id = Text(row[0]);
  d.account = Text(row[1]);
  d.region = Text(row[2]);
  d.rule_arn = Text(row[3]);
  d.target_id = Text(row[4]);
  d.url = Text(row[5]);
  d.body = Text(row[6]);
  d.max_retries = static_cast<int>(Int(row[7]));
  d.max_age_ms = OptInt(row[8]);
  d.created_ms = Int(row[9]);
  d.next_attempt_ms = Int(row[10]);
  d.attempts = static_cast<int>(Int(row[11]));
  d.last_error = Text(row[12]);
  d.dead = row[13].as<bool>();
  d.finished_ms = Int(row[14]);
  return d;
}

int64_t CountPending(Tx& tx, size_t up_to) {
  return Int(tx.Exec("SELECT count(*) FROM (SELECT 1 FROM event_deliveries WHERE NOT dead "
                     "LIMIT $1) p",
                     {up_to})[0][0]);
}

}  // namespace

Migrations PgEventDeliveryStore::Schema() { return {"event_deliveries", {kDeliveriesV1}}; }

Result<size_t> PgEventDeliveryStore::AddDeliveries(const std::vector<EventDelivery>& deliveries,
                                                   const std::string& owner,
                                                   int64_t lease_until_ms, size_t max_pending) {
  size_t added = 0;
  ARCANA_RETURN_IF_ERROR(db_.Write("add deliveries", [&](Tx& tx) -> Status {
    added = 0;
    const int64_t pending = CountPending(tx, max_pending);
    const size_t room = max_pending > static_cast<size_t>(pending) ? max_pending - pending : 0;
    for (const auto& d : deliveries) {
      if (added == room) break;
      tx.Exec(
          "INSERT INTO event_deliveries (id, account, region, rule_arn, target_id, url, body, "
          "max_retries, max_age_ms, created_ms, next_attempt_ms, attempts, owner, lease_until_ms) "
          "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) ON CONFLICT (id) DO NOTHING",
          {d.id, d.account, d.region, d.rule_arn, d.target_id, d.url, d.body, d.max_retries,
           d.max_age_ms, d.created_ms, d.next_attempt_ms, d.attempts, owner,
           owner.empty() ? int64_t{0} : lease_until_ms});
      ++added;
    }
    return Status::Ok();
  }));
  return added;
}

Result<std::vector<EventDelivery>> PgEventDeliveryStore::ClaimDueDeliveries(
    const std::string& owner, int64_t now_ms, int64_t lease_ms, size_t limit) {
  std::vector<EventDelivery> out;
  ARCANA_RETURN_IF_ERROR(db_.Write("claim deliveries", [&](Tx& tx) {
    out.clear();
    // The rows locked by the subquery are re-checked as they are locked (READ COMMITTED),
    // and rows another claimer holds are skipped, not waited for.
    for (const auto& row : tx.Exec(
             std::string("UPDATE event_deliveries SET owner = $1, "
                         "lease_until_ms = $2::bigint + $3::bigint "
                         "WHERE id IN (SELECT id FROM event_deliveries WHERE NOT dead "
                         "  AND next_attempt_ms <= $2 AND lease_until_ms <= $2 "
                         "  ORDER BY next_attempt_ms, id LIMIT $4 FOR UPDATE SKIP LOCKED) "
                         "RETURNING ") + kColumns,
             {owner, now_ms, lease_ms, std::min(limit, kMaxListLimit)})) {
      out.push_back(Decode(row));
    }
    return Status::Ok();
  }));
  std::sort(out.begin(), out.end(), [](const EventDelivery& a, const EventDelivery& b) {
    return a.next_attempt_ms != b.next_attempt_ms ? a.next_attempt_ms < b.next_attempt_ms
                                                  : a.id < b.id;
  });
  return out;
}

Result<bool> PgEventDeliveryStore::RenewDeliveryLease(const std::string& id,
                                                      const std::string& owner, int64_t until_ms) {
  bool held = false;
  ARCANA_RETURN_IF_ERROR(db_.Write("renew delivery lease", [&](Tx& tx) {
    held = !tx.Exec("UPDATE event_deliveries SET lease_until_ms = $3 "
                    "WHERE id = $1 AND owner = $2 AND NOT dead RETURNING 1",
                    {id, owner, until_ms})
                .empty();
    return Status::Ok();
  }));
  return held;
}

Result<std::vector<bool>> PgEventDeliveryStore::RecordOutcomes(
    const std::string& owner, const std::vector<DeliveryOutcome>& outcomes) {
  std::vector<bool> applied;
  ARCANA_RETURN_IF_ERROR(db_.Write("record delivery outcomes", [&](Tx& tx) {
    applied.assign(outcomes.size(), false);
    for (size_t i = 0; i < outcomes.size(); ++i) {
      const DeliveryOutcome& o = outcomes[i];
      pqxx::result r;
      switch (o.kind) {
        case DeliveryOutcome::Kind::kDelivered:
          r = tx.Exec("DELETE FROM event_deliveries WHERE id = $1 AND owner = $2 AND NOT dead "
                      "RETURNING 1",
                      {o.id, owner});
          break;
        case DeliveryOutcome::Kind::kRetry:
          r = tx.Exec("UPDATE event_deliveries SET attempts = $3, last_error = $4, "
                      "next_attempt_ms = $5, lease_until_ms = $6 "
                      "WHERE id = $1 AND owner = $2 AND NOT dead RETURNING 1",
                      {o.id, owner, o.attempts, o.error, o.at_ms, o.lease_until_ms});
          break;
        case DeliveryOutcome::Kind::kDead:
          r = tx.Exec("UPDATE event_deliveries SET attempts = $3, last_error = $4, "
                      "finished_ms = $5, dead = true, owner = '', lease_until_ms = 0 "
                      "WHERE id = $1 AND owner = $2 AND NOT dead RETURNING 1",
                      {o.id, owner, o.attempts, o.error, o.at_ms});
          break;
      }
      applied[i] = !r.empty();
    }
    return Status::Ok();
  }));
  return applied;
}

Result<size_t> PgEventDeliveryStore::ReleaseDeliveries(const std::string& owner_prefix) {
  size_t n = 0;
  ARCANA_RETURN_IF_ERROR(db_.Write("release deliveries", [&](Tx& tx) {
    n = tx.Exec("UPDATE event_deliveries SET owner = '', lease_until_ms = 0 "
                "WHERE NOT dead AND owner <> '' AND left(owner, length($1)) = $1",
                {owner_prefix})
            .affected_rows();
    return Status::Ok();
  }));
  return n;
}

Result<std::vector<EventDelivery>> PgEventDeliveryStore::ListDeliveries(bool dead,
                                                                        const std::string& after_id,
                                                                        size_t limit) {
  std::vector<EventDelivery> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("list deliveries", [&](Tx& tx) {
    for (const auto& row :
         tx.Exec(std::string("SELECT ") + kColumns +
                     " FROM event_deliveries WHERE dead = $1::boolean AND id > $2 "
                     "ORDER BY id LIMIT $3",
                 {dead ? "true" : "false", after_id, std::min(limit, kMaxListLimit)})) {
      out.push_back(Decode(row));
    }
    return Status::Ok();
  }));
  return out;
}

Result<size_t> PgEventDeliveryStore::CountPendingDeliveries(size_t up_to) {
  size_t n = 0;
  ARCANA_RETURN_IF_ERROR(db_.Read("count deliveries", [&](Tx& tx) {
    n = static_cast<size_t>(CountPending(tx, up_to));
    return Status::Ok();
  }));
  return n;
}

Result<size_t> PgEventDeliveryStore::TrimDeliveries(int64_t before_ms, size_t keep_dead) {
  size_t n = 0;
  ARCANA_RETURN_IF_ERROR(db_.Write("trim deliveries", [&](Tx& tx) {
    n = tx.Exec("DELETE FROM event_deliveries WHERE dead AND finished_ms < $1", {before_ms})
            .affected_rows();
    n += tx.Exec("DELETE FROM event_deliveries WHERE id IN (SELECT id FROM event_deliveries "
                 "WHERE dead ORDER BY finished_ms DESC, id DESC OFFSET $1)",
                 {keep_dead})
             .affected_rows();
    return Status::Ok();
  }));
  return n;
}

Result<int64_t> PgEventDeliveryStore::CountDenial(const std::string& principal, int64_t now_ms,
                                                  int64_t window_ms, int64_t bucket_ms,
                                                  int64_t threshold) {
  int64_t fired = 0;
  ARCANA_RETURN_IF_ERROR(db_.Write("count denial", [&](Tx& tx) {
    fired = 0;
    // Held to the end of the transaction: one node at a time counts (and resets) this
    // principal's burst, so it fires once.
    tx.Exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 7211))", {principal});
    tx.Exec("INSERT INTO event_denials (principal, window_start_ms, count) VALUES ($1, $2, 1) "
            "ON CONFLICT (principal, window_start_ms) DO UPDATE "
            "SET count = event_denials.count + 1",
            {principal, now_ms - now_ms % bucket_ms});
    const int64_t oldest = now_ms - window_ms - bucket_ms;  // buckets that ended before the window
    const int64_t total = Int(tx.Exec("SELECT coalesce(sum(count), 0) FROM event_denials "
                                      "WHERE principal = $1 AND window_start_ms > $2",
                                      {principal, oldest})[0][0]);
    // A burst resets the principal's count; otherwise only the buckets out of the window go.
    tx.Exec("DELETE FROM event_denials WHERE principal = $1 AND window_start_ms <= $2",
            {principal, total >= threshold ? INT64_MAX : oldest});
    if (total >= threshold) fired = total;
    return Status::Ok();
  }));
  return fired;
}

Result<size_t> PgEventDeliveryStore::TrimDenials(int64_t before_ms) {
  size_t n = 0;
  ARCANA_RETURN_IF_ERROR(db_.Write("trim denials", [&](Tx& tx) {
    n = tx.Exec("DELETE FROM event_denials WHERE window_start_ms < $1", {before_ms})
            .affected_rows();
    return Status::Ok();
  }));
  return n;
}

}  // namespace arcana::storage::pg
