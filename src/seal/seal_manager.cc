#include "seal/seal_manager.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <set>
#include <thread>

#include "auth/access_keys.h"
#include "common/root_blob.h"
#include "crypto/aead.h"
#include "crypto/base64.h"
#include "crypto/envelope.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "crypto/secure_memory.h"
#include "seal/keyfile.h"
#include "storage/event_connection_store.h"

namespace arcana::seal {
namespace {

constexpr const char* kSealMeta = "root.seal";
constexpr const char* kCheckMeta = root_blob::kCheckMeta;
constexpr const char* kDeriveMeta = "root.derive";
constexpr const char* kShamirMeta = "root.shamir";
constexpr const char* kPkcs11Meta = "root.pkcs11";
constexpr const char* kPendingMeta = "root.pending";
constexpr const char* kRotatingMeta = root_blob::kRotatingMeta;
constexpr const char* kInitializedMeta = "initialized";

constexpr const char* kCheckAad = "arcana:root-check";
constexpr const char* kCheckValue = "arcana root key verification value v1";
constexpr const char* kDeriveAad = "arcana:root-derive";
constexpr const char* kPendingAad = "arcana:root-pending";
constexpr const char* kPkcs11Aad = "arcana:root-key:pkcs11";

// The id of the root key that sealed `blob` (root_key.h: 0xA7 'r' 0x01 | 8-byte id | ...),
// "" for a legacy untagged blob.
std::string SealedUnderId(std::string_view blob) {
  std::string_view id = root_blob::KeyIdOf(blob);
  return id.empty() ? std::string() : crypto::HexEncode(id);
}

// True on the thread that runs a transition of the root of trust (it holds rotate_mu_):
// its own seals (rewrap passes) skip the store check, and it never re-enters the lock.
thread_local bool t_in_transition = false;

struct TransitionScope {
  bool saved = t_in_transition;
  TransitionScope() { t_in_transition = true; }
  ~TransitionScope() { t_in_transition = saved; }
};

// Wipes a string holding key bytes on every way out of a scope (error returns included).
// A string moved from is empty, so guarding one that is handed on is harmless.
struct WipeOnExit {
  std::string& s;
  ~WipeOnExit() { crypto::SecureWipe(s); }
};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The rotation lease (root.rotating): "<random holder> <expiry unix ms>".
std::string NewLease(std::chrono::milliseconds ttl) {
  return crypto::HexEncode(crypto::RandomBytes(8)) + " " + std::to_string(NowMs() + ttl.count());
}

int64_t LeaseExpiryMs(const std::string& lease) {
  const size_t sp = lease.find(' ');
  return sp == std::string::npos ? 0 : std::strtoll(lease.c_str() + sp + 1, nullptr, 10);
}

bool LeaseLive(const std::string& lease) { return !lease.empty() && LeaseExpiryMs(lease) > NowMs(); }

// Step 4 marks its lease: from then on what is left (step 5) is what Recover does, so any
// node holding the committed key may do it (e.g. the rotating node itself after a restart).
constexpr std::string_view kCommittedMark = root_blob::kCommittedMark;

bool LeaseCommitted(const std::string& lease) { return lease.ends_with(kCommittedMark); }

bool KnownType(const std::string& t) { return t == "keyfile" || t == "shamir" || t == "pkcs11"; }

Result<std::string> Meta(storage::MetaStore& s, const char* key) {
  ARCANA_ASSIGN_OR_RETURN(auto v, s.GetMeta(key));
  return v ? *v : std::string();
}

// A throwaway holder with just this key, to test or produce values under it.
crypto::RootKey Holder(std::string_view key, std::string_view derive = "") {
  crypto::RootKey h;
  h.Install(std::string(key), std::string(derive));  // Install takes and wipes the copies
  return h;
}

Result<std::string> CheckValue(const crypto::RootKey& k) { return k.Seal(kCheckValue, kCheckAad); }

// Splits "a/b" into two ints.
bool ParseShamir(const std::string& v, int* threshold, int* shares) {
  return std::sscanf(v.c_str(), "%d/%d", threshold, shares) == 2 && *threshold >= 1 &&
         *shares >= *threshold;
}

// Rewraps one root-sealed blob under the holder's current key; nullopt when it is current
// already or was not sealed by a root key held (e.g. a KMS-wrapped data key).
Result<std::optional<std::string>> RewrapBlob(const crypto::RootKey& root, std::string_view blob,
                                              std::string_view aad) {
  if (root.IsCurrent(blob)) return std::optional<std::string>();
  auto plain = root.Open(blob, aad);
  if (!plain.ok()) return std::optional<std::string>();
  auto sealed = root.Seal(*plain, aad);
  crypto::SecureWipe(*plain);
  if (!sealed.ok()) return sealed.status();
  return std::optional<std::string>(std::move(sealed).value());
}

// The envelope of a secret value (crypto/envelope.h): format | u16 len key_id | key_id |
// u16 len wrapped | wrapped | body. Only `wrapped` may be root-sealed (pre-KMS values).
Result<std::optional<std::string>> RewrapEnvelope(const crypto::RootKey& root,
                                                  const storage::RootWrappedBlob& b) {
  std::string_view in = b.blob;
  const unsigned char format = crypto::ValueFormat(in);
  if (in.size() < 5 || (format != crypto::kValueFormatV1 && format != crypto::kValueFormatV2)) {
    return std::optional<std::string>();
  }
  size_t pos = 1;
  auto u16 = [&](size_t at) {
    return (static_cast<size_t>(static_cast<unsigned char>(in[at])) << 8) |
           static_cast<unsigned char>(in[at + 1]);
  };
  size_t id_len = u16(pos);
  pos += 2 + id_len;
  if (in.size() < pos + 2) return std::optional<std::string>();
  size_t wrapped_len = u16(pos);
  size_t wrapped_at = pos + 2;
  if (in.size() < wrapped_at + wrapped_len) return std::optional<std::string>();
  std::string aad = crypto::CanonicalContext({{"SecretARN", b.id}, {"SecretVersionId", b.sub}});
  ARCANA_ASSIGN_OR_RETURN(auto nw, RewrapBlob(root, in.substr(wrapped_at, wrapped_len), aad));
  if (!nw) return std::optional<std::string>();
  if (nw->size() > 0xffff) return Status(ErrorCode::kInternalFailure, "rewrapped key too large");
  std::string out(in.substr(0, pos));
  out.push_back(static_cast<char>((nw->size() >> 8) & 0xff));
  out.push_back(static_cast<char>(nw->size() & 0xff));
  out += *nw;
  out += in.substr(wrapped_at + wrapped_len);
  return std::optional<std::string>(std::move(out));
}

}  // namespace

SealManager::SealManager(SealOptions opts, storage::MetaStore& store,
                         storage::RootOfTrustStore& rot,
                         crypto::RootKey& root)
    : opts_(std::move(opts)), store_(store), rot_(rot), root_(root) {}

Status SealManager::Start() {
  std::lock_guard<std::mutex> r(rotate_mu_);
  TransitionScope transition;
  // Other nodes may rotate the root: never seal under a key that is no longer the store's.
  if (opts_.shared_store) root_.SetSealCheck([this] { return CheckStoreRoot(); });
  if (!opts_.type.empty() && !KnownType(opts_.type)) {
    return Status(ErrorCode::kInvalidParameter,
                  "--seal must be keyfile, shamir or pkcs11, not '" + opts_.type + "'");
  }
  ARCANA_ASSIGN_OR_RETURN(std::string recorded, Meta(store_, kSealMeta));
  ARCANA_ASSIGN_OR_RETURN(std::string initialized, Meta(store_, kInitializedMeta));
  if (recorded.empty() && !initialized.empty()) recorded = "keyfile";  // made before seal/
  if (recorded.empty()) {
    // A new store (or one whose first start stopped before it was initialised), perhaps
    // being initialised by other nodes at this very moment.
    std::string type = opts_.type.empty() ? "keyfile" : opts_.type;
    if (type == "shamir") {
      return Status(ErrorCode::kInvalidParameter,
                    "this store has no root key yet: run `arcana --data-dir " + opts_.data_dir +
                        " operator init --shares 5 --threshold 3` first");
    }
    std::string key;
    WipeOnExit wipe_key{key};
    if (type == "keyfile") {
      ARCANA_ASSIGN_OR_RETURN(key, keyfile::CreateIfAbsent(KeyFilePath()));
    } else {  // pkcs11: the first wrapped root stored wins; the others unwrap it
      std::string mine = crypto::RandomBytes(32);
      WipeOnExit wipe_mine{mine};
      ARCANA_ASSIGN_OR_RETURN(auto hsm, Pkcs11Wrapper::Open(opts_.pkcs11, true));
      auto wrapped = hsm->Wrap(mine, kPkcs11Aad);
      if (!wrapped.ok()) {
        crypto::SecureWipe(mine);
        return wrapped.status();
      }
      ARCANA_ASSIGN_OR_RETURN(std::string stored, store_.PutMetaIfAbsent(kPkcs11Meta, *wrapped));
      if (stored == *wrapped) {
        key = std::move(mine);
      } else {
        crypto::SecureWipe(mine);
        ARCANA_ASSIGN_OR_RETURN(key, hsm->Unwrap(stored, kPkcs11Aad));
      }
    }
    ARCANA_RETURN_IF_ERROR(InitializeStore(type, std::move(key)));
    spdlog::info("root of trust: {} root key {}", type, root_.id());
    return Status::Ok();
  }

  if (!opts_.type.empty() && opts_.type != recorded) {
    return Status(ErrorCode::kInvalidParameter,
                  "this data dir's root key is protected by '" + recorded + "', not '" +
                      opts_.type + "' (--seal / ARCANA_SEAL)");
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    type_ = recorded;
    if (recorded == "shamir") {
      ARCANA_ASSIGN_OR_RETURN(std::string v, Meta(store_, kShamirMeta));
      if (!ParseShamir(v, &threshold_, &shares_)) {
        return Status(ErrorCode::kInternalFailure, "the store's Shamir configuration is damaged");
      }
    }
  }
  if (recorded == "shamir") {
    spdlog::warn("root of trust: SEALED (Shamir {}/{}): run `arcana operator unseal` with {} shares",
                 threshold_, shares_, threshold_);
    return Status::Ok();
  }
  ARCANA_ASSIGN_OR_RETURN(std::string key, AutoUnsealKey());
  ARCANA_RETURN_IF_ERROR(UnsealWith(std::move(key)));
  spdlog::info("root of trust: unsealed by {} (root key {})", recorded, root_.id());
  return Status::Ok();
}

Result<std::string> SealManager::AutoUnsealKey() {
  std::string type;
  {
    std::lock_guard<std::mutex> l(mu_);
    type = type_;
  }
  if (type == "keyfile") {
    const std::string path = KeyFilePath();
    const std::string fresh = keyfile::NewPathFor(path);
    ARCANA_ASSIGN_OR_RETURN(std::string check, Meta(store_, kCheckMeta));
    if (keyfile::Exists(fresh)) {
      // A rotation stopped between writing the new file and replacing the old one: the
      // store's verification value says which key it committed. A new file that does not
      // open it is another node's rotation in flight while its lease is live (never
      // delete it: its commit needs it), a leftover otherwise.
      auto k = keyfile::Read(fresh);
      const bool committed = k.ok() && !check.empty() && Holder(*k).Open(check, kCheckAad).ok();
      if (k.ok()) crypto::SecureWipe(*k);
      ARCANA_ASSIGN_OR_RETURN(std::string lease, Meta(store_, kRotatingMeta));
      if (committed) {
        ARCANA_RETURN_IF_ERROR(keyfile::Promote(fresh, path));
        spdlog::warn("root of trust: finished an interrupted key file replacement");
      } else if (!LeaseLive(lease)) {
        keyfile::Remove(fresh);
      }
    }
    if (!keyfile::Exists(path)) {
      // Only a new store gets a new key file: this one already has a root key.
      return Status(ErrorCode::kInvalidParameter,
                    "the root key file " + path + " does not exist, but this store was "
                    "initialised with root key " + SealedUnderId(check) + ". Every node on one "
                    "store needs the same key file: copy it from a node of this store "
                    "(--root-key-file / ARCANA_ROOT_KEY_FILE)");
    }
    return keyfile::Read(path);
  }
  if (type == "pkcs11") {
    ARCANA_ASSIGN_OR_RETURN(std::string wrapped, Meta(store_, kPkcs11Meta));
    if (wrapped.empty()) {
      return Status(ErrorCode::kInternalFailure, "the store holds no HSM-wrapped root key");
    }
    ARCANA_ASSIGN_OR_RETURN(auto hsm, Pkcs11Wrapper::Open(opts_.pkcs11, false));
    return hsm->Unwrap(wrapped, kPkcs11Aad);
  }
  return Status(ErrorCode::kInvalidParameter, "this server unseals with shares, not automatically");
}

Status SealManager::UnsealWith(std::string key) {
  WipeOnExit wipe_key{key};
  ARCANA_ASSIGN_OR_RETURN(std::string check, Meta(store_, kCheckMeta));
  crypto::RootKey probe = Holder(key);
  std::vector<std::pair<std::string, std::string>> puts;
  if (check.empty()) {
    // A data dir made before seal/: record its strategy and verification value now.
    ARCANA_ASSIGN_OR_RETURN(std::string c, CheckValue(probe));
    puts.emplace_back(kCheckMeta, c);
    puts.emplace_back(kSealMeta, "keyfile");
  } else if (!probe.Open(check, kCheckAad).ok()) {
    std::string type;
    {
      std::lock_guard<std::mutex> l(mu_);
      type = type_;
    }
    return Mismatch(type, key, check);
  }
  std::string derive;
  WipeOnExit wipe_derive{derive};
  ARCANA_ASSIGN_OR_RETURN(std::string derive_sealed, Meta(store_, kDeriveMeta));
  if (!derive_sealed.empty()) {
    // During an interrupted rotation root.derive may be sealed under the pending key.
    auto d = probe.Open(derive_sealed, kDeriveAad);
    if (d.ok()) derive = std::move(d).value();
  }
  std::string previous;
  WipeOnExit wipe_previous{previous};
  ARCANA_ASSIGN_OR_RETURN(std::string pending, Meta(store_, kPendingMeta));
  ARCANA_ASSIGN_OR_RETURN(std::string lease, Meta(store_, kRotatingMeta));
  if (!pending.empty()) {
    auto p = probe.Open(pending, kPendingAad);
    if (p.ok()) previous = std::move(p).value();
    if (derive.empty() && !derive_sealed.empty() && !previous.empty()) {
      auto d = Holder(previous).Open(derive_sealed, kDeriveAad);
      if (d.ok()) derive = std::move(d).value();
    }
  }
  if (!puts.empty()) ARCANA_RETURN_IF_ERROR(rot_.UpdateMeta(puts, {}));
  root_.Install(std::move(key), std::move(derive), std::move(previous));
  if (pending.empty() && lease.empty()) return Status::Ok();
  if (LeaseLive(lease) && !LeaseCommitted(lease)) {
    // Another node is rotating: its rotation is its own to finish (or to roll back). This
    // node holds the committed key and the pending one beside it, so it opens both.
    spdlog::warn("root of trust: another node is rotating the root key (lease for {} s "
                 "more); its rotation is left to it",
                 (LeaseExpiryMs(lease) - NowMs()) / 1000);
    return Status::Ok();
  }
  return Recover(pending, lease);
}

std::string SealManager::KeyFilePath() const {
  return opts_.root_key_file.empty() ? keyfile::PathIn(opts_.data_dir) : opts_.root_key_file;
}

Status SealManager::Mismatch(const std::string& type, const std::string& key,
                             const std::string& check) const {
  const std::string stored = SealedUnderId(check).empty() ? "(unknown)" : SealedUnderId(check);
  const std::string ids = "it holds root key " + crypto::RootKey::IdOf(key) +
                          ", but the store was initialised with root key " + stored +
                          " (its verification value root.check does not open)";
  if (type == "keyfile") {
    return Status(ErrorCode::kInvalidParameter,
                  "the root key file " + KeyFilePath() + " does not match this store: " + ids +
                      ". Every node on one store needs the same key file: copy it from a node "
                      "of this store (--root-key-file / ARCANA_ROOT_KEY_FILE)");
  }
  if (type == "pkcs11") {
    return Status(ErrorCode::kInvalidParameter,
                  "the key the HSM unwrapped does not match this store: " + ids +
                      ". Every node on one store needs the same PKCS#11 token and wrapping key");
  }
  return Status(ErrorCode::kInvalidParameter,
                "the key does not match this store's root key (verification failed)");
}

Status SealManager::InitializeStore(const std::string& type, std::string key) {
  WipeOnExit wipe_key{key};
  crypto::RootKey probe = Holder(key);
  // 1. The verification value: the first one stored names the store's root key.
  ARCANA_ASSIGN_OR_RETURN(std::string my_check, CheckValue(probe));
  ARCANA_ASSIGN_OR_RETURN(std::string check, store_.PutMetaIfAbsent(kCheckMeta, my_check));
  if (!probe.Open(check, kCheckAad).ok()) {
    Status refused = Mismatch(type, key, check);
    crypto::SecureWipe(key);
    return refused;
  }
  // 2. The derivation secret: the first one stored, opened with the (now verified) key.
  std::string my_derive = crypto::RandomBytes(32);
  auto my_derive_sealed = probe.Seal(my_derive, kDeriveAad);
  crypto::SecureWipe(my_derive);
  if (!my_derive_sealed.ok()) return my_derive_sealed.status();
  ARCANA_ASSIGN_OR_RETURN(std::string derive_sealed,
                          store_.PutMetaIfAbsent(kDeriveMeta, *my_derive_sealed));
  auto derive = probe.Open(derive_sealed, kDeriveAad);
  if (!derive.ok()) {
    crypto::SecureWipe(key);
    return Status(ErrorCode::kInternalFailure,
                  "the store's derivation secret (root.derive) does not open under its root key");
  }
  // 3. The strategy, last: once it is recorded the store counts as initialised.
  ARCANA_ASSIGN_OR_RETURN(std::string recorded, store_.PutMetaIfAbsent(kSealMeta, type));
  if (recorded != type) {
    crypto::SecureWipe(key);
    return Status(ErrorCode::kInvalidParameter,
                  "this store's root key is protected by '" + recorded + "', not '" + type +
                      "' (--seal / ARCANA_SEAL)");
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    type_ = type;
  }
  root_.Install(std::move(key), std::move(derive).value());
  return Status::Ok();
}

Status SealManager::Recover(const std::string& pending, const std::string& lease) {
  // The store committed the current key; blobs under the other key (root.pending: the new
  // key of a rotation stopped before its commit, or the old key of one stopped after it)
  // move to the committed one. Conditional on root.pending and the lease being what was
  // read: two nodes that start at once do it once, and a rotation begun since is left alone.
  spdlog::warn("root of trust: completing an interrupted root rotation");
  auto n = RewrapAll({}, {kPendingMeta, kRotatingMeta},
                     Expect{{{kPendingMeta, pending}, {kRotatingMeta, lease}}, root_.id()});
  if (!n.ok()) {
    ARCANA_ASSIGN_OR_RETURN(std::string now, Meta(store_, kPendingMeta));
    if (n.status().code() != ErrorCode::kConflict || !now.empty()) return n.status();
    // Another node completed it first.
    root_.FinishRotation();
    spdlog::warn("root of trust: another node completed the interrupted rotation");
    return Status::Ok();
  }
  root_.FinishRotation();
  spdlog::warn("root of trust: interrupted rotation completed ({} blobs rewrapped)", *n);
  return Status::Ok();
}

Result<size_t> SealManager::RewrapAll(std::vector<std::pair<std::string, std::string>> puts,
                                      std::vector<std::string> deletes, const Expect& expect) {
  // One transaction over every root-wrapped blob (KMS key materials included) and the meta
  // changes: when it commits, nothing stale is left and the commit point moved with it.
  // Both backends visit the named meta keys in the order given, after every other blob: the
  // expected keys first, root.check last, so when root.check is visited every expectation
  // has been seen (a retried transaction visits them all again; `seen` is reset by any
  // other blob, and by root.check itself).
  std::vector<std::string> meta_keys;
  for (const auto& [k, v] : expect.meta) meta_keys.push_back(k);
  meta_keys.push_back(kDeriveMeta);
  meta_keys.push_back(kCheckMeta);
  std::set<std::string> seen;
  auto moved = [](const std::string& what) {
    return Status(ErrorCode::kConflict,
                  "the store's " + what +
                      " changed while this node was rotating the root key (another node took "
                      "the rotation over or rolled it back)");
  };
  return rot_.RewrapRootBlobs(
      meta_keys,
      [&](const storage::RootWrappedBlob& b) -> Result<std::optional<std::string>> {
        if (b.kind != storage::RootWrappedBlob::Kind::kMeta) seen.clear();
        switch (b.kind) {
          case storage::RootWrappedBlob::Kind::kAccessKeySecret: {
            storage::AccessKeyRecord rec;
            rec.access_key_id = b.id;
            rec.account_id = b.account;
            rec.principal_arn = b.principal;
            rec.sealed_secret = b.blob;
            return auth::RewrapAccessKeySecret(root_, rec);
          }
          case storage::RootWrappedBlob::Kind::kSecretValue:
            return RewrapEnvelope(root_, b);
          case storage::RootWrappedBlob::Kind::kEventConnectionSecret: {
            // Stored as base64 text of a root-sealed blob (event_connection_store.h).
            auto raw = crypto::Base64Decode(b.blob);
            if (!raw) return std::optional<std::string>();
            ARCANA_ASSIGN_OR_RETURN(
                auto nb, RewrapBlob(root_, *raw, storage::EventConnectionSecretAad(b.id)));
            if (!nb) return std::optional<std::string>();
            return std::optional<std::string>(crypto::Base64Encode(*nb));
          }
          case storage::RootWrappedBlob::Kind::kMeta: {
            for (const auto& [k, v] : expect.meta) {
              if (b.id != k) continue;
              if (b.blob != v) return moved(k);
              seen.insert(k);
              return std::optional<std::string>();
            }
            if (b.id == kCheckMeta) {
              for (const auto& [k, v] : expect.meta) {
                if (!v.empty() && seen.count(k) == 0) return moved(k);
              }
              seen.clear();
              const std::string under = SealedUnderId(b.blob);  // "": a legacy untagged value
              if (!expect.check_key_id.empty() && !under.empty() && under != expect.check_key_id) {
                return Status(ErrorCode::kConflict,
                              "the store's root key is " + under + ", not " +
                                  expect.check_key_id + " (another node rotated it)");
              }
              return std::optional<std::string>();  // replaced by puts when they name it
            }
            return RewrapBlob(root_, b.blob, kDeriveAad);
          }
          case storage::RootWrappedBlob::Kind::kKmsKeyMaterial: {
            // Re-sealed under the binding recorded with it (use checks the binding).
            ARCANA_ASSIGN_OR_RETURN(auto nb, RewrapBlob(root_, b.blob, b.aad));
            if (!nb && !root_.IsCurrent(b.blob)) {
              return Status(ErrorCode::kInternalFailure,
                            "a KMS key material of key " + b.id +
                                " does not open under any root key held");
            }
            return nb;
          }
        }
        return std::optional<std::string>();
      },
      puts, deletes);
}

SealStatus SealManager::status() const {
  SealStatus s;
  std::lock_guard<std::mutex> l(mu_);
  s.sealed = root_.sealed();
  s.type = type_;
  s.threshold = threshold_;
  s.shares = shares_;
  const bool live = !unseal_.shares.empty() &&
                    std::chrono::steady_clock::now() - unseal_.last < opts_.attempt_ttl;
  s.progress = live ? static_cast<int>(unseal_.shares.size()) : 0;
  if (!s.sealed) s.root_key_id = root_.id();
  return s;
}

void SealManager::Attempt::Clear() {
  for (auto& s : shares) crypto::SecureWipe(s.y);
  shares.clear();
  crypto::SecureWipe(nonce);
  nonce.clear();
}

Status SealManager::AddShare(Attempt& a, std::string_view share_text, std::string_view nonce,
                             const char* what) {
  const auto now = std::chrono::steady_clock::now();
  if (!a.nonce.empty() && now - a.last >= opts_.attempt_ttl) {
    spdlog::warn("root of trust: {} attempt expired after {} s without a share", what,
                 opts_.attempt_ttl.count());
    a.Clear();
  }
  // The nonce is checked before the share is even decoded: a request that does not know
  // it learns nothing and changes nothing.
  if (!nonce.empty() || !a.nonce.empty()) {
    if (a.nonce.empty()) {
      return Status(ErrorCode::kConflict,
                    std::string("no ") + what +
                        " attempt with this nonce is in progress (it finished, expired or was "
                        "reset); submit a share without a nonce to start a new one");
    }
    if (!crypto::ConstantTimeEquals(crypto::Sha256(nonce), crypto::Sha256(a.nonce))) {
      return Status(ErrorCode::kConflict,
                    std::string("an ") + what +
                        " attempt is in progress and this nonce does not match it; ask the "
                        "operator who started it for its nonce (or reset it with operator "
                        "credentials)");
    }
  }
  ARCANA_ASSIGN_OR_RETURN(crypto::Share share, crypto::DecodeShare(share_text));
  for (const auto& s : a.shares) {
    if (s.index == share.index) {
      crypto::SecureWipe(share.y);
      return Status(ErrorCode::kInvalidParameter,
                    "share " + std::to_string(share.index) + " was given already");
    }
  }
  if (a.nonce.empty()) a.nonce = crypto::HexEncode(crypto::RandomBytes(16));
  a.shares.push_back(std::move(share));
  a.last = now;
  return Status::Ok();
}

void SealManager::ResetProgress() {
  std::lock_guard<std::mutex> l(mu_);
  unseal_.Clear();
}

Result<UnsealReply> SealManager::Unseal(std::string_view share_text, std::string_view nonce) {
  std::lock_guard<std::mutex> r(rotate_mu_);
  TransitionScope transition;
  if (!root_.sealed()) return UnsealReply{status(), ""};
  if (listeners_owed_.exchange(false)) {
    for (const auto& fn : seal_listeners_) fn();  // it sealed itself (OnStoreRootMoved)
  }
  std::string type;
  {
    std::lock_guard<std::mutex> l(mu_);
    type = type_;
  }
  if (type != "shamir") {
    ARCANA_ASSIGN_OR_RETURN(std::string key, AutoUnsealKey());
    ARCANA_RETURN_IF_ERROR(UnsealWith(std::move(key)));
    spdlog::info("root of trust: unsealed by {}", type);
    return UnsealReply{status(), ""};
  }
  std::vector<crypto::Share> shares;
  std::string attempt_nonce;
  {
    std::lock_guard<std::mutex> l(mu_);
    ARCANA_RETURN_IF_ERROR(AddShare(unseal_, share_text, nonce, "unseal"));
    if (static_cast<int>(unseal_.shares.size()) < threshold_) {
      spdlog::info("root of trust: unseal progress {}/{}", unseal_.shares.size(), threshold_);
      attempt_nonce = unseal_.nonce;
    } else {
      shares.swap(unseal_.shares);
      unseal_.Clear();
    }
  }
  if (shares.empty()) return UnsealReply{status(), std::move(attempt_nonce)};
  auto key = crypto::ShamirCombine(shares);
  for (auto& s : shares) crypto::SecureWipe(s.y);
  if (!key.ok()) {
    // The quorum's shares were taken above: the operators start over, and must be told so.
    spdlog::warn("root of trust: unseal failed: {}", key.status().message());
    return Status(key.status().code(), key.status().message() + "; unseal progress was reset");
  }
  Status st = UnsealWith(std::move(key).value());
  if (!st.ok()) {
    spdlog::warn("root of trust: unseal failed: {}", st.message());
    return Status(ErrorCode::kInvalidParameter,
                  "the shares do not reconstruct this store's root key; unseal progress was reset");
  }
  spdlog::info("root of trust: unsealed with {} shares (root key {})", threshold_, root_.id());
  return UnsealReply{status(), ""};
}

Status SealManager::Seal() {
  std::lock_guard<std::mutex> r(rotate_mu_);
  TransitionScope transition;
  root_.Wipe();
  {
    std::lock_guard<std::mutex> l(mu_);
    unseal_.Clear();
    rekey_.Clear();
  }
  listeners_owed_ = false;
  for (const auto& fn : seal_listeners_) fn();
  spdlog::warn("root of trust: SEALED by an operator; API calls are refused until unsealed");
  return Status::Ok();
}

Result<RotationReport> SealManager::RotateRoot() {
  std::lock_guard<std::mutex> r(rotate_mu_);
  TransitionScope transition;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (type_ == "shamir") {
      return Status(ErrorCode::kInvalidParameter,
                    "a Shamir root rotation needs a quorum of the current shares: start it with "
                    "RekeyInit and submit the shares with its nonce");
    }
  }
  return RotateLocked();
}

