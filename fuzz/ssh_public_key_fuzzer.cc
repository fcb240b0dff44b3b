// libFuzzer target: OpenSSH public keys as UploadSSHPublicKey takes them
// (crypto/ssh_public_key.h): the text, its base64 blob and the SSH wire strings inside it
// (lengths that lie, types that differ, trailing bytes, huge moduli) come from the caller.
// Input: the SSHPublicKeyBody. Nothing may crash, hang or read out of bounds; a key that
// parses must have a fingerprint and a PEM form.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/ssh_public_key.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto key = arcana::crypto::ParseSshPublicKey(in);
  if (key && (key->fingerprint.size() != 47 || key->pem.empty() || key->bits == 0)) {
    std::abort();
  }
  return 0;
}
