// The PostgreSQL EventConnectionStore (storage/event_connection_store.h): table
// event_connections (component "event-connections"). A destination's write holds its
// connection's row FOR SHARE and DeleteEventConnection takes it FOR UPDATE before looking for
// destinations, so a connection is never deleted while a destination written on another node
// names it.
// Thread-safety: as every store component (store_types.h).
#pragma once

#include "storage/event_connection_store.h"
#include "storage/postgres/pg_database.h"

namespace arcana::storage::pg {

class PgEventConnectionStore : public EventConnectionStore {
 public:
  explicit PgEventConnectionStore(Database& db) : db_(db) {}
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

}  // namespace arcana::storage::pg