Result<RekeyStatus> SealManager::RekeyInit() {
  std::lock_guard<std::mutex> r(rotate_mu_);
  TransitionScope transition;
  if (root_.sealed()) {
    return Status(ErrorCode::kServiceUnavailable, "Arcana is sealed: unseal it before rotating");
  }
  std::lock_guard<std::mutex> l(mu_);
  if (type_ != "shamir") {
    return Status(ErrorCode::kInvalidParameter,
                  "only a Shamir root of trust rotates with shares; this one rotates at once");
  }
  rekey_.Clear();
  rekey_.nonce = crypto::HexEncode(crypto::RandomBytes(16));
  rekey_.last = std::chrono::steady_clock::now();
  spdlog::warn("root of trust: root rotation started; waiting for {} current shares", threshold_);
  return RekeyStatus{rekey_.nonce, threshold_, 0};
}

void SealManager::RekeyCancel() {
  std::lock_guard<std::mutex> l(mu_);
  rekey_.Clear();
}

Result<std::pair<RekeyStatus, std::optional<RotationReport>>> SealManager::RekeySubmit(
    std::string_view share_text, std::string_view nonce) {
  std::lock_guard<std::mutex> r(rotate_mu_);
  TransitionScope transition;
  if (root_.sealed()) {
    return Status(ErrorCode::kServiceUnavailable, "Arcana is sealed: unseal it before rotating");
  }
  std::vector<crypto::Share> shares;
  RekeyStatus st;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (type_ != "shamir") {
      return Status(ErrorCode::kInvalidParameter, "only a Shamir root of trust rotates with shares");
    }
    if (nonce.empty()) {
      return Status(ErrorCode::kConflict, "a rotation share needs the nonce of the rotation attempt");
    }
    ARCANA_RETURN_IF_ERROR(AddShare(rekey_, share_text, nonce, "rotation"));
    st = RekeyStatus{rekey_.nonce, threshold_, static_cast<int>(rekey_.shares.size())};
    if (st.progress < threshold_) return std::make_pair(st, std::optional<RotationReport>());
    shares.swap(rekey_.shares);
    rekey_.Clear();
  }
  // The quorum must rebuild the key in use, or whoever submitted would get new shares
  // without ever having held old ones.
  auto key = crypto::ShamirCombine(shares);
  for (auto& s : shares) crypto::SecureWipe(s.y);
  if (!key.ok()) return key.status();
  WipeOnExit wipe_key{*key};
  ARCANA_ASSIGN_OR_RETURN(std::string check, Meta(store_, kCheckMeta));
  const bool current = Holder(*key).Open(check, kCheckAad).ok();
  crypto::SecureWipe(*key);
  if (!current) {
    spdlog::warn("root of trust: rotation refused: the shares do not rebuild the current root key");
    return Status(ErrorCode::kInvalidParameter,
                  "the shares do not reconstruct the current root key; the rotation attempt "
                  "was dropped");
  }
  ARCANA_ASSIGN_OR_RETURN(RotationReport rep, RotateLocked());
  return std::make_pair(st, std::optional<RotationReport>(std::move(rep)));
}

