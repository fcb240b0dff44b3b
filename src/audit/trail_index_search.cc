#include "audit/trail_index_search.h"

#include <algorithm>

#include "audit/lookup_keys.h"
#include "common/json.h"
#include "storage/store_types.h"

namespace arcana::audit {
namespace {

// The one attribute the index narrows by: the most selective the query has.
void NarrowBy(const TrailQuery& q, storage::AuditIndexQuery& iq) {
  const std::pair<const char*, const std::string*> order[] = {
      {"EventId", &q.event_id},         {"AccessKeyId", &q.access_key_id},
      {"ResourceName", &q.resource_name}, {"Username", &q.username},
      {"EventName", &q.event_name},     {"ResourceType", &q.resource_type},
      {"EventSource", &q.event_source}};
  for (const auto& [attribute, value] : order) {
    if (value->empty()) continue;
    iq.attribute = attribute;
    iq.value = IndexValue(*value);
    return;
  }
  if (!q.read_only.empty()) {
    // Any value but "true" asks for the records that are not read-only (RecordMatches).
    iq.attribute = "ReadOnly";
    iq.value = q.read_only == "true" ? "true" : "false";
  }
}

}  // namespace

Result<std::vector<TrailMatch>> SearchIndexedTrail(storage::AuditIndexStore& store,
                                                   const TrailQuery& q, size_t limit,
                                                   bool* more) {
  *more = false;
  storage::AuditIndexQuery iq;
  iq.account = q.account;
  iq.region = q.region;
  iq.start_ms = q.start_ms;
  iq.end_ms = q.end_ms;
  iq.has_cursor = q.has_cursor;
  iq.cursor_ms = q.cursor_ms;
  iq.cursor_node = q.cursor_node;
  iq.cursor_seq = q.cursor_seq;
  NarrowBy(q, iq);
  // One read answers a page when every record found matches (LookupEvents); a query the
  // index narrows only in part reads on, a chunk at a time.
  const size_t chunk = std::clamp<size_t>(limit + 1, 64, storage::kMaxListLimit);
  std::vector<TrailMatch> out;
  while (true) {
    ARCANA_ASSIGN_OR_RETURN(auto rows, store.SearchAuditRecords(iq, chunk));
    for (auto& row : rows) {
      rapidjson::Document doc;
      if (!json::ParseBounded(row.line, &doc).ok() || !doc.IsObject()) continue;
      if (!RecordMatches(doc, q, row.time_ms)) continue;
      if (out.size() == limit) {
        *more = true;
        return out;
      }
      out.push_back(TrailMatch{std::move(row.line), row.node, row.sequence, row.time_ms});
    }
    if (rows.size() < chunk) return out;
    const auto& last = rows.back();
    iq.has_cursor = true;
    iq.cursor_ms = last.time_ms;
    iq.cursor_node = last.node;
    iq.cursor_seq = last.sequence;
  }
}

}  // namespace arcana::audit
