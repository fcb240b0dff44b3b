// The tag under which the agent's cache (value_cache.h) files an answer and under which a
// change of the change stream (change_subscriber.h) drops it: both sides map the resource's
// ARN through CacheTagOf, so they meet on one key.
//
// A Secrets Manager secret replicated to other regions is one secret: a replica keeps the
// primary's account, name and random suffix, only its ARN's region differs, and it serves the
// primary's versions. The server records a write once, under the primary's ARN (the change
// sequence has one row per committed write, and the audit trail names exactly those rows),
// while a read in a replica region answers with the replica's ARN. So a secret's tag leaves
// the region out: a change to the secret drops its entries read in every region. Matching
// here, rather than having the server also list the replicas' ARNs, keeps the stream a plain
// record of what was written and needs no replica lookup when it is read (a deleted secret's
// replicas are gone by then); another reader of the stream applies the same rule (see
// net/change_stream_api.h). Secrets of different regions never share name and suffix
// otherwise (the suffix is random), and if they did, one change would only drop a little
// more than it must.
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>

namespace arcana::agent {

// arn:<partition>:secretsmanager:<region>:<account>:secret:<name-suffix> ->
// arn:<partition>:secretsmanager::<account>:secret:<name-suffix>. Any other text (a parameter's
// ARN, which is regional, or a tag such as kSecretReferenceTag) is its own tag.
std::string CacheTagOf(std::string_view arn);

}  // namespace arcana::agent