Result<RotationReport> SealManager::RotateLocked() {
  if (root_.sealed()) {
    return Status(ErrorCode::kServiceUnavailable, "Arcana is sealed: unseal it before rotating");
  }
  std::string type;
  int threshold, shares;
  {
    std::lock_guard<std::mutex> l(mu_);
    type = type_;
    threshold = threshold_;
    shares = shares_;
  }
  // 0. One rotation at a time, cluster-wide; one that stopped (this node's or a crashed
  //    node's whose lease expired) is completed first.
  ARCANA_ASSIGN_OR_RETURN(std::string held, Meta(store_, kRotatingMeta));
  if (LeaseLive(held) && held != own_lease_) {
    return Status(ErrorCode::kConflict,
                  "another node is rotating the root key (its lease ends in " +
                      std::to_string((LeaseExpiryMs(held) - NowMs()) / 1000 + 1) +
                      " s); retry when it has finished");
  }
  ARCANA_ASSIGN_OR_RETURN(std::string stale, Meta(store_, kPendingMeta));
  if (!stale.empty() || !held.empty()) {
    ARCANA_RETURN_IF_ERROR(CompleteInterrupted(stale, held));
  }

  // 1. Take the lease; then make the new key recoverable from the committed one before
  //    anything uses it. Until step 3, a failure just releases them.
  const std::string lease = NewLease(opts_.rotation_lease);
  ARCANA_ASSIGN_OR_RETURN(std::string got, store_.PutMetaIfAbsent(kRotatingMeta, lease));
  if (got != lease) {
    return Status(ErrorCode::kConflict,
                  "another node started a root rotation just now; retry when it has finished");
  }
  own_lease_ = lease;
  const std::string keyfile_new = keyfile::NewPathFor(KeyFilePath());
  struct Release {
    SealManager* self;
    const std::string& keyfile_new;
    bool armed = true;
    ~Release() {
      if (!armed) return;
      self->own_lease_.clear();
      if (Status st = self->rot_.UpdateMeta({}, {kPendingMeta, kRotatingMeta}); !st.ok()) {
        spdlog::warn("root rotation: cannot release its lease ({}); it expires by itself",
                     st.message());
      }
      keyfile::Remove(keyfile_new);
    }
  } release{this, keyfile_new};
  ARCANA_ASSIGN_OR_RETURN(std::string committed_check, Meta(store_, kCheckMeta));
  if (!root_.IsCurrent(committed_check)) {
    return Status(ErrorCode::kServiceUnavailable,
                  "this node's root key " + root_.id() + " is not the store's root key " +
                      SealedUnderId(committed_check) +
                      " (another node rotated it): unseal this node with the new key first");
  }
  RotationReport rep;
  rep.old_root_key_id = root_.id();
  std::string raw = crypto::RandomBytes(32);
  const crypto::SecretString key = crypto::SecretString::Take(raw);
  rep.new_root_key_id = crypto::RootKey::IdOf(key);
  ARCANA_ASSIGN_OR_RETURN(std::string pending, root_.Seal(key, kPendingAad));
  ARCANA_RETURN_IF_ERROR(rot_.UpdateMeta({{kPendingMeta, pending}}, {}));

  // 2. What the strategy keeps for the new key.
  std::vector<std::pair<std::string, std::string>> puts;
  if (type == "keyfile") {
    ARCANA_RETURN_IF_ERROR(keyfile::Write(keyfile_new, key));
  } else if (type == "pkcs11") {
    ARCANA_ASSIGN_OR_RETURN(auto hsm, Pkcs11Wrapper::Open(opts_.pkcs11, false));
    ARCANA_ASSIGN_OR_RETURN(std::string wrapped, hsm->Wrap(key, kPkcs11Aad));
    puts.emplace_back(kPkcs11Meta, wrapped);
  } else {
    ARCANA_ASSIGN_OR_RETURN(auto split, crypto::ShamirSplit(key, shares, threshold));
    for (auto& s : split) {
      rep.shares.push_back(crypto::EncodeShare(s));
      crypto::SecureWipe(s.y);
    }
    puts.emplace_back(kShamirMeta, std::to_string(threshold) + "/" + std::to_string(shares));
  }
  crypto::RootKey fresh = Holder(key);
  ARCANA_ASSIGN_OR_RETURN(std::string check, CheckValue(fresh));
  puts.emplace_back(kCheckMeta, check);
  {
    ARCANA_ASSIGN_OR_RETURN(std::string derive, root_.DerivationSecret());
    WipeOnExit wipe_derive{derive};
    ARCANA_ASSIGN_OR_RETURN(std::string derive_sealed, fresh.Seal(derive, kDeriveAad));
    puts.emplace_back(kDeriveMeta, derive_sealed);  // also for data dirs that had none
  }

  // 3. Encrypt with the new key from now on; wait for requests that started before.
  ARCANA_RETURN_IF_ERROR(root_.BeginRotation(std::string(key.view())));
  release.armed = false;  // from here a failure rolls back (RollBack) or keeps both keys
  rotating_here_ = true;
  struct NotRotating {
    std::atomic<bool>& flag;
    ~NotRotating() { flag = false; }
  } not_rotating{rotating_here_};
  if (!root_.WaitForOlderHolds(opts_.older_holds_wait)) {
    Status rb = RollBack(lease, keyfile_new);
    return Status(ErrorCode::kInternalFailure,
                  "rotation stopped: requests or background jobs that started before it did not "
                  "finish within " + std::to_string(opts_.older_holds_wait.count() / 1000) +
                      " s; " +
                      (rb.ok() ? std::string("nothing changed, retry later")
                               : "rolling back failed (" + rb.message() +
                                     "); the next rotate-root or unseal completes it"));
  }
  // 4. Rewrap everything and commit the new root in the same transaction, only if this
  //    rotation's lease and root.pending are still in the store (no node rolled it back).
  //    root.pending now holds the OLD key sealed under the new one: a crash before step 5
  //    is completed at the next unseal (Recover moves anything still under the old key).
  ARCANA_ASSIGN_OR_RETURN(std::string previous, root_.SealPrevious(kPendingAad));
  puts.emplace_back(kPendingMeta, previous);
  const std::string committed_lease = lease + std::string(kCommittedMark);
  puts.emplace_back(kRotatingMeta, committed_lease);
  auto n = RewrapAll(puts, {},
                     Expect{{{kRotatingMeta, lease}, {kPendingMeta, pending}},
                            rep.old_root_key_id});
  if (!n.ok()) {
    // A failed commit may have committed all the same (a connection lost during COMMIT):
    // the store's verification value says which key the store answers to now.
    auto now = Meta(store_, kCheckMeta);
    if (!now.ok()) {
      spdlog::error("root rotation: the commit failed ({}) and its outcome cannot be read ({}); "
                    "both keys stay held",
                    n.status().message(), now.status().message());
      if (type != "shamir") return n.status();  // the new key file / root.pkcs11 is kept
      // The new shares exist nowhere else: hand them out.
      rep.warning = "the commit of the new root key failed (" + n.status().message() +
                    ") and whether it took effect cannot be read (" + now.status().message() +
                    "). Keep BOTH these new shares and the old ones: the store answers to one "
                    "of them, and the next unseal tells which.";
      return rep;
    }
    if (!root_.IsCurrent(*now)) {
      Status rb = RollBack(lease, keyfile_new);
      spdlog::error("root rotation failed: {}; {}", n.status().message(),
                    rb.ok() ? "rolled back to the old key"
                            : "rolling back failed: " + rb.message());
      return n.status();
    }
    spdlog::warn("root rotation: the commit reported {} but took effect", n.status().message());
    n = size_t{0};
  }
  rep.rewrapped = *n;
  own_lease_ = committed_lease;
  // From here on the store answers only to the new key: the rotation HAS happened, and an
  // error must never drop the new key (for Shamir, rep.shares is its only copy). What is
  // left is completed at the next unseal (Recover), so it is reported as a warning.
  if (type == "keyfile") {
    if (Status placed = PlaceKeyFile(keyfile_new, key); !placed.ok()) {
      spdlog::error("root rotation: the new root key {} is committed but cannot be written to "
                    "{}: {}; this node holds the only copy: do not restart or seal it",
                    rep.new_root_key_id, KeyFilePath(), placed.message());
      rep.warning = "the new root key is committed but could not be written to the key file (" +
                    placed.message() +
                    "). This node holds its only copy in memory: do not restart or seal it; "
                    "make the key file's directory writable and run rotate-root again.";
      return rep;
    }
  }
  // A margin for other nodes' writes sealed under the old key just before they saw the
  // commit: the store's root guard (storage/root_guard.h) already refuses those that commit after
  // it, and step 5 rewraps any that committed before.
  if (opts_.shared_store && opts_.straggler_grace.count() > 0) {
    std::this_thread::sleep_for(opts_.straggler_grace);
  }
  // 5. Verify before forgetting the old key: rescan every blob and rewrap any that is still
  //    under the old key (a writer that sealed before step 3 and committed after step 4),
  //    in the same transaction that drops root.pending and the lease. If this fails, both
  //    keys stay held (in memory, and root.pending for the next unseal or rotate-root).
  auto late = RewrapAll({}, {kPendingMeta, kRotatingMeta},
                        Expect{{{kRotatingMeta, committed_lease}}, rep.new_root_key_id});
  if (!late.ok() && late.status().code() == ErrorCode::kConflict) {
    // Another node (starting or unsealing) did the same pass first.
    auto pending_now = Meta(store_, kPendingMeta);
    if (pending_now.ok() && pending_now->empty()) late = size_t{0};
  }
  if (!late.ok()) {
    spdlog::error("root rotation: the new root key {} is committed, but the verification pass "
                  "failed: {}; both keys stay held and the next unseal completes it",
                  rep.new_root_key_id, late.status().message());
    rep.warning = "the new root key is committed, but the verification pass (rewrapping "
                  "anything still under the old key) failed: " + late.status().message() +
                  ". It is completed at the next unseal or rotate-root.";
    if (type == "shamir") {
      rep.warning += " Keep the new shares: only they unseal this store now.";
    }
    return rep;
  }
  if (*late > 0) {
    spdlog::warn("root of trust: {} blobs written under the old root key during the rotation "
                 "were rewrapped",
                 *late);
  }
  rep.rewrapped += *late;
  root_.FinishRotation();
  own_lease_.clear();
  spdlog::warn("root of trust: root key rotated {} -> {} ({} blobs rewrapped)",
               rep.old_root_key_id, rep.new_root_key_id, rep.rewrapped);
  return rep;
}

