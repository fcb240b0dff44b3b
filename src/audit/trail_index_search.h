// Searching every node's audit records through the store's index (storage/
// audit_index_store.h) with the file search's meaning (trail_query.h): the same query, the
// same matches in the same order, the same positions for NextToken. The index narrows the
// records by one lookup attribute (audit/lookup_keys.h; LookupEvents never sends more than
// one); each record found is then tested against the whole query, as the file search tests
// it, so a query with several filters (`arcana audit search`) is still exact.
// Thread-safety: a free function; the store is safe from any thread.
#pragma once

#include <vector>

#include "audit/trail_query.h"
#include "common/status.h"
#include "storage/audit_index_store.h"

namespace arcana::audit {

// Up to limit matches, newest first; *more is set when further matches exist.
// TrailQuery::include_node is not consulted: the index holds only records nodes shipped.
// Errors: the store's.
Result<std::vector<TrailMatch>> SearchIndexedTrail(storage::AuditIndexStore& store,
                                                   const TrailQuery& q, size_t limit,
                                                   bool* more);

}  // namespace arcana::audit
