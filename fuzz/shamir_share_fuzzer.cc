// Fuzzes Shamir share parsing (crypto/shamir.h): DecodeShare of the text an operator pastes
// (prefix, base64url, checksum), then combining what decoded. Input: share texts, one per
// line. Invariants: a decoded share has a non-zero index and re-encodes to the text it came
// from (modulo the whitespace DecodeShare trims); combining never reads out of bounds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/shamir.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<arcana::crypto::Share> shares;
  while (!in.empty() && shares.size() < 16) {
    size_t nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    auto share = arcana::crypto::DecodeShare(line);
    if (!share.ok()) continue;
    if (share->index == 0) __builtin_trap();
    std::string again = arcana::crypto::EncodeShare(*share);
    if (line.find(again) == std::string_view::npos) __builtin_trap();  // lossless round trip
    shares.push_back(*share);
  }
  if (!shares.empty()) (void)arcana::crypto::ShamirCombine(shares);
  return 0;
}
