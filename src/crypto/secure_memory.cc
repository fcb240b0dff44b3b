#include "crypto/secure_memory.h"

#include <openssl/crypto.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <mutex>

#include "crypto/aead.h"

namespace arcana::crypto {

bool InitSecureHeap(size_t bytes) {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [&] {
    size_t size = 4096;
    while (size < bytes) size <<= 1;
    // 1: mlock'ed and excluded from dumps; 2: created, but mlock was refused (still
    // MADV_DONTDUMP); 0: no secure heap (allocations fall back to the ordinary heap).
    ok = CRYPTO_secure_malloc_init(size, 16) != 0;
  });
  return ok;
}

bool HardenProcess() {
  struct rlimit none {0, 0};
  bool ok = ::setrlimit(RLIMIT_CORE, &none) == 0;
  ok = ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 && ok;
  return ok;
}

void* SecureAlloc(size_t n) {
  if (n == 0) n = 1;
  void* p = CRYPTO_secure_malloc_initialized() ? OPENSSL_secure_malloc(n) : nullptr;
  if (p == nullptr) p = OPENSSL_malloc(n);  // secure heap absent or full
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void SecureFree(void* p, size_t n) {
  if (p == nullptr) return;
  if (n == 0) n = 1;
  if (CRYPTO_secure_allocated(p)) {
    OPENSSL_secure_clear_free(p, n);
  } else {
    OPENSSL_clear_free(p, n);
  }
}

SecretString SecretString::Take(std::string& s) {
  SecretString out(std::string_view{s});
  SecureWipe(s);
  return out;
}

}  // namespace arcana::crypto
