// Bounded pages of a KMS store listing for the List* operations (ListKeys, ListGrants,
// ListRetirableGrants). The store lists in the order of a string key after a position and at
// most a limit (storage/kms_store.h); the operation's Marker is that key, opaque to callers
// (domain/kms/rules.h EncodeMarker). Rows the caller does not show (keys past their deletion
// date, grants another filter rejects) are passed over, but one call reads at most kMaxScan
// rows: a sparse listing answers a short page with Truncated and a NextMarker, as AWS allows.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "domain/kms/rules.h"
#include "storage/store_types.h"

namespace arcana::services::kms {

inline constexpr size_t kMaxScanPerPage = 1000;

// fetch(after, n) -> Result<std::vector<T>>: up to n rows after `after` in key order.
// keep(const T&) -> bool: whether the row is shown. key_of(const T&) -> std::string.
// Sets *next_marker ("" when the listing is complete).
template <typename T, typename Fetch, typename Keep, typename KeyOf>
Result<std::vector<T>> StorePage(const json::Input& in, int64_t default_limit, Fetch fetch,
                                 Keep keep, KeyOf key_of, std::string* next_marker) {
  std::string cursor;  // the last row consumed
  if (auto marker = in.Str("Marker")) {
    ARCANA_ASSIGN_OR_RETURN(cursor, domain::kms::DecodeMarker(*marker));
  }
  const size_t limit =
      static_cast<size_t>(std::max<int64_t>(in.Int("Limit").value_or(default_limit), 1));
  std::vector<T> out;
  size_t scanned = 0;
  bool done = false;
  // One row beyond the page says whether the listing goes on.
  while (!done && out.size() <= limit && scanned < kMaxScanPerPage) {
    const size_t n = std::min({storage::kMaxListLimit, kMaxScanPerPage - scanned,
                               limit + 1 - out.size()});
    ARCANA_ASSIGN_OR_RETURN(std::vector<T> batch, fetch(cursor, n));
    done = batch.size() < n;
    for (auto& row : batch) {
      ++scanned;
      cursor = key_of(row);
      if (keep(row)) out.push_back(std::move(row));
    }
  }
  bool more = !done;
  if (out.size() > limit) {
    out.resize(limit);
    more = true;
  }
  next_marker->clear();
  if (more) *next_marker = domain::kms::EncodeMarker(out.empty() ? cursor : key_of(out.back()));
  return out;
}

}  // namespace arcana::services::kms
