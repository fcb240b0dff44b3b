// The tamper-evident layout of a node's audit files, shared by the writer (file_trail.h)
// and the verifier (trail_verify.h).
//
// A node (one arcanad, named by --audit-node) writes into <data-dir>/audit/:
//   <node>.<NNNNNN>.jsonl   records, one per line, numbered files (rotated by size)
//   <node>.digests.jsonl    signed digests, one per line
//   <node>.wal              the write-ahead log of the newest record file's recent records
//                           (write_ahead_log.h; not read by the verifier)
// Each record line is the event (audit_event.h) with two members appended last:
//   "arcanaSequence": 1, 2, 3, ... (per node, never reused)
//   "arcanaPreviousHash": lowercase hex SHA-256 of the previous record line's bytes (without
//                          its newline); 64 zeros for sequence 1
// so removing, altering, reordering or inserting a record breaks the chain at that point.
// A digest covers the records since the previous one, CloudTrail-digest style:
//   {"digestSequence":K,"node":N,"digestStartTime":ISO,"digestEndTime":ISO,"digestEndMs":ms,
//    "firstSequence":A,"lastSequence":B,"lastHash":H(record B),"previousDigestSignature":S,
//    "signatureAlgorithm":"Ed25519","publicKey":hex,"signature":hex}
// A retention digest (--audit-retention-days) also says which records the node removed on
// purpose, with two more members: "prunedThroughSequence":P,"prunedThroughHash":H(record P):
// records 1..P may be gone, and the first record kept names H as its previous hash. It may
// cover no new record (firstSequence = lastSequence + 1; lastHash the newest record's).
// signed (Ed25519) over DigestMessage(): one line per field in a fixed order, so the
// verifier rebuilds the signed bytes without trusting any JSON serialisation. K counts from 1
// and each digest names the previous digest's signature ("" for K = 1): a removed digest is
// a gap. The key that verifies is the store's (storage meta "audit.digest_public_key"),
// never the one written in the digest (which only says which key signed it). The store also
// keeps each node's newest digest (audit/node_head.h): the files alone cannot show that
// their newest digests, or a whole node's digests, were removed.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace arcana::audit {

inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";
inline constexpr const char* kPublicKeyMetaKey = "audit.digest_public_key";

// The record line: event_json (an object) with the two chain members appended.
std::string ChainedLine(std::string_view event_json, uint64_t sequence,
                        std::string_view previous_hash);
// The chain members of a record line, read from the fixed text ChainedLine appends (not by
// parsing the JSON: a record whose text a reader cannot parse, e.g. invalid UTF-8 written by
// an older version, still has a place in the chain). nullopt when the line does not end so.
struct ChainLink {
  uint64_t sequence = 0;
  std::string_view previous_hash;  // into line
};
std::optional<ChainLink> ParseChainLink(std::string_view line);
// Lowercase hex SHA-256 of one line (without its newline).
std::string LineHash(std::string_view line);

struct Digest {
  uint64_t digest_sequence = 0;
  std::string node;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  uint64_t first_sequence = 0;
  uint64_t last_sequence = 0;
  std::string last_hash;
  std::string previous_signature;  // hex; "" for the first digest
  uint64_t pruned_through = 0;     // retention digest: records 1..pruned_through removed; else 0
  std::string pruned_hash;         // hash of record pruned_through (retention digest only)
  std::string public_key;          // hex
  std::string signature;           // hex
};
std::string DigestMessage(const Digest& d);
std::string DigestJson(const Digest& d);
// Errors: kValidation naming the missing or mistyped member.
Result<Digest> ParseDigest(std::string_view line);

// Raw bytes of lowercase or uppercase hex; "" when malformed (odd length, other characters).
std::string HexToBytes(std::string_view hex);

// A node name: 1-64 of [A-Za-z0-9_-].
bool ValidNodeName(std::string_view node);
std::string RecordFileName(std::string_view node, uint32_t number);  // node.000001.jsonl
std::string DigestFileName(std::string_view node);                   // node.digests.jsonl
// Parses a record file name; nullopt for anything else.
struct RecordFileId {
  std::string node;
  uint32_t number = 0;
};
std::optional<RecordFileId> ParseRecordFileName(std::string_view name);

}  // namespace arcana::audit
