// PgEventRuleStore's archives and replays (storage/event_rule_store.h): tables event_docs and
// event_archive_events (step 7 of component "events", pg_event_rule_store.cc). A creation
// inserts with ON CONFLICT DO NOTHING, so two nodes creating one name agree on one winner;
// updates and deletes lock the document's row.
#include <algorithm>

#include "storage/postgres/pg_event_rule_store.h"

namespace arcana::storage::pg {

Status PgEventRuleStore::CreateEventDoc(const Scope& scope, const std::string& kind,
                                        const std::string& name, const std::string& arn,
                                        const std::string& document, const std::string& op) {
  return db_.Write("write event document", [&](Tx& tx) -> Status {
    if (tx.Exec("INSERT INTO event_docs (account, region, kind, name, arn, document) "
                "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING 1",
                {scope.account, scope.region, kind, name, arn, document})
            .empty()) {
      return Status(ErrorCode::kResourceExists, kind + " " + name + " exists");
    }
    tx.AddChange({0, 0, scope.account, scope.region, "events", arn, op});
    return Status::Ok();
  });
}

Status PgEventRuleStore::UpdateEventDoc(const Scope& scope, const std::string& kind,
                                        const std::string& name, const std::string& document,
                                        const std::string& op) {
  return db_.Write("write event document", [&](Tx& tx) -> Status {
    auto r = tx.Exec("UPDATE event_docs SET document = $1 WHERE account = $2 AND region = $3 "
                     "AND kind = $4 AND name = $5 RETURNING arn",
                     {document, scope.account, scope.region, kind, name});
    if (r.empty()) return Status(ErrorCode::kResourceNotFound, "no " + kind + " " + name);
    tx.AddChange({0, 0, scope.account, scope.region, "events", Text(r[0][0]), op});
    return Status::Ok();
  });
}

Result<std::optional<std::string>> PgEventRuleStore::GetEventDoc(const Scope& scope,
                                                                 const std::string& kind,
                                                                 const std::string& name) {
  std::optional<std::string> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read event document", [&](Tx& tx) {
    auto r = tx.Exec("SELECT document FROM event_docs WHERE account = $1 AND region = $2 AND "
                     "kind = $3 AND name = $4",
                     {scope.account, scope.region, kind, name});
    if (!r.empty()) out = Text(r[0][0]);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> PgEventRuleStore::ListEventDocs(
    const Scope& scope, const std::string& kind, const std::string& name_prefix,
    const std::string& after_name, size_t limit) {
  std::vector<std::pair<std::string, std::string>> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("list event documents", [&](Tx& tx) {
    for (const auto& row :
         tx.Exec("SELECT name, document FROM event_docs WHERE account = $1 AND region = $2 AND "
                 "kind = $3 AND name > $4 AND starts_with(name, $5) ORDER BY name LIMIT $6",
                 {scope.account, scope.region, kind, after_name, name_prefix,
                  std::min(limit, kMaxListLimit)})) {
      out.emplace_back(Text(row[0]), Text(row[1]));
    }
    return Status::Ok();
  }));
  return out;
}

Status PgEventRuleStore::DeleteEventDoc(const Scope& scope, const std::string& kind,
                                        const std::string& name, const std::string& op) {
  return db_.Write("delete event document", [&](Tx& tx) -> Status {
    auto r = tx.Exec("DELETE FROM event_docs WHERE account = $1 AND region = $2 AND kind = $3 "
                     "AND name = $4 RETURNING arn",
                     {scope.account, scope.region, kind, name});
    if (r.empty()) return Status(ErrorCode::kResourceNotFound, "no " + kind + " " + name);
    if (kind == kArchiveDoc) {
      tx.Exec("DELETE FROM event_archive_events WHERE account = $1 AND region = $2 AND "
              "archive = $3",
              {scope.account, scope.region, name});
    }
    tx.AddChange({0, 0, scope.account, scope.region, "events", Text(r[0][0]), op});
    return Status::Ok();
  });
}

Status PgEventRuleStore::ArchiveEvent(const Scope& scope, const std::string& archive,
                                      int64_t time_ms, int64_t expires_ms,
                                      const std::string& json) {
  return db_.Write("archive event", [&](Tx& tx) -> Status {
    // Holds the archive's row, so a DeleteArchive on another node waits or comes first: an
    // archive is never deleted with an event left behind.
    if (tx.Exec("SELECT 1 FROM event_docs WHERE account = $1 AND region = $2 AND kind = "
                "'archive' AND name = $3 FOR SHARE",
                {scope.account, scope.region, archive})
            .empty()) {
      return Status::Ok();  // deleted meanwhile: nothing to keep
    }
    tx.Exec("INSERT INTO event_archive_events (account, region, archive, time_ms, expires_ms, "
            "size, json) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            {scope.account, scope.region, archive, time_ms, expires_ms,
             static_cast<int64_t>(json.size()), json});
    return Status::Ok();
  });
}

Result<std::map<std::string, ArchiveStats>> PgEventRuleStore::ArchiveStatsOf(
    const Scope& scope, const std::vector<std::string>& archives) {
  std::map<std::string, ArchiveStats> out;
  if (archives.empty()) return out;
  ARCANA_RETURN_IF_ERROR(db_.Read("count archived events", [&](Tx& tx) {
    for (const auto& row :
         tx.Exec("SELECT archive, count(*), coalesce(sum(size), 0) FROM event_archive_events "
                 "WHERE account = $1 AND region = $2 AND archive = ANY($3::text[]) "
                 "GROUP BY archive",
                 {scope.account, scope.region, Param::TextArray(archives)})) {
      out[Text(row[0])] = {Int(row[1]), Int(row[2])};
    }
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<ArchivedEvent>> PgEventRuleStore::ListArchivedEvents(
    const Scope& scope, const std::string& archive, int64_t from_ms, int64_t to_ms,
    int64_t after_seq, size_t limit) {
  std::vector<ArchivedEvent> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("list archived events", [&](Tx& tx) {
    for (const auto& row : tx.Exec(
             "SELECT seq, time_ms, json FROM event_archive_events WHERE account = $1 AND "
             "region = $2 AND archive = $3 AND seq > $4 AND time_ms >= $5 AND time_ms < $6 "
             "ORDER BY seq LIMIT $7",
             {scope.account, scope.region, archive, after_seq, from_ms, to_ms,
              std::min(limit, kMaxListLimit)})) {
      out.push_back({Int(row[0]), Int(row[1]), Text(row[2])});
    }
    return Status::Ok();
  }));
  return out;
}

Status PgEventRuleStore::SetArchiveRetention(const Scope& scope, const std::string& archive,
                                             int64_t retention_ms) {
  return db_.Write("set archive retention", [&](Tx& tx) -> Status {
    tx.Exec("UPDATE event_archive_events SET expires_ms = CASE WHEN $1::bigint = 0 THEN 0 "
            "ELSE time_ms + $1::bigint END WHERE account = $2 AND region = $3 AND archive = $4",
            {retention_ms, scope.account, scope.region, archive});
    return Status::Ok();
  });
}

Result<size_t> PgEventRuleStore::TrimArchivedEvents(int64_t now_ms) {
  size_t deleted = 0;
  ARCANA_RETURN_IF_ERROR(db_.Write("trim archived events", [&](Tx& tx) -> Status {
    deleted = tx.Exec("DELETE FROM event_archive_events WHERE expires_ms > 0 AND "
                      "expires_ms <= $1",
                      {now_ms})
                  .affected_rows();
    return Status::Ok();
  }));
  return deleted;
}

}  // namespace arcana::storage::pg
