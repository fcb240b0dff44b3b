// Searching audit records (LookupEvents, `arcana audit search|tail`): filters over the
// CloudTrail fields, newest first. Reads each node's record files newest first, and not the
// older ones that cannot hold a record of the page (their latest eventTime, remembered per
// file from an earlier search while the file keeps its size and modification time); a line
// without the lookup's values in its text is not parsed. A lookup that matches only old
// records still reads every file before them. Each node answers from the files in its own
// audit dir.
// Thread-safety: free functions over files; the remembered eventTimes are shared under a lock.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "common/status.h"

namespace arcana::audit {

struct TrailQuery {
  // Empty = any. Exact matches except resource_name (an ARN, or a name of it as
  // audit/lookup_keys.h: ResourceNameKeys says).
  std::string event_id, event_name, event_source, resource_name, resource_type, username,
      access_key_id, read_only /* "true" | "false" */;
  std::string account, region;  // LookupEvents: the caller's
  int64_t start_ms = std::numeric_limits<int64_t>::min();
  int64_t end_ms = std::numeric_limits<int64_t>::max();
  // Records strictly before this position in the newest-first order (pagination).
  bool has_cursor = false;
  int64_t cursor_ms = 0;
  std::string cursor_node;
  uint64_t cursor_seq = 0;
  // When set, only the record files of nodes it accepts are read (LookupEvents: the nodes the
  // store knows, audit/node_head.h; a file set dropped into the directory under an invented
  // node name is not a trail of this store).
  std::function<bool(const std::string& node)> include_node;
};

struct TrailMatch {
  std::string line;  // the record as written
  std::string node;
  uint64_t sequence = 0;
  int64_t time_ms = 0;
};

// Up to limit matches, newest first (time, then node, then sequence, all descending);
// *more is set when further matches exist.
Result<std::vector<TrailMatch>> SearchTrail(const std::string& dir, const TrailQuery& q,
                                            size_t limit, bool* more);

// Whether a record (parsed), whose eventTime is time_ms, is one the query asks for (the
// cursor aside).
bool RecordMatches(const rapidjson::Value& record, const TrailQuery& q, int64_t time_ms);

// CloudTrail's Username of a record: userIdentity.userName, "root" for the root, the session
// name of an assumed role, else the last part of the ARN.
std::string UsernameOf(const rapidjson::Value& record);
// "YYYY-MM-DDThh:mm:ssZ" -> epoch ms; nullopt-like -1 when malformed.
int64_t ParseIsoTime(std::string_view s);

}  // namespace arcana::audit