Status SealManager::CompleteInterrupted(const std::string& pending, const std::string& lease) {
  ARCANA_ASSIGN_OR_RETURN(std::string check, Meta(store_, kCheckMeta));
  if (root_.IsPrevious(check)) {
    // This node's own rotation stopped before its commit: back to the committed key (the
    // abandoned one stays beside it), once the requests that sealed under it are done.
    const uint64_t abandoned = root_.generation();
    root_.AbortRotation();
    if (!root_.WaitForHoldsSince(abandoned, std::chrono::seconds(10))) {
      return Status(ErrorCode::kInternalFailure,
                    "an earlier rotation stopped and requests that used its key are still "
                    "running; retry in a minute");
    }
  } else if (!root_.IsCurrent(check)) {
    return Status(ErrorCode::kServiceUnavailable,
                  "this node's root key " + root_.id() + " is not the store's root key " +
                      SealedUnderId(check) +
                      " (another node rotated it): unseal this node with the new key first");
  } else if (!pending.empty()) {
    // Committed under this node's key: the other key is inside root.pending.
    auto other = root_.Open(pending, kPendingAad);
    if (other.ok()) ARCANA_RETURN_IF_ERROR(root_.HoldPrevious(std::move(other).value()));
  }
  // Work on this node that started before the rotation stopped may have sealed under the
  // other key and not committed yet (a rollback leaves root.pending for exactly that): once
  // Recover has passed and the other key is forgotten, such a blob would open nowhere.
  if (!root_.WaitForOlderHolds(opts_.older_holds_wait)) {
    return Status(ErrorCode::kInternalFailure,
                  "an earlier rotation stopped and requests or background jobs that started "
                  "before it are still running; retry when they have finished");
  }
  ARCANA_RETURN_IF_ERROR(Recover(pending, lease));
  own_lease_.clear();
  return Status::Ok();
}

