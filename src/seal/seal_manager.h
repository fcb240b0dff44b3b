// The root of trust: how the root key is kept at rest and how the server gets it back.
//
// Strategies (the store records which one it uses, meta "root.seal"):
//   keyfile  auto-unseal from the root key file (--root-key-file, default <data-dir>/root.key,
//            0600). The default for a new store, dev mode and `make serve`; data dirs made
//            before this module are keyfile ones. Every node on one store needs the same file.
//   shamir   `arcana operator init --shares N --threshold K` splits the root key into N
//            Shamir shares (crypto/shamir.h), printed once; the server starts sealed and
//            unseals when K shares have been submitted (POST /_arcana/operator/unseal).
//            The first share of an attempt returns a random nonce; every later share must
//            carry it (as Vault binds its generate-root and rekey progress), so a stranger
//            can neither add to nor reset someone else's progress.
//   pkcs11   auto-unseal: the root key is stored only wrapped (AES-GCM) by a non-extractable
//            AES key on a PKCS#11 token (seal/pkcs11_wrap.h), generated there at first start.
//
// What the store keeps (meta), never the root key in the clear:
//   root.seal     strategy name             root.shamir   "threshold/shares"
//   root.check    RootKey::Seal of a fixed value: tells a wrong key (or wrong shares) apart.
//                 A node whose key does not open it refuses to start (or to unseal), naming
//                 its key's id and the id the store was initialised with (the blob's header).
//   root.derive   the DeriveKey secret, sealed (absent in old data dirs: the root itself)
//   root.pkcs11   the HSM-wrapped root key
//   root.pending  during a rotation: the other key (new before the commit, old after it)
//                 sealed under the committed one
//   root.rotating the rotation lease: "<holder> <expiry unix ms>" while one node rotates,
//                 " committed" appended by its commit (step 4)
//
// Several nodes (one PostgreSQL store): one rotation at a time, cluster-wide. A rotation
// takes the lease before it writes root.pending, and while the lease is live no other node
// deletes the rotating node's root.key.new nor rolls back its root.pending (at start or
// unseal it installs the committed key with the pending one beside it); once the lease says
// committed, what is left is Recover's pass, which any node may run. The rotation's
// commit (step 4) is conditional on its lease and root.pending being still in the store, so
// a rotation that lost them (its lease expired and another node rolled it back) aborts
// instead of committing a root nobody else holds. A lease left by a crashed node expires and
// the next unseal or rotate-root completes that rotation.
// A node whose key is no longer the store's root (another node rotated it) must never seal
// under it again: it checks the store's root.check before each seal under the root (one
// single-row read: root seals are writes of key material and credentials, never reads), and
// when it applies the rotation's change (FollowChanges). It then adopts the new key when it
// can reach it (a shared key file, the HSM-wrapped root.pkcs11) or seals itself (its own
// copy of the key file, Shamir), logging what the operator must do. That check cannot see a
// rotation that commits between it and the write's commit, so the store decides too: a
// write of a root-sealed blob commits only while the blob's key is the store's root (or a
// rotation is still uncommitted), checked inside its own transaction, which the rotation's
// locked rewrap orders before or after itself (storage/root_guard.h, both backends: on
// SQLite it covers the offline `arcana` CLI writing beside a running arcanad); the request
// is refused with ServiceUnavailable and its retry seals again. The rotating node
// also waits straggler_grace after its commit before its verification pass (a margin only:
// with the guard no blob under the old key can commit after the commit).
//
// Initialisation of a new store is race-free when several nodes start on it at once: each
// writes its values with MetaStore::PutMetaIfAbsent (PKCS#11: the wrapped root first, and the
// others unwrap the winner's; then root.check, root.derive and, last, root.seal) and goes on
// with what the store holds. A node whose key differs from the winner's refuses to start.
//
// Rotation (RotateRoot): lease -> new key K2 -> root.pending -> the holder encrypts with K2
// and opens both -> wait for every RootKey::Hold taken under K1 (requests, and background
// writers such as automatic KMS key rotation, which hold the key from Seal to commit; if they
// do not finish in time the rotation rolls back at once: K2's blobs move back to K1) -> ONE
// transaction, conditional on the lease and root.pending, rewraps every root-wrapped blob
// (KMS key materials, access-key secrets, pre-KMS secret data keys, root.derive) and commits
// the new root.check / strategy data, with root.pending now = K1 sealed under K2 -> (key
// file: rename root.key.new over root.key, or write K2 again) -> a second full pass rewraps
// anything still under K1 and drops root.pending and the lease in the same transaction ->
// forget K1. Once the commit happened the new key is never dropped: if a later step fails,
// the report carries it (shares) with a warning, K1 stays held (and recoverable through
// root.pending). Every blob names its root key (root_key.h), so a crash anywhere is completed
// at the next unseal (or rotate-root) by moving every blob to the committed key.
// A Shamir rotation is a two-step rekey (RekeyInit returns a nonce; only once the threshold of
// *current* shares has been submitted with it does the rotation run and hand out the new
// shares, once), so new shares never go to someone who could not unseal the server anyway.
// Thread-safety: every public method is thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "crypto/root_key.h"
#include "crypto/secure_memory.h"
#include "crypto/shamir.h"
#include "seal/pkcs11_wrap.h"
#include "storage/change_follower.h"
#include "storage/meta_store.h"
#include "storage/root_store.h"

