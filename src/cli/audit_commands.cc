#include "cli/audit_commands.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <tuple>
#include <thread>

#include "audit/audit_event.h"
#include "audit/chain.h"
#include "audit/change_claims.h"
#include "audit/digest_signer.h"
#include "audit/file_trail.h"
#include "audit/node_head.h"
#include "audit/trail_index_search.h"
#include "audit/trail_indexer.h"
#include "audit/trail_reader.h"
#include "audit/trail_verify.h"
#include "audit/write_ahead_log.h"
#include "cli/operator_commands.h"
#include "common/json.h"

namespace arcana::cli {
namespace {

int Die(const std::string& msg) {
  std::cerr << "arcana: " << msg << "\n";
  return 1;
}

// After a machine crash a node's newest record file may lack records that its write-ahead
// log (audit/write_ahead_log.h) still holds; the node appends them when it next starts.
// Says so when that is the case. The log's copies of the records the file does hold must
// be the file's lines byte for byte: the newest records are not signed yet, so the log is
// what shows an edit of them (after a kill, until the node's next digest). Every record the
// node writes is framed in its log (a batch too large for it empties the log), so a file
// record newer than the log's newest was inserted. "" when none of these.
// pruned_through: records retention removed (they were durable in their files first).
std::string WriteAheadLogProblem(const audit::NodeFiles& n, uint64_t pruned_through) {
  if (n.record_files.empty()) return "";
  const auto dir = std::filesystem::path(n.record_files.back()).parent_path();
  const std::string wal = (dir / (n.node + ".wal")).string();
  auto frames = audit::WriteAheadLog::ReadFrames(wal);
  if (!frames.ok() || frames->empty()) return "";
  const uint64_t oldest = frames->front().first_sequence;
  uint64_t last = pruned_through;
  std::map<uint64_t, std::pair<std::string, std::string>> in_files;  // seq -> (hash, where)
  // The log covers the newest file; that file may be empty (just rotated): then the one
  // before holds the last records.
  for (size_t back = std::min<size_t>(2, n.record_files.size()); back >= 1; --back) {
    (void)audit::ForEachLine({n.record_files[n.record_files.size() - back]},
                             [&](std::string_view line, const std::string& path, size_t no) {
                               const uint64_t seq = audit::SequenceOf(line);
                               last = std::max(last, seq);
                               if (seq >= oldest) {
                                 in_files[seq] = {audit::LineHash(line),
                                                  path.substr(path.rfind('/') + 1) + ":" +
                                                      std::to_string(no)};
                               }
                               return true;
                             });
  }
  // A live node writes a batch to its file, then frames it: the log read before the files
  // may lag them by the batches written meanwhile. Read again until it holds the files'
  // newest record (a second at most); a record it never comes to hold was inserted. (The
  // checks below keep the first read: a later one may hold records the files were read
  // without.)
  uint64_t framed = frames->back().first_sequence + frames->back().count - 1;
  for (int tries = 0; framed < last && tries < 10; ++tries) {
    if (tries > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto again = audit::WriteAheadLog::ReadFrames(wal);
    if (!again.ok()) break;
    if (again->empty()) return "";  // emptied meanwhile (a batch larger than the log)
    framed = again->back().first_sequence + again->back().count - 1;
  }
  if (auto first_after = in_files.upper_bound(framed);
      framed < last && first_after != in_files.end()) {
    return "node " + n.node + ": " + first_after->second.second + " (sequence " +
           std::to_string(first_after->first) +
           ") is newer than the newest record its write-ahead log holds (" +
           std::to_string(framed) + "): records " + std::to_string(framed + 1) + ".." +
           std::to_string(last) + " were not written by the node (inserted)";
  }
  for (const auto& f : *frames) {
    std::string_view rest = f.payload;
    for (uint64_t seq = f.first_sequence; !rest.empty(); ++seq) {
      const size_t nl = rest.find('\n');
      if (nl == std::string_view::npos) break;
      auto it = in_files.find(seq);
      if (it != in_files.end() && it->second.first != audit::LineHash(rest.substr(0, nl))) {
        return "node " + n.node + ": " + it->second.second + " (sequence " + std::to_string(seq) +
               ") is not the record its write-ahead log holds (altered)";
      }
      rest.remove_prefix(nl + 1);
    }
  }
  const uint64_t newest = frames->back().first_sequence + frames->back().count - 1;
  if (newest <= last) return "";
  return "node " + n.node + ": its write-ahead log holds records " + std::to_string(last + 1) +
         " to " + std::to_string(newest) +
         " that its files lack (a machine crash): start that node (same data dir and "
         "--audit-node) to recover them, then verify again";
}

// The store's memory of the node's digests (audit/node_head.h) against what its files hold:
// removed newest digests, a removed digest file and a file set no node of this store wrote
// all pass the files' own checks, and so does a trail whose digest key was removed from the
// store (have_key false) with its digests. "" when they agree.
std::string StoreHeadProblem(const audit::NodeFiles& n, const audit::VerifyResult& r,
                             storage::MetaStore& meta, bool have_key) {
  auto head = audit::ReadNodeHead(meta, n.node);
  if (!head.ok()) return "node " + n.node + ": " + head.status().message();
  if (!head->has_value()) {
    if (r.records == 0) return "";
    return "node " + n.node + ": " + std::to_string(r.records) +
           " records, but the store has never known this node: its files were not written "
           "by a node of this store (forged), or by one that has not started since node "
           "registration was added (start it once)";
  }
  const audit::NodeHead& h = **head;
  if (h.digest_sequence == 0) return "";
  if (!have_key) {
    // The key is published with the first signature: a node that signed digests while the
    // store holds no key had it removed, so that its rewritten files pass as unsigned.
    return "node " + n.node + ": the store records its digest " +
           std::to_string(h.digest_sequence) + " (records up to " +
           std::to_string(h.last_sequence) + ") but holds no digest key (" +
           audit::kPublicKeyMetaKey + " removed): its records cannot be checked";
  }
  if (h.digest_sequence > r.digests) {
    return "node " + n.node + ": the store records its digest " +
           std::to_string(h.digest_sequence) + " (records up to " +
           std::to_string(h.last_sequence) + ") but its digest file " +
           (r.digests == 0 ? std::string("holds none")
                           : "ends at digest " + std::to_string(r.digests)) +
           " (digests removed)";
  }
  if (r.signatures[h.digest_sequence - 1] != h.signature) {
    return "node " + n.node + ": digest " + std::to_string(h.digest_sequence) +
           " is not the one the store records (digest file replaced)";
  }
  return "";
}

// Whether the audit dirs verify reads hold every node's files: one process owns a SQLite
// store, so its data dir's trail is every node's; on a shared store the operator says so.
bool CompleteTrail(const std::string& store_url, const std::string& data_dir, bool all_nodes) {
  auto where = storage::ParseStoreLocation(store_url.empty() ? "sqlite:" + data_dir : store_url);
  return all_nodes || (where.ok() && where->kind == storage::StoreLocation::Kind::kSqlite);
}

// The nodes the store knows (audit/node_head.h) that have no file in the dirs verify read:
// the files alone cannot show a whole file set removed, the store's entry of it does. With
// every node's dirs (complete), each is a failure ("FAILED ..." lines); otherwise each is
// only named as not checked. Returns whether any failed.
bool ReportNodesWithoutFiles(storage::MetaStore& meta, const std::vector<audit::NodeFiles>& nodes,
                             const std::vector<std::string>& dirs, bool complete) {
  auto heads = audit::ListNodeHeads(meta);
  if (!heads.ok()) {
    std::cout << "FAILED the store's audit nodes cannot be read: " << heads.status().message()
              << "\n";
    return true;
  }
  std::string where;
  for (const auto& d : dirs) where += (where.empty() ? "" : ", ") + d;
  bool failed = false;
  for (const auto& [node, h] : *heads) {
    const bool has_files = std::any_of(nodes.begin(), nodes.end(),
                                       [&](const audit::NodeFiles& n) { return n.node == node; });
    if (has_files) continue;
    if (!complete) {
      std::cout << "node " << node << ": not checked (the store knows it; its files are not in "
                << where << ")\n";
      continue;
    }
    failed = true;
    // A node registers before it creates its first file, so even one that never signed a
    // digest (sealed throughout, or killed first) had files here.
    std::cout << "FAILED node " << node << ": "
              << (h.digest_sequence > 0
                      ? "the store records its digest " + std::to_string(h.digest_sequence) +
                            " (records up to " + std::to_string(h.last_sequence) + ")"
                      : std::string("the store knows this node (it opened its audit files)"))
              << " but no file of it is in " << where
              << " (its files were removed, or are kept elsewhere: pass that --audit-dir too)\n";
  }
  return failed;
}

}  // namespace

bool ReadAppended(FollowCursor& c, const std::function<void(std::string_view)>& fn,
                  size_t chunk_bytes, size_t max_line_bytes) {
  std::ifstream in(c.path, std::ios::binary);
  if (!in) return false;
  in.seekg(0, std::ios::end);
  const auto end = static_cast<uint64_t>(std::max<std::streamoff>(0, in.tellg()));
  if (end < c.offset) {
    c.offset = 0;
    c.skipping = false;
  }
  if (end == c.offset) return true;
  in.seekg(static_cast<std::streamoff>(c.offset));
  chunk_bytes = std::max<size_t>(chunk_bytes, 1);
  // buf holds the bytes from c.offset on: a started line (at most max_line_bytes) and the
  // chunk read after it. The file may grow meanwhile: what is past `end` waits for next time.
  std::string buf;
  uint64_t read_to = c.offset;
  while (read_to < end) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk_bytes, end - read_to));
    const size_t had = buf.size();
    buf.resize(had + n);
    in.read(buf.data() + had, static_cast<std::streamsize>(n));
    const auto got = static_cast<size_t>(std::max<std::streamsize>(0, in.gcount()));
    buf.resize(had + got);
    read_to += got;
    if (got == 0) break;  // cut short meanwhile: the rest waits for the next call
    size_t pos = 0;
    if (c.skipping) {  // the rest of an over-long line, up to its newline
      pos = buf.find('\n');
      if (pos == std::string::npos) {
        c.offset += buf.size();
        buf.clear();
        continue;
      }
      ++pos;
      c.skipping = false;
    }
    for (size_t nl; (nl = buf.find('\n', pos)) != std::string::npos; pos = nl + 1) {
      fn(std::string_view(buf).substr(pos, nl - pos));
    }
    c.offset += pos;
    buf.erase(0, pos);  // the torn last line, if any: completed by the next chunk or call
    if (buf.size() > max_line_bytes) {
      // Not a record the trail writes (the file sink reads its own tail back within 1 MiB):
      // skipped, as other lines that are not records are, rather than held without bound.
      std::cerr << "arcana: " << c.path << ": a line over " << max_line_bytes
                << " bytes at offset " << c.offset << " skipped\n";
      c.offset += buf.size();
      buf.clear();
      c.skipping = true;
    }
  }
  return true;
}

