// `arcana audit ...`: offline reads of a node's audit files (audit/chain.h).
//   verify   checks every node's chain and signed digests (audit/trail_verify.h) under the
//            store's digest key, each node's newest digest against the store's record of it
//            (audit/node_head.h: removed digests, forged file sets) and the unsigned newest
//            records against the write-ahead log; exit 0 when intact, 1 naming the first bad
//            record otherwise
//   tail     the newest records (-n), then new ones as they come (--follow)
//   search   records matching filters (event name, resource, user, access key, source,
//            time range), newest first
// The files are read from --audit-dir (default <data-dir>/audit); the key from the store
// (--store, default sqlite:<data-dir>), or --public-key HEX when the store is out of reach.
// tail and search on a store several nodes share (--store postgresql://..., no --audit-dir)
// read the store's index of every node's records (storage/audit_index_store.h), which nodes
// fill within about a second of each record: the whole cluster's trail from any machine,
// as LookupEvents answers it; with --audit-dir, those files alone.
#pragma once

#include <CLI/CLI.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/touched_resources.h"
#include "audit/trail_query.h"
#include "common/status.h"
#include "crypto/root_key.h"
#include "storage/audit_index_store.h"
#include "storage/meta_store.h"
#include "storage/stores.h"

namespace arcana::cli {

class AuditCommands {
 public:
  AuditCommands(CLI::App& app, const std::string& data_dir, const std::string& store_url);
  // The exit code when an audit command was given, nullopt otherwise.
  std::optional<int> Run();

 private:
  int Verify();
  int Tail();
  int Search();
  std::string Dir() const;
  // The store's audit index when tail and search read it (see above), nullptr when they read
  // files. Errors: the store's, when it cannot be opened.
  Result<storage::AuditIndexStore*> Index();
  // The newest count records matching q, from the index or the files.
  Result<std::vector<audit::TrailMatch>> Newest(const audit::TrailQuery& q, bool* more);
  // tail --follow over the files of Dir() / over the index; never returns but on an error.
  int FollowFiles(const std::vector<audit::TrailMatch>& printed);
  int FollowIndex(storage::AuditIndexStore& index);
  // The store half of verify: records against the store's change log (audit/change_claims.h).
  int CrossCheckStore(storage::Stores& stores, const std::vector<std::string>& dirs);

  const std::string& data_dir_;
  const std::string& store_url_;
  CLI::App* audit_ = nullptr;
  CLI::App* verify_ = nullptr;
  CLI::App* tail_ = nullptr;
  CLI::App* search_ = nullptr;
  std::vector<std::string> dirs_;
  bool all_nodes_ = false;
  std::string public_key_hex_;
  int count_ = 20;
  bool follow_ = false;
  std::string since_, until_;
  audit::TrailQuery q_;
  std::unique_ptr<storage::Stores> stores_;  // Index()'s
};

// `audit tail --follow`'s place in one node's record files.
struct FollowCursor {
  uint32_t number = 0;    // the file's number (audit/chain.h file names)
  std::string path;       // "" before the node's first file
  uint64_t offset = 0;    // after the last whole line read (or the skipped part of one)
  bool skipping = false;  // offset is inside an over-long line, skipped up to its newline
};

// How much --follow reads at a time, and the longest line it holds back while waiting for the
// rest: a record line is a few KiB (the file sink itself reads only its last 1 MiB back).
inline constexpr size_t kFollowChunkBytes = size_t{1} << 20;
inline constexpr size_t kFollowMaxLineBytes = size_t{1} << 20;

// Calls fn for each whole line appended to c.path since c.offset, in order, and moves the
// offset past them. Reads chunk_bytes at a time (a newest file can be 64 MiB at the start),
// so memory stays within chunk_bytes + max_line_bytes. A torn last line (being written) waits
// for the next call; a line longer than max_line_bytes is skipped (a message on stderr). A
// file now shorter than the offset was replaced: it is read from its start (the caller skips
// what it printed). False when the file cannot be read (removed meanwhile).
bool ReadAppended(FollowCursor& c, const std::function<void(std::string_view)>& fn,
                  size_t chunk_bytes = kFollowChunkBytes,
                  size_t max_line_bytes = kFollowMaxLineBytes);

// An offline CLI action to record: its name, its operator input (requestParameters, written
// as JSON strings, never spliced) and the resources it made or removed.
struct CliAction {
  std::string event_name;  // "CreateUser", "CreateFunction", ...
  std::vector<std::pair<std::string, std::string>> parameters;
  std::vector<audit::Resource> resources;
};

// Records an offline CLI action (access-key create / delete, iam create-user, functions
// create / delete) in the CLI's own audit file set (node "cli-<hostname>" in
// <data-dir>/audit; concurrent CLIs queue on its lock, so its chain stays whole): an
// AwsServiceEvent of source arcana.operator, claiming the store changes the calling thread's
// CommittedChanges::Scope collected. A digest is signed when the root key is unsealed here;
// otherwise the next one covers the record. A store with an audit index (PostgreSQL) gets
// the record there too, since no arcanad ships this file set (a failure is reported on
// stderr, not returned: the record is in the file).
// Errors: the file sink's (the action already happened: the caller reports it).
Status RecordCliAction(const std::string& audit_dir, const CliAction& action,
                       const std::string& account, const crypto::RootKey& root,
                       storage::Stores& stores);
// The access-key form: AccessKeyId as the parameter and the resource.
Status RecordCliAction(const std::string& audit_dir, const std::string& event_name,
                       const std::string& access_key_id, const std::string& account,
                       const crypto::RootKey& root, storage::Stores& stores);

}  // namespace arcana::cli
