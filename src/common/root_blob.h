// What a layer without the root key needs to know about blobs sealed under it: the header
// every such blob starts with (crypto/root_key.h writes it) and the store's metadata that
// names the root (seal/seal_manager.h keeps it). The storage backends use this to refuse
// a blob sealed under a root the store has left (storage/root_guard.h).
#pragma once

#include <cstddef>
#include <string_view>

namespace arcana::root_blob {

// Sealed blob: kMagic | root key id (kIdLen raw bytes) | AES-256-GCM blob.
inline constexpr std::string_view kMagic{"\xA7r\x01", 3};
inline constexpr size_t kIdLen = 8;
inline constexpr size_t kHeaderLen = kMagic.size() + kIdLen;

// The raw id of the root key that sealed blob; empty for a legacy untagged blob (a bare
// AEAD blob, written before the header existed).
inline std::string_view KeyIdOf(std::string_view blob) {
  if (blob.size() <= kHeaderLen || blob.substr(0, kMagic.size()) != kMagic) return {};
  return blob.substr(kMagic.size(), kIdLen);
}

// Meta keys (seal_manager.h): the root's verification value, sealed under the store's
// current root, and the rotation lease, "<holder> <expiry unix ms>" with kCommittedMark
// appended once the rotation's commit made the new key the store's root.
inline constexpr const char* kCheckMeta = "root.check";
inline constexpr const char* kRotatingMeta = "root.rotating";
inline constexpr std::string_view kCommittedMark = " committed";

}  // namespace arcana::root_blob
