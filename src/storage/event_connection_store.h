// EventBridge connections and API destinations (services/events: CreateConnection,
// CreateApiDestination, ...), per account and region. See store_types.h for the shared
// contract.
// Both kinds are rows of one shape (EventConnectionRecord), told apart by `kind`, unique by
// (scope, kind, name). The store keeps their documents as given: `document` (what the API
// answers, no secret in it) and `sealed` (a connection's credentials, already sealed by the
// service under the root key: the store never sees a plaintext) are the service's to write
// and read. An API destination names its connection by name (`connection`): creating or
// updating one needs that connection (checked in the write), and a connection is not deleted
// while a destination names it, so no destination is ever left pointing at nothing.
// Every write appends one Change (service "events", resource = the row's ARN, kind = the
// operation) in its transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/store_types.h"

namespace arcana::storage {

inline constexpr const char* kEventConnectionKind = "connection";
inline constexpr const char* kEventApiDestinationKind = "api-destination";

struct EventConnectionRecord {
  std::string kind;      // kEventConnectionKind | kEventApiDestinationKind
  std::string name;      // [.-_A-Za-z0-9]{1,64}, unique per kind in a scope
  std::string arn;       // arn:aws:events:<region>:<account>:<kind>/<name>/<uuid>
  std::string state;     // ConnectionState (connections); "" for destinations (derived)
  std::string document;  // JSON, the service's: never a secret
  // connections: the credentials, base64 text of a blob the service sealed under the root
  // key with EventConnectionSecretAad(arn) (the root's rotation re-seals it: root_store.h;
  // a write of one sealed under a key that is no longer the store's root is refused,
  // kServiceUnavailable: storage/root_guard.h); "" when none (deauthorized).
  std::string sealed;
  std::string connection;  // destinations: their connection's name; "" for connections
  int64_t created_ms = 0;
  int64_t modified_ms = 0;
  int64_t authorized_ms = 0;  // connections: when last authorized (0: never)
};

class EventConnectionStore {
 public:
  virtual ~EventConnectionStore() = default;
  // kResourceExists when the scope has a row of that kind and name; a destination whose
  // connection does not exist is kResourceNotFound. One change, "Create<Kind>".
  virtual Status CreateEventConnection(const Scope& scope, const EventConnectionRecord& rec) = 0;
  virtual Result<std::optional<EventConnectionRecord>> GetEventConnection(
      const Scope& scope, const std::string& kind, const std::string& name) = 0;
  // Rows of a kind whose name starts with name_prefix, ordered by name, after after_name, at
  // most limit; state (connections) and connection (destinations): "" for any.
  virtual Result<std::vector<EventConnectionRecord>> ListEventConnections(
      const Scope& scope, const std::string& kind, const std::string& name_prefix,
      const std::string& state, const std::string& connection, const std::string& after_name,
      size_t limit) = 0;
  // Replaces state, document, sealed, connection, modified_ms and authorized_ms of the row
  // (kind, name) if its modified_ms and authorized_ms are still `expected`'s (the row the
  // caller read; a credentials-only update changes authorized_ms alone):
  // kWriteConflict when another write changed it meanwhile, kResourceNotFound when it is
  // gone, or (destinations) when the connection it now names does not exist. One change, `op`.
  virtual Status UpdateEventConnection(const Scope& scope, const EventConnectionRecord& rec,
                                       const EventConnectionRecord& expected,
                                       const std::string& op) = 0;
  // kResourceNotFound when absent; a connection some destination names is
  // kPreconditionNotMet. One change, "Delete<Kind>".
  virtual Status DeleteEventConnection(const Scope& scope, const std::string& kind,
                                       const std::string& name) = 0;
  // Dev-mode reset: every connection and API destination of every scope.
  virtual Status WipeEventConnections() = 0;
};

// What a connection's sealed credentials are bound to: its ARN, so that they open for that
// connection only.
inline std::string EventConnectionSecretAad(const std::string& arn) {
  return "arcana.events.connection:" + arn;
}

// "CreateConnection" / "CreateApiDestination" etc.: the change kind of an operation on kind.
inline std::string EventConnectionOp(const char* verb, const std::string& kind) {
  return std::string(verb) + (kind == kEventConnectionKind ? "Connection" : "ApiDestination");
}

}  // namespace arcana::storage
