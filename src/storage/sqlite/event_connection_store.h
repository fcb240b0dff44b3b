// The SQLite EventConnectionStore (storage/event_connection_store.h): table
// event_connections (component "event-connections"). Every write runs in one database
// write, so the checks it makes (a destination's connection exists, a connection is unused)
// hold when it commits.
#pragma once

#include "storage/event_connection_store.h"
#include "storage/sqlite/database.h"

namespace arcana::storage::sqlite {

class SqliteEventConnectionStore : public EventConnectionStore {
 public:
  explicit SqliteEventConnectionStore(Database& db) : db_(db) {}
  static Migrations Schema();

  Status CreateEventConnection(const Scope& scope, const EventConnectionRecord& rec) override;
  Result<std::optional<EventConnectionRecord>> GetEventConnection(
      const Scope& scope, const std::string& kind, const std::string& name) override;
  Result<std::vector<EventConnectionRecord>> ListEventConnections(
      const Scope& scope, const std::string& kind, const std::string& name_prefix,
      const std::string& state, const std::string& connection, const std::string& after_name,
      size_t limit) override;
  Status UpdateEventConnection(const Scope& scope, const EventConnectionRecord& rec,
                               const EventConnectionRecord& expected,
                               const std::string& op) override;
  Status DeleteEventConnection(const Scope& scope, const std::string& kind,
                               const std::string& name) override;
  Status WipeEventConnections() override;

 private:
  Database& db_;
};

}  // namespace arcana::storage::sqlite