AuditCommands::AuditCommands(CLI::App& app, const std::string& data_dir,
                             const std::string& store_url)
    : data_dir_(data_dir), store_url_(store_url) {
  audit_ = app.add_subcommand("audit", "verify, tail and search the audit trail");
  audit_->require_subcommand(1);
  audit_->add_option("--audit-dir", dirs_,
                     "audit files (default <data-dir>/audit; tail and search on a PostgreSQL "
                     "store read its index of every node's records unless this is given); "
                     "repeat it for several nodes' dirs (verify)")
      ->envname("ARCANA_AUDIT_DIR");
  verify_ = audit_->add_subcommand(
      "verify", "check the chain and signed digests of every node, and records against the store");
  verify_->add_option("--public-key", public_key_hex_,
                      "the digest key (hex) when the store cannot be opened (no store check)");
  verify_->add_flag("--all-nodes", all_nodes_,
                    "the audit dirs given hold every node's files: also check that every store "
                    "change in their time span has a record (implied with a SQLite store)");
  tail_ = audit_->add_subcommand("tail", "print the newest records");
  tail_->add_option("-n", count_, "how many")->capture_default_str();
  tail_->add_flag("-f,--follow", follow_, "keep printing new records");
  search_ = audit_->add_subcommand("search", "print matching records, newest first");
  search_->add_option("--event-name", q_.event_name, "e.g. GetSecretValue");
  search_->add_option("--event-source", q_.event_source, "e.g. kms.amazonaws.com");
  search_->add_option("--resource", q_.resource_name, "an ARN, or a name its ARN ends with");
  search_->add_option("--user", q_.username, "a user name, or root");
  search_->add_option("--access-key-id", q_.access_key_id, "the caller's access key");
  search_->add_option("--since", since_, "from this time (YYYY-MM-DDThh:mm:ssZ)");
  search_->add_option("--until", until_, "up to this time (YYYY-MM-DDThh:mm:ssZ)");
  search_->add_option("-n", count_, "at most this many")->capture_default_str();
}

