#include "crypto/root_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <map>

#include <openssl/crypto.h>

#include "crypto/aead.h"
#include "common/root_blob.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "crypto/secure_memory.h"

namespace arcana::crypto {
namespace {

using root_blob::kHeaderLen;
using root_blob::kIdLen;
using root_blob::kMagic;

std::string RawId(std::string_view key32) {
  return HmacSha256(key32, "arcana:root-key-id").substr(0, kIdLen);
}

Status SealedError() {
  return Status(ErrorCode::kServiceUnavailable,
                "Arcana is sealed: unseal it (arcana operator unseal) before using it.");
}

// One immutable generation of keys; replaced, never mutated, so readers keep a snapshot.
// The keys live in SecretStrings: locked, excluded from core dumps, wiped when freed.
struct Keys {
  SecretString current;
  std::string current_id;  // raw id
  SecretString previous;   // during rotation only
  std::string previous_id;
  SecretString derive;
};

}  // namespace

struct RootKey::State {
  mutable std::mutex mu;
  std::shared_ptr<const Keys> keys;  // nullptr: sealed
  // Holds per key generation (see Hold).
  uint64_t gen = 0;
  mutable std::map<uint64_t, int> holds;
  mutable std::condition_variable cv;
  std::function<Status()> seal_check;  // set before serving (SetSealCheck)
  mutable std::map<uint64_t, std::function<void()>> wipe_listeners;  // under mu

  std::shared_ptr<const Keys> Snapshot() const {
    std::lock_guard<std::mutex> l(mu);
    return keys;
  }
};

RootKey::RootKey() : s_(std::make_unique<State>()) {
  // Key pages come from the locked, undumpable secure heap (best effort, made once).
  InitSecureHeap();
}
RootKey::RootKey(std::string key32) : RootKey() { Install(std::move(key32)); }
RootKey::RootKey(RootKey&&) noexcept = default;
RootKey& RootKey::operator=(RootKey&&) noexcept = default;
RootKey::~RootKey() = default;

RootKey RootKey::FromBytes(std::string key32) { return RootKey(std::move(key32)); }

std::string RootKey::IdOf(std::string_view key32) { return HexEncode(RawId(key32)); }

Result<RootKey> RootKey::LoadOrCreate(const std::string& path, bool create_if_missing) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && create_if_missing) {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      return Status(ErrorCode::kInternalFailure,
                    "cannot create root key file " + path + ": " + std::strerror(errno));
    }
    std::string key = RandomBytes(32);
    bool ok = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
              ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) {
      ::unlink(path.c_str());
      SecureWipe(key);
      return Status(ErrorCode::kInternalFailure, "cannot write root key file " + path);
    }
    return RootKey(std::move(key));
  }
  if (fd < 0) {
    return Status(ErrorCode::kInternalFailure,
                  "cannot open root key file " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) {
    ::close(fd);
    return Status(ErrorCode::kInternalFailure,
                  "root key file " + path + " is readable by group or others; chmod 600 it");
  }
  std::string key(64, '\0');
  ssize_t n = ::read(fd, key.data(), key.size());
  ::close(fd);
  if (n != 32) {
    SecureWipe(key);
    return Status(ErrorCode::kInternalFailure, "root key file " + path + " is not 32 bytes");
  }
  key.resize(32);
  return RootKey(std::move(key));
}

bool RootKey::sealed() const { return s_->Snapshot() == nullptr; }

void RootKey::Install(std::string key32, std::string derive_secret, std::string previous32) {
  auto k = std::make_shared<Keys>();
  if (!previous32.empty()) {
    k->previous_id = RawId(previous32);
    k->previous = SecretString::Take(previous32);
  }
  k->current_id = RawId(key32);
  k->derive = derive_secret.empty() ? SecretString(key32) : SecretString::Take(derive_secret);
  k->current = SecretString::Take(key32);
  std::lock_guard<std::mutex> l(s_->mu);
  s_->keys = std::move(k);
  ++s_->gen;
}

void RootKey::Wipe() {
  std::shared_ptr<const Keys> old;
  std::vector<std::function<void()>> listeners;
  {
    std::lock_guard<std::mutex> l(s_->mu);
    old.swap(s_->keys);  // wiped when the last in-flight snapshot goes
    for (const auto& [id, fn] : s_->wipe_listeners) listeners.push_back(fn);
  }
  for (const auto& fn : listeners) fn();
}

