// IAM server certificates as IAM takes them (UploadServerCertificate): a PEM X.509
// certificate, the PEM private key of its public key, and optionally a PEM chain of the
// certificates that sign it, checked with OpenSSL before anything is stored. Only the
// verdict and the certificates (re-encoded) leave here: the parsed key is freed (OpenSSL
// clears its private parts) and none of its text is copied.
// Thread-safety: pure functions (OpenSSL's error queue is left empty).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace arcana::crypto {

// The longest chain taken, in certificates: far above any real one (a leaf's chain holds one
// to three), and a bound on the signatures checked for a chain as long as IAM's model allows
// (2,097,152 characters).
inline constexpr size_t kMaxChainCertificates = 32;

struct ServerCertificateCheck {
  enum class Fault {
    kNone,
    // The body holds no PEM certificate OpenSSL parses.
    kCertificate,
    // The private key text holds no unencrypted PEM private key (PKCS#1 "RSA PRIVATE KEY",
    // SEC 1 "EC PRIVATE KEY" or PKCS#8 "PRIVATE KEY") of a type taken: RSA of 1024 to 4096
    // bits, EC on P-256, P-384 or P-521. An encrypted key is refused, never prompted for.
    kPrivateKey,
    // The key is not the private key of the certificate's public key.
    kKeyMismatch,
    // The chain holds no PEM certificate, a PEM block that does not parse, or more than
    // kMaxChainCertificates.
    kChainUnparsable,
    // A chain certificate does not sign the certificate before it (chain_index says which).
    kChainOrder,
  };
  Fault fault = Fault::kNone;
  // kChainOrder: the 0-based index in the chain of the certificate whose key does not verify
  // the signature of the certificate before it; -1 when the first one does not sign the body.
  int chain_index = 0;
  // The body's validity period (ms since the epoch), whenever the body parsed (fault is not
  // kCertificate): IAM refuses a certificate outside it, which the caller checks.
  int64_t not_before_ms = 0;
  int64_t not_after_ms = 0;
  // kNone: the certificates as PEM written again by OpenSSL ("-----BEGIN CERTIFICATE-----",
  // base64 in lines of 64, "-----END CERTIFICATE-----"), without a final newline: the body's
  // first certificate, and the chain's (after any further certificate the body held), one
  // after the other, separated by a newline ("" when there are none). Text around the blocks
  // (comments, "Bag Attributes", a private key pasted with the certificate) is not kept.
  std::string body_pem;
  std::string chain_pem;
};

// Checks, in this order, the body, the private key, that they are a pair, then the chain
// (empty `chain`: none), and answers the first fault found. Text around the PEM blocks is
// ignored, as PEM readers ignore it. The body's first certificate is the one checked; any
// further certificate in the body goes to the front of the chain, checked with it.
ServerCertificateCheck CheckServerCertificate(std::string_view body,
                                              std::string_view private_key,
                                              std::string_view chain);

}  // namespace arcana::crypto
