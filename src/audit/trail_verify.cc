#include "audit/trail_verify.h"

#include <map>
#include <unordered_map>
#include <vector>

#include "audit/chain.h"
#include "common/json.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"

namespace arcana::audit {
namespace {

std::string Where(const std::string& path, size_t line, uint64_t seq) {
  std::string file = path.substr(path.rfind('/') + 1);
  return file + ":" + std::to_string(line) + " (sequence " + std::to_string(seq) + ")";
}

}  // namespace

VerifyResult VerifyNode(const NodeFiles& node, const std::string& public_key) {
  VerifyResult r;
  auto fail = [&](std::string what) {
    if (r.ok) {
      r.ok = false;
      r.problem = "node " + node.node + ": " + std::move(what);
    }
  };
  // Digests first: which record hashes they name.
  std::vector<Digest> digests;
  if (!node.digest_file.empty()) {
    Status st = ForEachLine({node.digest_file}, [&](std::string_view line, const std::string&,
                                                    size_t n) {
      auto d = ParseDigest(line);
      if (!d.ok()) {
        fail("digest line " + std::to_string(n) + " is unreadable (altered): " +
             d.status().message());
        return false;
      }
      digests.push_back(std::move(*d));
      return true;
    });
    if (!st.ok()) fail(st.message());
  }
  std::unordered_map<uint64_t, std::string> wanted;  // sequence -> hash, for digests
  for (const auto& d : digests) wanted[d.last_sequence];
  // What retention removed on purpose: record sequence -> its hash, as retention digests say
  // (their signatures are checked below, with every digest's).
  std::map<uint64_t, std::string> pruned;
  for (const auto& d : digests) {
    if (d.pruned_through != 0) pruned[d.pruned_through] = d.pruned_hash;
  }

  uint64_t expected = 1;
  uint64_t floor = 0;  // records 1..floor are not in the files (retention removed them)
  std::string prev_hash(kGenesisHash);
  std::string prev_where = "the start of the trail";
  if (r.ok) {
    Status st = ForEachLine(node.record_files, [&](std::string_view line, const std::string& path,
                                                   size_t n) {
      // The chain members are read from the text the writer appended, so a record is
      // checked by its bytes whatever a JSON parser thinks of them.
      auto link = ParseChainLink(line);
      if (!link) {
        fail(path.substr(path.rfind('/') + 1) + ":" + std::to_string(n) +
             ": not a chained record (altered)");
        return false;
      }
      uint64_t seq = link->sequence;
      std::string here = Where(path, n, seq);
      if (r.records == 0 && seq > 1) {
        // The trail may start later only where a retention digest says records were removed:
        // exactly up to here (its hash anchors this record), or beyond (a removal that
        // stopped part-way: the records left must then reach that digest's record).
        auto auth = pruned.lower_bound(seq - 1);
        if (auth == pruned.end()) {
          fail(here + ": records 1.." + std::to_string(seq - 1) + " are missing (removed)");
          return false;
        }
        expected = seq;
        floor = seq - 1;
        if (auth->first == seq - 1) {
          prev_hash = auth->second;
          prev_where = "record " + std::to_string(seq - 1) + " as retention removed it";
        } else {
          prev_hash = std::string(link->previous_hash);
        }
      }
      if (seq > expected) {
        fail(here + ": records " + std::to_string(expected) + ".." + std::to_string(seq - 1) +
             " are missing (removed)");
        return false;
      }
      if (seq < expected) {
        fail(here + ": sequence goes back after " + std::to_string(expected - 1) +
             " (reordered or inserted record)");
        return false;
      }
      if (link->previous_hash != prev_hash) {
        fail(here + ": its previous-record hash does not match " + prev_where +
             " (that record was altered, or this one was inserted)");
        return false;
      }
      prev_hash = LineHash(line);
      prev_where = "the record at " + here;
      if (auto p = pruned.find(seq); p != pruned.end() && p->second != prev_hash) {
        fail(here + ": is not the record a retention digest removed up to (altered)");
        return false;
      }
      if (auto w = wanted.find(seq); w != wanted.end()) w->second = prev_hash;
      ++r.records;
      ++expected;
      return true;
    });
    if (!st.ok()) fail(st.message());
  }
  if (!r.ok) return r;
  if (r.records == 0 && !pruned.empty()) floor = pruned.rbegin()->first;
  const uint64_t last = r.records == 0 ? floor : expected - 1;  // the newest record's sequence
  r.pruned_through = floor;

  uint64_t covered = 0;
  std::string prev_sig;
  for (size_t i = 0; i < digests.size(); ++i) {
    const Digest& d = digests[i];
    std::string which = "digest " + std::to_string(d.digest_sequence);
    if (d.digest_sequence != i + 1) {
      fail(which + ": digests " + std::to_string(i + 1) + ".." +
           std::to_string(d.digest_sequence - 1) + " are missing (digest gap)");
      break;
    }
    if (d.previous_signature != prev_sig) {
      fail(which + ": does not follow the previous digest (digest gap or altered digest)");
      break;
    }
    if (d.node != node.node) {
      fail(which + ": names node " + d.node);
      break;
    }
    if (!crypto::Ed25519Verify(public_key, DigestMessage(d), HexToBytes(d.signature))) {
      fail(which + ": bad signature (altered digest, or not signed by this store's key)");
      break;
    }
    // Only a retention digest may cover no new record.
    const bool empty_ok = d.pruned_through != 0 && d.last_sequence + 1 == d.first_sequence;
    if (d.first_sequence != covered + 1 || (d.last_sequence < d.first_sequence && !empty_ok)) {
      fail(which + ": covers records " + std::to_string(d.first_sequence) + ".." +
           std::to_string(d.last_sequence) + " but the previous one ended at " +
           std::to_string(covered) + " (digest gap)");
      break;
    }
    if (d.pruned_through > d.last_sequence) {
      fail(which + ": removes records up to " + std::to_string(d.pruned_through) +
           " beyond those it covers (altered digest)");
      break;
    }
    if (d.last_sequence > last) {
      fail(which + ": covers records up to " + std::to_string(d.last_sequence) +
           " but the files end at " + std::to_string(last) + " (records removed)");
      break;
    }
    // A record retention removed is vouched for by the retention digest's own hash.
    if (d.last_sequence > floor && wanted[d.last_sequence] != d.last_hash) {
      fail(which + ": record " + std::to_string(d.last_sequence) +
           " is not the one signed (records up to it were altered or replaced)");
      break;
    }
    covered = d.last_sequence;
    prev_sig = d.signature;
    r.signatures.push_back(d.signature);
    ++r.digests;
  }
  if (r.ok) r.unsigned_tail = last > covered ? last - covered : 0;
  return r;
}

}  // namespace arcana::audit