std::string AuditCommands::Dir() const {
  return dirs_.empty() ? data_dir_ + "/audit" : dirs_.front();
}

std::optional<int> AuditCommands::Run() {
  if (!audit_->parsed()) return std::nullopt;
  if (verify_->parsed()) return Verify();
  if (tail_->parsed()) return Tail();
  if (search_->parsed()) return Search();
  return std::nullopt;
}

int AuditCommands::Verify() {
  std::string key;
  std::unique_ptr<storage::Stores> stores;
  if (!public_key_hex_.empty()) {
    key = audit::HexToBytes(public_key_hex_);
    if (key.size() != 32) return Die("--public-key must be 64 hex characters");
  } else {
    auto opened = OpenOfflineStores(data_dir_, store_url_);
    if (!opened.ok()) return Die("cannot open the store for the digest key: " + opened.status().message());
    stores = std::move(opened).value();
    auto pub = audit::PublishedPublicKey(stores->meta());
    if (!pub.ok() && pub.status().code() != ErrorCode::kResourceNotFound) {
      return Die(pub.status().message());
    }
    if (pub.ok()) key = *pub;
  }
  const std::vector<std::string> dirs =
      dirs_.empty() ? std::vector<std::string>{data_dir_ + "/audit"} : dirs_;
  std::vector<audit::NodeFiles> nodes;
  for (const auto& dir : dirs) {
    auto in_dir = audit::ListNodes(dir);
    if (!in_dir.ok()) return Die(in_dir.status().message());
    nodes.insert(nodes.end(), in_dir->begin(), in_dir->end());
  }
  if (nodes.empty()) return Die("no audit files in " + dirs.front());
  int rc = 0;
  for (const auto& n : nodes) {
    auto r = audit::VerifyNode(n, key);
    if (r.ok && stores) {
      if (std::string p = StoreHeadProblem(n, r, stores->meta(), !key.empty()); !p.empty()) {
        r.ok = false;
        r.problem = std::move(p);
      }
    }
    // Acknowledged records missing from the files are a failure even when no digest covers
    // them yet.
    const std::string unrecovered = WriteAheadLogProblem(n, r.pruned_through);
    if (!r.ok || !unrecovered.empty()) {
      if (!r.ok) std::cout << "FAILED " << r.problem << "\n";
      if (!unrecovered.empty()) std::cout << (r.ok ? "FAILED " : "") << unrecovered << "\n";
      rc = 1;
      continue;
    }
    if (key.empty() && r.digests == 0 && r.unsigned_tail > 0) {
      std::cout << "node " << n.node << ": " << r.records
                << " records chained; no digest yet (the store has no digest key)\n";
      continue;
    }
    std::cout << "node " << n.node << ": OK, " << r.records << " records, " << r.digests
              << " signed digests";
    if (r.unsigned_tail > 0) std::cout << ", " << r.unsigned_tail << " records after the last digest";
    if (r.pruned_through > 0) {
      std::cout << " (records 1.." << r.pruned_through << " removed by retention)";
    }
    std::cout << "\n";
  }
  if (!stores) {
    std::cout << "store changes: not checked (no store opened)\n";
    return rc;
  }
  if (ReportNodesWithoutFiles(stores->meta(), nodes, dirs,
                              CompleteTrail(store_url_, data_dir_, all_nodes_))) {
    rc = 1;
  }
  return std::max(rc, CrossCheckStore(*stores, dirs));
}

