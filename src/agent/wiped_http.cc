#include "agent/wiped_http.h"

#include <openssl/crypto.h>

namespace arcana::agent {

void WipeBytes(void* p, size_t n) {
  if (p != nullptr && n != 0) OPENSSL_cleanse(p, n);
}

}  // namespace arcana::agent