Status SealManager::RollBack(const std::string& lease, const std::string& keyfile_new) {
  const uint64_t abandoned = root_.generation();
  root_.AbortRotation();  // the old key seals again; the new one still opens
  keyfile::Remove(keyfile_new);
  // Requests that sealed under the new key meanwhile may still commit: wait for them, then
  // move what they wrote back under the old key and drop the pending record and the lease.
  if (!root_.WaitForHoldsSince(abandoned, std::chrono::seconds(10))) {
    return Status(ErrorCode::kInternalFailure,
                  "requests that used the new key are still running (both keys stay held)");
  }
  // Holds older than the rotation (the ones it could not wait out) sealed under whichever key
  // was current when they sealed, so they may still commit a blob under the new key. While
  // one remains, the new key stays held beside the old one and root.pending (the new key
  // sealed under the old one) and the lease stay in the store: the next rotate-root on this
  // node (CompleteInterrupted waits for those holds first), or any node's unseal or
  // rotate-root once the lease has expired, moves what they wrote (Recover).
  if (!root_.WaitForOlderHolds(std::chrono::milliseconds(0))) {
    auto n = RewrapAll({}, {}, Expect{{{kRotatingMeta, lease}}, root_.id()});
    if (!n.ok()) return n.status();
    spdlog::warn("root rotation: rolled back to root key {} ({} blobs moved back); work that "
                 "started before the rotation is still running, so the abandoned key stays "
                 "held until the next rotate-root completes the rollback",
                 root_.id(), *n);
    return Status::Ok();
  }
  auto n = RewrapAll({}, {kPendingMeta, kRotatingMeta}, Expect{{{kRotatingMeta, lease}}, root_.id()});
  if (!n.ok()) return n.status();
  root_.FinishRotation();
  own_lease_.clear();
  spdlog::warn("root rotation: rolled back to root key {} ({} blobs moved back)", root_.id(), *n);
  return Status::Ok();
}