namespace arcana::seal {

struct SealOptions {
  std::string type;  // "" = what the store records (keyfile for a new one)
  std::string data_dir;
  Pkcs11Options pkcs11;
  // A Shamir unseal or rekey attempt with no share for this long is dropped, so a
  // stalled (or hostile) attempt cannot block the share holders for ever.
  std::chrono::seconds attempt_ttl{600};
  std::string root_key_file;  // keyfile: the key's path; "" = <data_dir>/root.key
  // Other nodes share the store (PostgreSQL): check the store's root before sealing under
  // the root key, and wait straggler_grace between a rotation's commit and its verification.
  bool shared_store = false;
  std::chrono::milliseconds straggler_grace{2000};
  std::chrono::milliseconds rotation_lease{std::chrono::minutes(10)};
  // How long a rotation waits for requests and jobs that hold the old key (step 3) before
  // it rolls back; also how long a retry waits for them before completing that rollback.
  std::chrono::milliseconds older_holds_wait{std::chrono::seconds(60)};
};

struct SealStatus {
  bool sealed = true;
  std::string type;
  int threshold = 0;  // shamir
  int shares = 0;     // shamir
  int progress = 0;   // shamir: shares submitted so far
  std::string root_key_id;  // while unsealed
};

// What a share submission answers: the status and, while an unseal attempt is in progress,
// its nonce (to be passed with every later share of the attempt).
struct UnsealReply {
  SealStatus status;
  std::string nonce;
};

struct RekeyStatus {
  std::string nonce;  // the attempt's nonce
  int threshold = 0;
  int progress = 0;   // current shares submitted so far
};

struct RotationReport {
  std::string old_root_key_id;
  std::string new_root_key_id;
  size_t rewrapped = 0;
  std::vector<std::string> shares;  // shamir: the new shares (shown once)
  // Set when the new root is committed (the rotation happened: keep the new key, file or
  // shares) but a later step did not finish; what was left is completed at the next unseal.
  std::string warning;
};

class SealManager {
 public:
  // KMS key materials are rewrapped through rot (RootOfTrustStore::RewrapRootBlobs walks them
  // in the same transaction as every other root-wrapped blob).
  SealManager(SealOptions opts, storage::MetaStore& meta, storage::RootOfTrustStore& rot,
              crypto::RootKey& root);

  // At start: a new data dir gets a root key (keyfile / pkcs11; shamir needs operator
  // init); keyfile and pkcs11 unseal now; shamir stays sealed. Recovers an interrupted
  // rotation. Errors: the reason the server must not start.
  Status Start();

  SealStatus status() const;
  // shamir: one share (text form) of the attempt `nonce` ("" starts a new attempt when none
  // is in progress). Returns the status after it and the attempt's nonce. Errors:
  // kInvalidParameter (malformed or repeated share; or the threshold was met with wrong
  // shares: progress is reset), kConflict (nonce does not name the attempt in progress:
  // nothing changes).
  // keyfile / pkcs11: share and nonce ignored, unseals again from the key file / HSM; the
  // caller must have authenticated the operator.
  Result<UnsealReply> Unseal(std::string_view share_text, std::string_view nonce = "");
  // Drops the unseal attempt in progress. The caller must have authenticated the operator.
  void ResetProgress();
  // Wipes the root key from memory; API calls are refused until unsealed again.
  Status Seal();
  // Called (under the transition lock) when sealed, e.g. to drop caches of opened keys.
  // Register before serving.
  void AddSealListener(std::function<void()> fn) { seal_listeners_.push_back(std::move(fn)); }
  // Applies other nodes' root rotations as this node's follower sees them (see Several
  // nodes above). Call once before serving.
  void FollowChanges(storage::ChangeFollower& follower);
  // keyfile / pkcs11: rotates now. Errors: kServiceUnavailable while sealed;
  // kInvalidParameter for a Shamir store (its rotation needs a quorum: RekeyInit);
  // kConflict while another node rotates.
  Result<RotationReport> RotateRoot();

