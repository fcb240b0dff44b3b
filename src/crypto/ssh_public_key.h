// OpenSSH public keys as IAM takes them (UploadSSHPublicKey): "ssh-rsa AAAA... [comment]",
// parsed from the SSH wire format of the base64 blob (RFC 4253 section 6.6), with the
// fingerprint IAM answers (MD5 of the blob, colon-separated hex) and the PEM form
// GetSSHPublicKey answers with Encoding=PEM (an X.509 SubjectPublicKeyInfo).
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace arcana::crypto {

struct SshPublicKey {
  std::string type;         // "ssh-rsa", "ssh-ed25519"
  size_t bits = 0;          // the RSA modulus's length; 256 for Ed25519
  std::string fingerprint;  // "c7:52:4f:..." (MD5 of the blob)
  std::string body;         // "TYPE BASE64" as given, without the comment
  std::string pem;          // -----BEGIN PUBLIC KEY----- ...
};

// The longest text parsed (IAM's model bounds SSHPublicKeyBody to 16,384 characters).
inline constexpr size_t kMaxSshPublicKeyText = 16384;

// nullopt when `text` is longer than kMaxSshPublicKeyText, or is not an RSA or Ed25519
// OpenSSH public key whose blob parses, names the same type, and holds nothing after its
// fields. Hostile input (fuzz/ssh_public_key_fuzzer.cc).
std::optional<SshPublicKey> ParseSshPublicKey(std::string_view text);

}  // namespace arcana::crypto