Status SealManager::PlaceKeyFile(const std::string& keyfile_new, const crypto::SecretString& key) {
  const std::string path = KeyFilePath();
  if (keyfile::Promote(keyfile_new, path).ok()) return Status::Ok();
  // Another node sharing the file may have promoted it already (it adopts the committed key
  // it finds), or the new file is gone: the key is still here, write it again.
  auto there = keyfile::Read(path);
  const bool placed = there.ok() && crypto::ConstantTimeEquals(*there, key.view());
  if (there.ok()) crypto::SecureWipe(*there);
  if (placed) return Status::Ok();
  ARCANA_RETURN_IF_ERROR(keyfile::Write(keyfile_new, key));
  return keyfile::Promote(keyfile_new, path);
}

void SealManager::FollowChanges(storage::ChangeFollower& follower) {
  auto check = [this] {
    if (!opts_.shared_store || t_in_transition || root_.sealed()) return;
    if (Status st = CheckStoreRoot(); !st.ok()) {
      spdlog::debug("root of trust: store root check: {}", st.message());
    }
  };
  follower.Subscribe({[check](const storage::Change& c) {
                        if (c.IsRootRewrap()) check();
                      },
                      check});
}

Status SealManager::CheckStoreRoot() {
  if (t_in_transition) return Status::Ok();  // this node's own rewrap passes
  ARCANA_ASSIGN_OR_RETURN(std::string check, Meta(store_, kCheckMeta));
  if (check.empty() || root_.IsCurrent(check) || (rotating_here_ && root_.IsPrevious(check))) {
    return Status::Ok();
  }
  if (SealedUnderId(check).empty() && root_.Open(check, kCheckAad).ok()) return Status::Ok();
  return OnStoreRootMoved(check);
}