uint64_t RootKey::AddWipeListener(std::function<void()> fn) const {
  // Ids are unique process-wide: a holder assigned another's state (operator=) never has a
  // listener removed by an id meant for its old state.
  static std::atomic<uint64_t> next{0};
  const uint64_t id = ++next;
  std::lock_guard<std::mutex> l(s_->mu);
  s_->wipe_listeners.emplace(id, std::move(fn));
  return id;
}

void RootKey::RemoveWipeListener(uint64_t id) const {
  if (!s_) return;  // moved from
  std::lock_guard<std::mutex> l(s_->mu);
  s_->wipe_listeners.erase(id);
}

Status RootKey::BeginRotation(std::string new_key32) {
  std::lock_guard<std::mutex> l(s_->mu);
  if (!s_->keys) {
    SecureWipe(new_key32);
    return SealedError();
  }
  auto k = std::make_shared<Keys>();
  k->previous = s_->keys->current;
  k->previous_id = s_->keys->current_id;
  k->derive = s_->keys->derive;
  k->current_id = RawId(new_key32);
  k->current = SecretString::Take(new_key32);
  s_->keys = std::move(k);
  ++s_->gen;
  return Status::Ok();
}

void RootKey::FinishRotation() {
  std::lock_guard<std::mutex> l(s_->mu);
  if (!s_->keys || s_->keys->previous.empty()) return;
  auto k = std::make_shared<Keys>();
  k->current = s_->keys->current;
  k->current_id = s_->keys->current_id;
  k->derive = s_->keys->derive;
  s_->keys = std::move(k);
}

void RootKey::AbortRotation() {
  std::lock_guard<std::mutex> l(s_->mu);
  if (!s_->keys || s_->keys->previous.empty()) return;
  auto k = std::make_shared<Keys>();
  k->current = s_->keys->previous;
  k->current_id = s_->keys->previous_id;
  k->previous = s_->keys->current;  // still opens what was sealed under it meanwhile
  k->previous_id = s_->keys->current_id;
  k->derive = s_->keys->derive;
  s_->keys = std::move(k);
  ++s_->gen;
}

Status RootKey::HoldPrevious(std::string previous32) {
  std::lock_guard<std::mutex> l(s_->mu);
  if (!s_->keys) {
    SecureWipe(previous32);
    return SealedError();
  }
  auto k = std::make_shared<Keys>();
  k->current = s_->keys->current;
  k->current_id = s_->keys->current_id;
  k->derive = s_->keys->derive;
  k->previous_id = RawId(previous32);
  k->previous = SecretString::Take(previous32);
  s_->keys = std::move(k);
  return Status::Ok();
}

void RootKey::SetSealCheck(std::function<Status()> check) { s_->seal_check = std::move(check); }

Result<std::string> RootKey::SealPrevious(std::string_view aad) const {
  auto k = s_->Snapshot();
  if (!k) return SealedError();
  if (k->previous.empty()) return Status(ErrorCode::kInvalidParameter, "no rotation in progress");
  return Seal(k->previous.view(), aad);
}

Result<std::string> RootKey::DerivationSecret() const {
  auto k = s_->Snapshot();
  if (!k) return SealedError();
  return k->derive.Reveal();
}

Result<std::string> RootKey::Seal(std::string_view plaintext, std::string_view aad) const {
  if (s_->seal_check) ARCANA_RETURN_IF_ERROR(s_->seal_check());
  auto k = s_->Snapshot();
  if (!k) return SealedError();
  ARCANA_ASSIGN_OR_RETURN(std::string body, AeadSeal(k->current, plaintext, aad));
  std::string out;
  out.reserve(kHeaderLen + body.size());
  out += kMagic;
  out += k->current_id;
  out += body;
  return out;
}