int AuditCommands::CrossCheckStore(storage::Stores& stores, const std::vector<std::string>& dirs) {
  const bool complete = CompleteTrail(store_url_, data_dir_, all_nodes_);
  std::vector<storage::Change> changes;
  auto read_changes = [&](int64_t after) -> Status {
    for (;;) {
      auto page = stores.changes().ReadChanges(after, storage::kMaxListLimit);
      if (!page.ok()) return page.status();
      if (page->empty()) return Status::Ok();
      after = page->back().seq;
      changes.insert(changes.end(), std::make_move_iterator(page->begin()),
                     std::make_move_iterator(page->end()));
    }
  };
  // The change log up to its head before the records are read: every one of those changes
  // must have its record on disk by then (the span runs on to this head, CrossCheck).
  if (Status st = read_changes(0); !st.ok()) {
    return Die("cannot read the store's change log: " + st.message());
  }
  const int64_t head = changes.empty() ? 0 : changes.back().seq;
  std::vector<audit::RecordClaims> records;
  // Where a node's files start after records retention removed, changes before its first
  // record kept (and in that record's second) may have had their records removed with them.
  int64_t span_floor_ms = INT64_MIN;
  for (const auto& dir : dirs) {
    auto nodes = audit::ListNodes(dir);
    if (!nodes.ok()) return Die(nodes.status().message());
    for (const auto& n : *nodes) {
      bool first = true;
      Status st = audit::ForEachLine(
          n.record_files, [&](std::string_view line, const std::string& path, size_t line_no) {
            audit::RecordClaims r;
            std::string at = path.substr(path.find_last_of('/') + 1) + ":" + std::to_string(line_no);
            const bool pruned_before = first && audit::SequenceOf(line) > 1;
            first = false;
            if (audit::ParseRecordClaims(line, std::move(at), &r)) {
              if (pruned_before) span_floor_ms = std::max(span_floor_ms, r.time_ms + 1000);
              if (r.claims.empty()) r.where.clear();  // only its time counts (the span)
              records.push_back(std::move(r));
            }
            return true;
          });
      if (!st.ok()) return Die(st.message());
    }
  }
  // And the changes committed meanwhile, which records read since may claim.
  if (Status st = read_changes(head); !st.ok()) {
    return Die("cannot read the store's change log: " + st.message());
  }
  auto res = audit::CrossCheck(records, changes, complete, span_floor_ms, head);
  constexpr size_t kShown = 50;
  for (size_t i = 0; i < res.problems.size() && i < kShown; ++i) {
    std::cout << "FAILED " << res.problems[i] << "\n";
  }
  if (res.problems.size() > kShown) {
    std::cout << "FAILED ... and " << res.problems.size() - kShown << " more\n";
  }
  std::cout << "store changes: " << (res.problems.empty() ? "OK, " : "") << res.claims_checked
            << " claimed changes match the store";
  if (res.claims_trimmed > 0) std::cout << " (" << res.claims_trimmed << " older than the retained log)";
  if (res.claims_undone > 0) {
    std::cout << "; " << res.claims_undone << " claimed changes were undone by a store restore "
              << "(arcana store restore: its RestoreStore record)";
  }
  if (complete) {
    std::cout << "; " << res.changes_checked
              << " changes from the trail's first record to the store's head checked for a record\n";
  } else {
    std::cout << "; not checked that every change has a record (pass every node's --audit-dir "
                 "and --all-nodes)\n";
  }
  return res.problems.empty() ? 0 : 1;
}

