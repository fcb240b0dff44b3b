// Checks one node's audit files (audit/chain.h): the record chain (sequence numbers and
// previous-record hashes) and the signed digests (sequence, chaining, Ed25519 signature
// under the store's key, and that each digest's last hash is the record it names). Reports
// the first problem found, naming the file, line and sequence:
//   removed    a sequence gap, or a digest covering records that are no longer there
//   altered    a record whose hash is not what the next record (or a digest) recorded
//   reordered / inserted   a sequence that goes back or repeats
//   digest gap a missing digest (sequence gap, or previous-signature mismatch)
// Records after the newest digest are chained but not yet signed: counted as `unsigned`.
// Records removed by retention (a signed retention digest, chain.h) are not missing: the
// files may start after them, the first record kept chaining on from the removed one's hash.
// Thread-safety: pure function over files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "audit/trail_reader.h"

namespace arcana::audit {

struct VerifyResult {
  bool ok = true;
  std::string problem;        // the first problem ("" when ok)
  uint64_t records = 0;       // records read
  uint64_t digests = 0;       // digests checked
  uint64_t unsigned_tail = 0; // records after the newest digest
  uint64_t pruned_through = 0; // records 1..pruned_through removed by retention (0: none)
  std::vector<std::string> signatures;  // hex, of digests 1..digests (to compare with the store)
};

// public_key: raw 32 bytes (the store's, audit/digest_signer.h).
VerifyResult VerifyNode(const NodeFiles& node, const std::string& public_key);

}  // namespace arcana::audit
