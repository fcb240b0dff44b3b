// Wraps and unwraps the root key with an AES key that never leaves a PKCS#11 token (an HSM;
// SoftHSM2 in tests), through the PKCS#11 C API of the vendor module loaded with dlopen.
// The token key is found by label (CKO_SECRET_KEY, CKK_AES) and, when allowed, generated on
// the token (CKA_TOKEN, CKA_SENSITIVE, non-extractable, 256 bits). Wrapping is CKM_AES_GCM
// with a random 96-bit IV and the caller's AAD: blob = iv(12) | ciphertext | tag(16).
// Thread-safety: one object per operation sequence; not shared between threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace arcana::seal {

struct Pkcs11Options {
  std::string module;       // e.g. /usr/lib/softhsm/libsofthsm2.so
  std::string token_label;  // token to use (or slot >= 0)
  long slot = -1;
  std::string pin;          // user PIN
  std::string key_label = "arcana-root-wrap";
};

class Pkcs11Wrapper {
 public:
  // Loads the module, opens a session on the token, logs in, finds (or, with
  // create_key_if_missing, generates) the wrapping key. Errors: kInternalFailure with
  // the PKCS#11 return value named (never the PIN).
  static Result<std::unique_ptr<Pkcs11Wrapper>> Open(const Pkcs11Options& opts,
                                                     bool create_key_if_missing);
  ~Pkcs11Wrapper();

  Result<std::string> Wrap(std::string_view key, std::string_view aad);
  Result<std::string> Unwrap(std::string_view blob, std::string_view aad);

  struct Impl;

 private:
  explicit Pkcs11Wrapper(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace arcana::seal