Result<storage::AuditIndexStore*> AuditCommands::Index() {
  if (!dirs_.empty() || store_url_.empty()) return nullptr;
  ARCANA_ASSIGN_OR_RETURN(auto where, storage::ParseStoreLocation(store_url_));
  // A SQLite store serves one node, whose files are the whole trail (and it has no index).
  if (where.kind != storage::StoreLocation::Kind::kPostgres) return nullptr;
  if (!stores_) {
    ARCANA_ASSIGN_OR_RETURN(stores_, storage::OpenStores(where));
  }
  return stores_->audit_index();
}

Result<std::vector<audit::TrailMatch>> AuditCommands::Newest(const audit::TrailQuery& q,
                                                             bool* more) {
  ARCANA_ASSIGN_OR_RETURN(storage::AuditIndexStore * index, Index());
  const auto limit = static_cast<size_t>(count_);
  if (index != nullptr) return audit::SearchIndexedTrail(*index, q, limit, more);
  return audit::SearchTrail(Dir(), q, limit, more);
}

int AuditCommands::Tail() {
  if (count_ < 1) return Die("-n must be at least 1");
  bool more = false;
  auto page = Newest(audit::TrailQuery{}, &more);
  if (!page.ok()) return Die(page.status().message());
  for (auto it = page->rbegin(); it != page->rend(); ++it) {
    std::cout << it->line << "\n";
  }
  if (!follow_) return 0;
  std::cout << std::flush;
  auto index = Index();  // opened by Newest already
  if (!index.ok()) return Die(index.status().message());
  return *index != nullptr ? FollowIndex(**index) : FollowFiles(*page);
}