  // shamir: starts a rotation attempt (replacing any earlier one); the caller must have
  // authenticated the operator. Errors: kServiceUnavailable while sealed; kInvalidParameter
  // when the store is not Shamir.
  Result<RekeyStatus> RekeyInit();
  // One current share for the attempt `nonce`. Until the threshold is met returns the
  // progress (report empty); then verifies that the shares rebuild the current root key,
  // rotates, and returns the report with the new shares. Errors: kConflict (no attempt or
  // another nonce: nothing changes), kInvalidParameter (malformed / repeated share; wrong
  // shares at the threshold: the attempt is dropped), rotation errors.
  Result<std::pair<RekeyStatus, std::optional<RotationReport>>> RekeySubmit(
      std::string_view share_text, std::string_view nonce);
  void RekeyCancel();

  // Offline (CLI `operator init`): makes data dir's store a shamir one with a new root key,
  // installs it into root (so the caller can create the first access key) and returns the
  // shares. Errors: kInvalidParameter when the store was initialised already.
  static Result<std::vector<std::string>> InitShamir(storage::MetaStore& meta,
                                                     storage::RootOfTrustStore& rot,
                                                     crypto::RootKey& root, int shares,
                                                     int threshold);

 private:
  Status UnsealWith(std::string key);  // verify against root.check, install, recover
  // A new store: records this node's root key, or adopts what a node that started at the
  // same time recorded first (see Initialisation above), and installs it.
  Status InitializeStore(const std::string& type, std::string key);
  // The refusal when `key` does not open the store's verification value `check`.
  Status Mismatch(const std::string& type, const std::string& key, const std::string& check) const;
  std::string KeyFilePath() const;
  // Completes an interrupted rotation (root.pending `pending` and lease `lease` as read,
  // no live lease): every blob moves to the committed key, which this node must hold.
  Status Recover(const std::string& pending, const std::string& lease);
  // rotate-root found root.pending or a lease that is not live (this node's earlier rotation,
  // or a crashed node's): roll it back or forward to the committed key, as Recover.
  Status CompleteInterrupted(const std::string& pending, const std::string& lease);
  // What a rewrap transaction requires of the store, checked inside it: each meta key of
  // `expect` holds that value ("" = absent), and root.check is sealed under check_key_id.
  struct Expect {
    std::vector<std::pair<std::string, std::string>> meta;
    std::string check_key_id;
  };
  Result<size_t> RewrapAll(std::vector<std::pair<std::string, std::string>> puts,
                           std::vector<std::string> deletes, const Expect& expect);
  // Before the commit of this node's rotation failed or timed out: back to the old key
  // (blobs sealed under the new one meanwhile are rewrapped), lease and root.pending dropped
  // - kept, with the new key held, while work older than the rotation still runs (it may
  // still commit a blob sealed under the new key; the next rotate-root moves it).
  Status RollBack(const std::string& lease, const std::string& keyfile_new);
  // Once the new root is committed, the key file holds the new key (renames root.key.new,
  // or writes key again when the file is gone). Errors: the key file could not be written.
  Status PlaceKeyFile(const std::string& keyfile_new, const crypto::SecretString& key);
  // The seal check (shared store): Ok when root.check is under a key this node holds.
  Status CheckStoreRoot();
  // This node's key is not the store's root (check): adopt the new key or seal. Needs
  // rotate_mu_ (taken with try_lock: a transition in progress does its own checks).
  Status OnStoreRootMoved(const std::string& check);
  Result<std::string> AutoUnsealKey();  // keyfile / pkcs11
  Result<RotationReport> RotateLocked();  // rotate_mu_ held

  // Shares collected under one nonce (unseal or rekey), guarded by mu_.
  struct Attempt {
    std::string nonce;
    std::vector<crypto::Share> shares;
    std::chrono::steady_clock::time_point last;
    void Clear();
  };
  // Adds share to a (mu_ held). Errors as Unseal / RekeySubmit describe.
  Status AddShare(Attempt& a, std::string_view share_text, std::string_view nonce,
                  const char* what);

  SealOptions opts_;
  storage::MetaStore& store_;
  storage::RootOfTrustStore& rot_;
  crypto::RootKey& root_;

  mutable std::mutex mu_;  // type_, shamir state, unseal_, rekey_
  std::string type_;
  int threshold_ = 0;
  int shares_ = 0;
  Attempt unseal_;
  Attempt rekey_;
  std::vector<std::function<void()>> seal_listeners_;
  // Sealed by OnStoreRootMoved (inside some caller's seal or sync, where the listeners
  // cannot run): they run at the next transition.
  std::atomic<bool> listeners_owed_{false};
  std::string own_lease_;  // the lease of this node's rotation (rotate_mu_)
  // Between this node's BeginRotation and its commit: the store's root is still the key this
  // node holds as previous, and that is expected. Any other time the store's root must be
  // this node's current key.
  std::atomic<bool> rotating_here_{false};
  std::mutex rotate_mu_;  // one rotation / unseal / seal transition at a time
};

}  // namespace arcana::seal
