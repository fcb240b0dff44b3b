// The root key: 256 bits that wrap every other key Arcana holds (KMS key materials, data
// keys of pre-KMS secret versions, stored access-key secrets, derived MAC keys).
//
// A RootKey object is the process's *holder* of that key: it is empty while the server is
// sealed (every method that needs the key answers kServiceUnavailable) and filled by the
// root of trust (seal/: key file, Shamir shares or a PKCS#11 HSM) when it unseals. It is
// never written anywhere in the clear by this class.
//
// Sealed blob format (what Seal returns), so every blob names the root key that wrapped it:
//   0xA7 'r' 0x01 | root key id (8 bytes, = id() in hex) | AES-256-GCM blob (see aead.h)
// Blobs written before this format (a bare AEAD blob) still open: Open tries the keys held.
//
// Rotation (seal/root_rotation): BeginRotation makes a new key current while the previous
// one still opens old blobs; once every blob is rewrapped, FinishRotation forgets it.
// Requests take a Hold, so rotation can wait until nothing sealed with the old key is still
// in flight (uncommitted) before its rewrap transaction. A Hold spans a use of the key up to
// its commit, not a long wait: background jobs give theirs back while they wait on something
// else (jobs::JobRun::ReleaseRootHold), or a rotation would wait for them and roll back.
//
// Key bytes are held in crypto::SecretString (secure_memory.h): mlock'ed when the system
// allows, excluded from core dumps, wiped on free.
// DeriveKey uses a separate, stable derivation secret (kept wrapped in the store), so the
// derived keys - and what was stored under them, e.g. value digests - survive rotation.
// Thread-safety: every method is thread-safe; a key swap never invalidates a running call.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/secure_memory.h"

namespace arcana::crypto {

class RootKey {
 public:
  // Empty: sealed.
  RootKey();
  // Reads path, or creates it (0600, 32 random bytes, fsync'd) when create_if_missing, and
  // returns a holder unsealed with it. (seal/keyfile_seal.h is the full key-file strategy.)
  static Result<RootKey> LoadOrCreate(const std::string& path, bool create_if_missing);
  static RootKey FromBytes(std::string key32);  // tests: unsealed with key32

  RootKey(RootKey&&) noexcept;
  RootKey& operator=(RootKey&&) noexcept;
  ~RootKey();

  // --- state, driven by the root of trust (seal/) ---
  bool sealed() const;
  // Unseals with key32. derive_secret: the stable secret of DeriveKey; "" = key32 itself
  // (how stores created before the derivation secret existed derive their keys).
  // previous32: a key that still opens blobs (recovery of an interrupted rotation).
  void Install(std::string key32, std::string derive_secret = "", std::string previous32 = "");
  // Seals: wipes every key from memory. Calls in flight that already hold a key finish.
  void Wipe();
  // The new key becomes current; the old one keeps opening blobs until FinishRotation.
  // Errors: kServiceUnavailable while sealed.
  Status BeginRotation(std::string new_key32);
  void FinishRotation();  // forgets the previous key
  // The previous key becomes current again; the abandoned one stays previous (it still
  // opens what was sealed under it) until FinishRotation.
  void AbortRotation();
  // During a rotation: the previous key sealed (Seal) under the current one, so a rotation
  // interrupted after its commit can still move stragglers at the next unseal.
  // Errors: kServiceUnavailable while sealed, kInvalidParameter when no rotation runs.
  Result<std::string> SealPrevious(std::string_view aad) const;
  // The derivation secret (to store it wrapped). Errors: kServiceUnavailable while sealed.
  Result<std::string> DerivationSecret() const;
  // Keeps previous32 as the key that still opens blobs besides the current one (completing
  // a rotation another holder left unfinished). Errors: kServiceUnavailable while sealed.
  Status HoldPrevious(std::string previous32);
  // Called by Seal before it seals anything: an error refuses the seal. Lets the root of trust
  // refuse to seal under a key that is no longer the store's root (another node rotated it).
  // Set before serving; not called by copies (each RootKey object has its own).
  void SetSealCheck(std::function<Status()> check);