Status SealManager::OnStoreRootMoved(const std::string& check) {
  std::unique_lock<std::mutex> r(rotate_mu_, std::try_to_lock);
  if (!r.owns_lock()) {
    return Status(ErrorCode::kServiceUnavailable,
                  "the root of trust is changing on this node; retry in a moment");
  }
  TransitionScope transition;
  if (root_.sealed()) {
    return Status(ErrorCode::kServiceUnavailable, "Arcana is sealed: unseal it first");
  }
  std::string type;
  {
    std::lock_guard<std::mutex> l(mu_);
    type = type_;
  }
  const std::string mine = root_.id();
  const std::string theirs = SealedUnderId(check);
  if (type == "keyfile" || type == "pkcs11") {
    // A shared key file, or the HSM-wrapped root.pkcs11, already holds the new key.
    auto k = AutoUnsealKey();
    if (k.ok() && Holder(*k).Open(check, kCheckAad).ok()) {
      // This node's old key stays beside it: blobs it sealed in flight still open here.
      ARCANA_RETURN_IF_ERROR(root_.BeginRotation(std::move(k).value()));
      spdlog::warn("root of trust: another node rotated the root key {} -> {}; this node "
                   "adopted it from {}",
                   mine, theirs, type == "keyfile" ? KeyFilePath() : std::string("the HSM"));
      return Status::Ok();
    }
    if (k.ok()) crypto::SecureWipe(*k);
  }
  root_.Wipe();
  {
    std::lock_guard<std::mutex> l(mu_);
    unseal_.Clear();
    rekey_.Clear();
  }
  listeners_owed_ = true;  // cannot run here (inside a caller's seal or sync)
  const std::string advice =
      type == "keyfile"
          ? "copy the new key file from the node that rotated it to " + KeyFilePath() +
                " and run `arcana operator unseal` (or restart this node)"
          : type == "pkcs11" ? std::string("check this node's HSM access, then run `arcana "
                                           "operator unseal`")
                             : std::string("unseal it with the NEW shares");
  spdlog::error("root of trust: SEALED: another node rotated the store's root key to {}, and "
                "this node holds {}, which no node keeps any more; so that nothing is sealed "
                "under it, this node refuses requests until unsealed: {}",
                theirs, mine, advice);
  return Status(ErrorCode::kServiceUnavailable,
                "Arcana is sealed on this node: another node rotated the root key (" + advice +
                    ")");
}