int AuditCommands::FollowIndex(storage::AuditIndexStore& index) {
  // Each node's position: its newest record in the index now, printed or not (older than
  // -n), as the files' follow starts after what exists.
  std::map<std::string, uint64_t> seen;
  auto nodes = index.ListAuditNodes();
  if (!nodes.ok()) return Die(nodes.status().message());
  for (const auto& n : *nodes) seen[n.node] = n.last_sequence;
  bool failing = false;
  bool behind = false;
  // At most this many pages of one node per round, so that a backlog (a node shipping what
  // it wrote while the store was away) is printed in bounded pieces, not held whole.
  constexpr int kPagesPerRound = 8;
  for (;;) {
    if (!behind) std::this_thread::sleep_for(std::chrono::seconds(1));
    behind = false;
    // Every node's records since its position, a page at a time; a node that appeared
    // meanwhile starts at 0. A read that fails is tried again next second (said once).
    Status st = Status::Ok();
    std::vector<storage::AuditIndexRow> fresh;
    auto now = index.ListAuditNodes();
    if (!now.ok()) st = now.status();
    for (size_t i = 0; st.ok() && i < now->size(); ++i) {
      const storage::AuditIndexNode& n = (*now)[i];
      uint64_t& at = seen[n.node];
      for (int page = 0; at < n.last_sequence; ++page) {
        if (page == kPagesPerRound) {
          behind = true;
          break;
        }
        auto rows = index.ReadAuditRecordsAfter(n.node, at, storage::kMaxListLimit);
        if (!rows.ok()) {
          st = rows.status();
          break;
        }
        // None left up to last_sequence: trimmed (older than the index keeps) meanwhile.
        at = rows->empty() ? n.last_sequence : rows->back().sequence;
        std::move(rows->begin(), rows->end(), std::back_inserter(fresh));
      }
    }
    if (!st.ok() && !failing) std::cerr << "arcana: reading the store's audit index: " << st.message() << "\n";
    failing = !st.ok();
    // Oldest first across nodes, as the trail's order puts them (time, node, sequence).
    std::sort(fresh.begin(), fresh.end(), [](const auto& a, const auto& b) {
      return std::tie(a.time_ms, a.node, a.sequence) < std::tie(b.time_ms, b.node, b.sequence);
    });
    for (const auto& r : fresh) std::cout << r.line << "\n";
    std::cout << std::flush;
  }
}

int AuditCommands::FollowFiles(const std::vector<audit::TrailMatch>& printed) {
  auto nodes = audit::ListNodes(Dir());
  if (!nodes.ok()) return Die(nodes.status().message());
  std::map<std::string, uint64_t> seen;  // node -> newest sequence printed
  for (const auto& m : printed) seen[m.node] = std::max(seen[m.node], m.sequence);
  // Where each node's reading continues: its newest file and the offset after the last whole
  // line read. Every second only what was appended since is read (the whole trail was read
  // again each second before: a busy node's 64 MiB files kept a core busy).
  std::map<std::string, FollowCursor> cursors;
  for (const auto& n : *nodes) {
    if (n.record_files.empty()) continue;
    FollowCursor& c = cursors[n.node];
    c.number = n.numbers.back();
    c.path = n.record_files.back();
    // Start after what exists now, even if it was not printed (older than -n).
    (void)ReadAppended(c, [&](std::string_view line) {
      seen[n.node] = std::max(seen[n.node], audit::SequenceOf(line));
    });
  }
  auto print = [&](const std::string& node, std::string_view line) {
    const uint64_t seq = audit::SequenceOf(line);
    // The sequence guards against printing twice when a file was replaced and is read again.
    if (seq == 0 || seq <= seen[node]) return;
    std::cout << line << "\n";
    seen[node] = seq;
  };
  for (;;) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    auto now = audit::ListNodes(Dir());
    if (!now.ok()) continue;
    for (const auto& n : *now) {
      auto [it, added] = cursors.try_emplace(n.node);
      FollowCursor& c = it->second;
      if (added) c.number = 0;  // a node that appeared meanwhile: all of its files are new
      auto on_line = [&](std::string_view line) { print(n.node, line); };
      // The file being followed first, to its end: a newer file in this listing means the
      // writer rotated before the listing, so this one is complete once read now.
      if (!c.path.empty()) (void)ReadAppended(c, on_line);
      for (size_t i = 0; i < n.numbers.size(); ++i) {
        if (n.numbers[i] <= c.number) continue;
        c.number = n.numbers[i];
        c.path = n.record_files[i];
        c.offset = 0;
        c.skipping = false;
        (void)ReadAppended(c, on_line);
      }
    }
    std::cout << std::flush;
  }
}