  // --- use ---
  // AES-256-GCM under the current root key, bound to aad. Errors: kServiceUnavailable.
  Result<std::string> Seal(std::string_view plaintext, std::string_view aad) const;
  // Opens a blob of any root key held (current or, during rotation, previous).
  // Errors: kServiceUnavailable while sealed, kDecryptionFailure.
  Result<std::string> Open(std::string_view sealed, std::string_view aad) const;
  // Whether blob's header names the current key (false for legacy untagged blobs).
  bool IsCurrent(std::string_view blob) const;
  // Whether blob's header names the previous key of a rotation in progress.
  bool IsPrevious(std::string_view blob) const;
  // A 32-byte key for one purpose (HMAC(derive secret, "arcana:" + purpose)); never the
  // root itself. Errors: kServiceUnavailable while sealed.
  Result<std::string> DeriveKey(std::string_view purpose) const;
  // Hex id of the current root key ("" while sealed); not secret.
  std::string id() const;
  static std::string IdOf(std::string_view key32);  // hex, 16 characters

  // A request's hold on the key generation it started under (see Rotation above).
  class Hold {
   public:
    Hold(Hold&& o) noexcept : owner_(o.owner_), gen_(o.gen_) { o.owner_ = nullptr; }
    Hold(const Hold&) = delete;
    ~Hold();

   private:
    friend class RootKey;
    Hold(const RootKey* owner, uint64_t gen) : owner_(owner), gen_(gen) {}
    const RootKey* owner_;
    uint64_t gen_;
  };
  // Called (outside the holder's lock) every time the key is wiped (Wipe): lets holders of
  // keys derived from it wipe theirs. Returns an id for RemoveWipeListener.
  uint64_t AddWipeListener(std::function<void()> fn) const;
  void RemoveWipeListener(uint64_t id) const;

  // nullopt while sealed.
  std::optional<Hold> TryHold() const;
  // Waits until no Hold taken before the last BeginRotation remains; false on timeout.
  bool WaitForOlderHolds(std::chrono::milliseconds timeout) const;
  // The key generation Holds are taken under now (BeginRotation, AbortRotation and Install
  // start a new one).
  uint64_t generation() const;
  // Waits until no Hold of a generation in [from, generation()) remains: the requests that
  // used one key, without waiting for older ones. False on timeout.
  bool WaitForHoldsSince(uint64_t from, std::chrono::milliseconds timeout) const;

  struct State;

 private:
  explicit RootKey(std::string key32);
  std::unique_ptr<State> s_;
};

// A purpose key derived from the root's derivation secret on first use, then cached (it is
// stable across rotation). Lets services be built while the server is still sealed.
// While sealed it yields a random per-object key, so nothing made with it verifies later.
// The cached key lives in the secure heap (secure_memory.h) and is wiped when the root key
// is (operator seal): a value-digest key would otherwise let whoever reads the sealed
// process's memory test guesses of secret values against the digests in the store. It is
// derived again, in place, at the first use after the next unseal; a call racing with the
// seal itself may compute with a partly wiped key (its request is refused anyway).
// Thread-safety: get() may be called concurrently.
class DerivedKey {
 public:
  DerivedKey(const RootKey& root, std::string purpose);
  ~DerivedKey();  // wipes the key
  DerivedKey(const DerivedKey&) = delete;
  DerivedKey& operator=(const DerivedKey&) = delete;
  // Valid for the life of this object (the bytes change only across a seal).
  std::string_view get() const;
  // No conversion to std::string: a copy would not be wiped when freed (pass a string_view).
  operator std::string_view() const { return get(); }

 private:
  void Forget();  // the root key was wiped

  const RootKey& root_;
  std::string purpose_;
  std::string unusable_;  // the sealed-state stand-in
  mutable std::mutex mu_;
  mutable std::atomic<bool> ready_{false};
  mutable SecretString key_;  // kDerivedKeyLen bytes, allocated once (get() hands out views)
  uint64_t wipe_listener_ = 0;
};

}  // namespace arcana::crypto