Result<std::vector<std::string>> SealManager::InitShamir(storage::MetaStore& store,
                                                         storage::RootOfTrustStore& rot,
                                                         crypto::RootKey& root, int shares,
                                                         int threshold) {
  ARCANA_ASSIGN_OR_RETURN(std::string recorded, Meta(store, kSealMeta));
  ARCANA_ASSIGN_OR_RETURN(std::string initialized, Meta(store, kInitializedMeta));
  if (!recorded.empty() || !initialized.empty()) {
    return Status(ErrorCode::kInvalidParameter,
                  "this data dir is initialised already (root of trust: " +
                      (recorded.empty() ? std::string("keyfile") : recorded) + ")");
  }
  std::string key = crypto::RandomBytes(32);
  WipeOnExit wipe_key{key};
  ARCANA_ASSIGN_OR_RETURN(auto split, crypto::ShamirSplit(key, shares, threshold));
  std::vector<std::string> out;
  for (auto& s : split) {
    out.push_back(crypto::EncodeShare(s));
    crypto::SecureWipe(s.y);
  }
  std::string derive = crypto::RandomBytes(32);
  WipeOnExit wipe_derive{derive};
  crypto::RootKey h = Holder(key, derive);
  ARCANA_ASSIGN_OR_RETURN(std::string check, CheckValue(h));
  ARCANA_ASSIGN_OR_RETURN(std::string derive_sealed, h.Seal(derive, kDeriveAad));
  ARCANA_RETURN_IF_ERROR(rot.UpdateMeta(
      {{kSealMeta, "shamir"},
       {kShamirMeta, std::to_string(threshold) + "/" + std::to_string(shares)},
       {kCheckMeta, check},
       {kDeriveMeta, derive_sealed}},
      {}));
  root.Install(std::move(key), std::move(derive));
  return out;
}

}  // namespace arcana::seal
