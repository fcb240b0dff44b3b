// Moving a store from SQLite to PostgreSQL (`arcana store copy`), for a team that outgrows one
// machine: everything the one node kept (secrets and their sealed versions, parameters, KMS
// keys with their sealed material, grants and aliases, IAM identities and their sealed
// secrets, access keys, STS sessions, rotation functions, leased jobs such as rotation
// schedules and deletion purges, event rules, connections, deliveries) goes into a new,
// empty PostgreSQL store, row for row, so the values stay sealed under the same root key and
// are never decrypted on the way. Nodes started on the PostgreSQL store with the same root of
// trust (the key file, the Shamir shares or the PKCS#11 token) then serve it all.
//
// Contract of CopySqliteToPostgres(sqlite_db, pg_url):
//  - Both stores must already be at this build's schema (the caller opens each with
//    OpenStores first, which migrates them) and nothing may write the SQLite store meanwhile
//    (the caller holds its data dir's arcanad.lock).
//  - The target must be empty: no row in any table the copy writes (but the one-row tables
//    its migrations fill, when tracking of last uses began: the source's row replaces that) and
//    no root of trust in its meta (kInvalidRequest naming the table otherwise); nothing is written then.
//  - One PostgreSQL transaction: the copy is all or nothing.
//  - Each SQLite table but meta and changes goes to the PostgreSQL table of its name, column
//    by column (two renamed secrets columns mapped; ssm_parameters.name derived from the
//    parameter's metadata, as PostgreSQL's store writes it); values converted to the target's
//    column types (bigint, integer, boolean, text, bytea). A column or table the target lacks,
//    or a target column that must be filled and that nothing fills, refuses the copy
//    (kInvalidRequest: the two schemas have drifted; a defect of this build).
//  - Job leases and event-delivery leases are released (no owner), so the new nodes take the
//    jobs over at once; identity columns' sequences continue after the copied values.
//  - meta: the root of trust (root.*) and the other store-wide entries; not the schema
//    versions (the target has its own) nor a node's audit state (audit.node.*: the audit files
//    stay with the old node, where `arcana audit verify` still checks them). A store in the
//    middle of a root rotation (root.pending) is refused.
//  - The change sequence is not copied: the new store's starts afresh, and the new nodes'
//    caches start empty.
// Errors: kInvalidRequest as above; the database's errors otherwise (libpq's detail, which
// may name the host, never the password).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace arcana::storage {

struct StoreCopyReport {
  std::vector<std::pair<std::string, int64_t>> rows;  // table -> rows copied, in copy order
};

Result<StoreCopyReport> CopySqliteToPostgres(const std::string& sqlite_db,
                                             const std::string& pg_url);

}  // namespace arcana::storage