int AuditCommands::Search() {
  if (count_ < 1) return Die("-n must be at least 1");
  if (!since_.empty()) {
    q_.start_ms = audit::ParseIsoTime(since_);
    if (q_.start_ms < 0) return Die("--since must be YYYY-MM-DDThh:mm:ssZ");
  }
  if (!until_.empty()) {
    q_.end_ms = audit::ParseIsoTime(until_);
    if (q_.end_ms < 0) return Die("--until must be YYYY-MM-DDThh:mm:ssZ");
  }
  bool more = false;
  auto page = Newest(q_, &more);
  if (!page.ok()) return Die(page.status().message());
  for (const auto& m : *page) std::cout << m.line << "\n";
  if (more) std::cerr << "arcana: more records match; raise -n to see them\n";
  return 0;
}

Status RecordCliAction(const std::string& audit_dir, const CliAction& action,
                       const std::string& account, const crypto::RootKey& root,
                       storage::Stores& stores) {
  storage::MetaStore& meta = stores.meta();
  char host[128] = {0};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  std::string node = "cli-";
  for (const char* c = host; *c != '\0' && node.size() < 64; ++c) {
    node += (std::isalnum(static_cast<unsigned char>(*c)) || *c == '-') ? *c : '_';
  }
  // Passed even while sealed: it registers the file set in the store (audit/node_head.h);
  // the digest waits for a run with the root unsealed.
  audit::RootDerivedSigner signer(root, &meta);
  audit::FileTrailOptions o;
  o.dir = audit_dir;
  o.node = node;
  o.wait_for_lock = true;
  o.wal_bytes = 0;  // one record per run: syncing the file is cheaper than preallocating a log
  ARCANA_ASSIGN_OR_RETURN(auto trail, audit::FileTrail::Open(o, &signer));
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  audit::AuditEvent e = audit::OperatorEvent(action.event_name, account, "", now);
  e.source_ip = "arcana-cli";
  e.user_agent = "arcana-cli";
  rapidjson::StringBuffer params;
  json::Writer w(params);
  w.StartObject();
  // Operator input: written as JSON strings, never spliced.
  for (const auto& [k, v] : action.parameters) json::KV(w, k.c_str(), v);
  w.EndObject();
  e.request_parameters.assign(params.GetString(), params.GetSize());
  e.resources = action.resources;
  audit::ClaimThreadChanges(e);  // the caller's Scope collected the action's write
  Status st = trail->Write(audit::EventJson(e));
  const uint64_t durable = trail->durable_sequence();
  trail->Close();
  if (st.ok() && stores.audit_index() != nullptr) {
    // No arcanad ships this file set: the record goes to the store's index from here, so
    // that LookupEvents on every node finds it (the file keeps it whatever happens here).
    audit::TrailIndexer indexer(audit_dir, node, *stores.audit_index(),
                                [durable] { return durable; });
    if (Status shipped = indexer.CatchUp(); !shipped.ok()) {
      std::cerr << "arcana: the record is in " << audit_dir << " but not in the store's index ("
                << shipped.message() << "): LookupEvents does not find it\n";
    }
  }
  return st;
}

Status RecordCliAction(const std::string& audit_dir, const std::string& event_name,
                       const std::string& access_key_id, const std::string& account,
                       const crypto::RootKey& root, storage::Stores& stores) {
  CliAction a;
  a.event_name = event_name;
  a.parameters = {{"AccessKeyId", access_key_id}};
  a.resources = {{"AWS::IAM::AccessKey", access_key_id, account}};
  return RecordCliAction(audit_dir, a, account, root, stores);
}

}  // namespace arcana::cli