Result<std::string> RootKey::Open(std::string_view sealed, std::string_view aad) const {
  auto k = s_->Snapshot();
  if (!k) return SealedError();
  if (std::string_view id = root_blob::KeyIdOf(sealed); !id.empty()) {
    std::string_view body = sealed.substr(kHeaderLen);
    if (id == k->current_id) {
      auto r = AeadOpen(k->current, body, aad);
      if (r.ok()) return r;
    } else if (!k->previous.empty() && id == k->previous_id) {
      auto r = AeadOpen(k->previous, body, aad);
      if (r.ok()) return r;
    }
    // A legacy blob whose random nonce happens to start like a header: fall through.
  }
  auto r = AeadOpen(k->current, sealed, aad);
  if (r.ok() || k->previous.empty()) return r;
  return AeadOpen(k->previous, sealed, aad);
}

bool RootKey::IsCurrent(std::string_view blob) const {
  auto k = s_->Snapshot();
  return k && root_blob::KeyIdOf(blob) == k->current_id;
}

bool RootKey::IsPrevious(std::string_view blob) const {
  auto k = s_->Snapshot();
  return k && !k->previous.empty() && root_blob::KeyIdOf(blob) == k->previous_id;
}

Result<std::string> RootKey::DeriveKey(std::string_view purpose) const {
  auto k = s_->Snapshot();
  if (!k) return SealedError();
  return HmacSha256(k->derive.view(), std::string("arcana:") + std::string(purpose));
}

std::string RootKey::id() const {
  auto k = s_->Snapshot();
  return k ? HexEncode(k->current_id) : std::string();
}

std::optional<RootKey::Hold> RootKey::TryHold() const {
  std::lock_guard<std::mutex> l(s_->mu);
  if (!s_->keys) return std::nullopt;
  ++s_->holds[s_->gen];
  return Hold(this, s_->gen);
}

RootKey::Hold::~Hold() {
  if (owner_ == nullptr) return;
  State& s = *owner_->s_;
  std::lock_guard<std::mutex> l(s.mu);
  auto it = s.holds.find(gen_);
  if (it != s.holds.end() && --it->second == 0) s.holds.erase(it);
  s.cv.notify_all();
}

bool RootKey::WaitForOlderHolds(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> l(s_->mu);
  const uint64_t gen = s_->gen;
  return s_->cv.wait_for(l, timeout, [&] {
    return s_->holds.empty() || s_->holds.begin()->first >= gen;
  });
}

uint64_t RootKey::generation() const {
  std::lock_guard<std::mutex> l(s_->mu);
  return s_->gen;
}

bool RootKey::WaitForHoldsSince(uint64_t from, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> l(s_->mu);
  const uint64_t until = s_->gen;
  return s_->cv.wait_for(l, timeout, [&] {
    auto it = s_->holds.lower_bound(from);
    return it == s_->holds.end() || it->first >= until;
  });
}

namespace {
constexpr size_t kDerivedKeyLen = 32;  // HMAC-SHA-256
}  // namespace

DerivedKey::DerivedKey(const RootKey& root, std::string purpose)
    : root_(root),
      purpose_(std::move(purpose)),
      unusable_(RandomBytes(kDerivedKeyLen)),
      key_(std::string_view(std::string(kDerivedKeyLen, '\0'))) {
  wipe_listener_ = root_.AddWipeListener([this] { Forget(); });
}

DerivedKey::~DerivedKey() {
  root_.RemoveWipeListener(wipe_listener_);
  SecureWipe(unusable_);
  // key_ is wiped by its allocator.
}

void DerivedKey::Forget() {
  std::lock_guard<std::mutex> l(mu_);
  ready_.store(false, std::memory_order_release);
  OPENSSL_cleanse(key_.data(), key_.size());
}

std::string_view DerivedKey::get() const {
  if (ready_.load(std::memory_order_acquire)) return key_.view();
  std::lock_guard<std::mutex> l(mu_);
  if (ready_.load(std::memory_order_relaxed)) return key_.view();
  auto k = root_.DeriveKey(purpose_);
  if (!k.ok()) return unusable_;
  if (k->size() != key_.size()) {  // never: DeriveKey is HMAC-SHA-256
    SecureWipe(*k);
    return unusable_;
  }
  std::memcpy(key_.data(), k->data(), k->size());  // in place: views handed out stay valid
  SecureWipe(*k);
  ready_.store(true, std::memory_order_release);
  return key_.view();
}

}  // namespace arcana::crypto
