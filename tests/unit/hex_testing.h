// Test vectors are written in hex: their bytes. Shared by the unit tests that check known
// answers (crypto, KMS import, KMS signatures).
#pragma once

#include <string>
#include <string_view>

namespace arcana::testing {

// "00ff" -> "\x00\xff"; a trailing odd digit is ignored (vectors are well-formed).
inline std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

}  // namespace arcana::testing
