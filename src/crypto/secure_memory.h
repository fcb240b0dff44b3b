// Memory for secrets (root keys, KMS key materials, credentials, derived keys).
//
// - SecureAllocator / SecretString: bytes that are wiped (OPENSSL_cleanse) whenever they
//   are freed, including every buffer a growing string leaves behind, so a copy that goes
//   out of scope, is evicted from a cache or is replaced leaves no plaintext on the heap.
//   Allocation comes from OpenSSL's secure heap when InitSecureHeap() made one: those pages
//   are mlock'ed (never swapped) and madvise(MADV_DONTDUMP)'ed (never in a core dump).
//   When the secure heap is missing or full, the ordinary heap is used (still wiped on free).
//   SecretString has no small-string buffer inside the object (it is a vector underneath),
//   so even short secrets live only in wiped memory.
// - HardenProcess(): core dumps off (RLIMIT_CORE 0, PR_SET_DUMPABLE 0), for arcanad's start.
//
// Thread-safety: InitSecureHeap and HardenProcess are idempotent and may be called from any
// thread; the allocator is thread-safe (OpenSSL locks its secure heap).
#pragma once

#include <cstddef>
#include <new>
#include <string>
#include <string_view>
#include <vector>

namespace arcana::crypto {

// Creates OpenSSL's secure heap (once; `bytes` is rounded to a power of two). Best effort:
// returns false when it could not be created at all, true when created (mlock may still
// have been refused by RLIMIT_MEMLOCK; the pages are then only excluded from dumps).
bool InitSecureHeap(size_t bytes = size_t{1} << 21);

// Core dumps off for this process (RLIMIT_CORE 0 and prctl(PR_SET_DUMPABLE, 0), which also
// keeps other users' ptrace out). Returns false when either call failed.
bool HardenProcess();

// Allocation and freeing with wiping; the allocator's building blocks.
void* SecureAlloc(size_t n);
void SecureFree(void* p, size_t n);

template <class T>
struct SecureAllocator {
  using value_type = T;
  SecureAllocator() noexcept = default;
  template <class U>
  SecureAllocator(const SecureAllocator<U>&) noexcept {}
  T* allocate(size_t n) {
    if (n > static_cast<size_t>(-1) / sizeof(T)) throw std::bad_alloc();
    return static_cast<T*>(SecureAlloc(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) noexcept { SecureFree(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const SecureAllocator<U>&) const noexcept {
    return true;
  }
};

// A byte string for secrets: wiped on every free, implicitly readable as a string_view.
class SecretString {
 public:
  SecretString() = default;
  SecretString(std::string_view s) : b_(s.begin(), s.end()) {}  // NOLINT: implicit by design
  SecretString(const char* s) : SecretString(std::string_view(s)) {}  // NOLINT
  SecretString(const std::string& s) : SecretString(std::string_view(s)) {}  // NOLINT
  // Takes the bytes and wipes the source.
  static SecretString Take(std::string& s);

  const char* data() const { return b_.data(); }
  char* data() { return b_.data(); }
  size_t size() const { return b_.size(); }
  bool empty() const { return b_.empty(); }
  operator std::string_view() const { return {b_.data(), b_.size()}; }  // NOLINT
  std::string_view view() const { return *this; }
  // A plain copy, for APIs that need std::string: the caller must SecureWipe it.
  std::string Reveal() const { return std::string(b_.begin(), b_.end()); }
  void assign(std::string_view s) { b_.assign(s.begin(), s.end()); }
  void clear() { b_.clear(); }

  friend bool operator==(const SecretString& a, const SecretString& b) {
    return a.view() == b.view();
  }

 private:
  std::vector<char, SecureAllocator<char>> b_;
};

}  // namespace arcana::crypto
