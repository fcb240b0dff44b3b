// What the store remembers of each node's signed digest chain (audit/chain.h), so that
// `arcana audit verify` can tell a removed digest file, removed newest digests or an invented
// node's file set from an intact trail: the files alone cannot, since whoever can write them
// can also drop the digests that would betray an edit and re-chain the records (the chain is
// plain SHA-256).
//
// Storage meta "audit.node.<node>" (one key per node, written only by that node):
//   {"digestSequence":K,"lastSequence":B,"signature":"<hex of digest K>","endMs":ms}
// The node registers itself when it opens its files (K = its newest digest, 0 when none;
// never lowering what is stored) and overwrites the value after each digest it writes, once
// the digest is durable in its file. The store's value is therefore a lower bound of the
// digests the files must hold: a crash between the two writes leaves it one digest behind.
// Thread-safety: free functions; the store serialises concurrent writers of one key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "storage/meta_store.h"

namespace arcana::audit {

struct NodeHead {
  uint64_t digest_sequence = 0;  // 0: registered, no digest yet
  uint64_t last_sequence = 0;    // the last record digest K covers
  std::string signature;         // hex, digest K's
  int64_t end_ms = 0;
};

std::string NodeHeadMetaKey(std::string_view node);
std::string NodeHeadJson(const NodeHead& h);
// Errors: kValidation for a value that is not NodeHeadJson's.
Result<NodeHead> ParseNodeHead(std::string_view json);

// nullopt when the store has never heard of the node. Errors: the store's, kValidation.
Result<std::optional<NodeHead>> ReadNodeHead(storage::MetaStore& meta, std::string_view node);
// Every node the store knows, by name. Errors: the store's, kValidation (a malformed value).
Result<std::vector<std::pair<std::string, NodeHead>>> ListNodeHeads(storage::MetaStore& meta);
// After a digest: overwrites the node's value.
Status PublishNodeHead(storage::MetaStore& meta, std::string_view node, const NodeHead& h);
// At open: stores h unless the store already knows the node (its value may be newer than
// the files, which verify then reports).
Status RegisterNode(storage::MetaStore& meta, std::string_view node, const NodeHead& h);

}  // namespace arcana::audit
