// What LookupEvents' LookupAttributes find a record by, in one place for both ways of
// searching: the file search tests a record against a query with these (trail_query.h), and
// the store's index holds them per record (storage/audit_index_store.h), so the two cannot
// disagree on what matches.
//
// ResourceName matches a resource's ARN, a name the ARN's resource part ends with (the text
// after a '/' or ':' of it, or from one of its '/'s: for ...:parameter/app/db "parameter/app/db",
// "app/db", "db", "/app/db" and "/db"), or a secret's name without the six characters Secrets
// Manager adds (...:secret:app/db-AbCdEf: "app/db"). The resource part is what follows an
// ARN's fifth ':' (the whole text of something that is not an ARN).
// Thread-safety: free functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "storage/audit_index_store.h"

namespace arcana::audit {

// The ResourceName values that find a resource of this ARN, distinct.
std::vector<std::string> ResourceNameKeys(std::string_view arn);

// Every lookup attribute the record can be found by, distinct: EventId, EventName,
// EventSource, ReadOnly ("true" | "false"), Username (trail_query.h: UsernameOf),
// AccessKeyId, and per resource its ResourceType and ResourceNameKeys; values as
// IndexValue gives them.
std::vector<storage::AuditLookupKey> LookupKeysOf(const rapidjson::Value& record);

// The form a value is indexed and looked up in: itself, or for one longer than 512 bytes
// (a parameter's ARN may reach 2 KiB, more than a database index entry may hold) a digest
// of it; a search checks the record itself after the index found it.
std::string IndexValue(std::string_view value);

}  // namespace arcana::audit
