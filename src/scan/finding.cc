#include "scan/finding.h"

#include "crypto/hash.h"

namespace arcana::scan {

std::string Finding::Fingerprint() const {
  std::string in;
  for (std::string_view part : {std::string_view(rule_id), std::string_view(file),
                                std::string_view(commit), std::string_view(secret)}) {
    in += std::to_string(part.size());
    in += ':';
    in += part;
  }
  return crypto::Sha256Hex(in).substr(0, 32);
}

std::string Redact(std::string_view secret) {
  if (secret.size() < 8) return "*****";
  std::string out;
  out += secret.front();
  out += "*****";
  out += secret.back();
  return out;
}

std::string RedactIn(std::string_view text, std::string_view secret) {
  if (secret.empty()) return std::string(text);
  std::string out;
  std::string redacted = Redact(secret);
  size_t pos = 0;
  for (;;) {
    size_t hit = text.find(secret, pos);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(pos, hit - pos));
    out += redacted;
    pos = hit + secret.size();
  }
  out.append(text.substr(pos));
  return out;
}

std::string Printable(std::string_view s, bool keep_layout) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if ((c < 0x20 || c == 0x7f) && !(keep_layout && (c == '\n' || c == '\t'))) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace arcana::scan
