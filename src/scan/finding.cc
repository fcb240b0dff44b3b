#include "scan/finding.h"

#include <algorithm>
#include <functional>

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

Redactor::Redactor(const std::vector<std::string>& values) : first_two_(65536) {
  for (const auto& v : values) {
    if (!v.empty()) values_.push_back(v);
  }
  for (const auto& v : values_) {
    set_.insert(v);
    lengths_.push_back(v.size());
    if (v.size() == 1) {
      has_single_ = true;
    } else {
      first_two_[static_cast<unsigned char>(v[0]) << 8 | static_cast<unsigned char>(v[1])] = true;
    }
  }
  std::sort(lengths_.begin(), lengths_.end(), std::greater<>());
  lengths_.erase(std::unique(lengths_.begin(), lengths_.end()), lengths_.end());
}

std::string Redactor::operator()(std::string_view text) const {
  if (values_.empty()) return std::string(text);
  std::string out;
  size_t copied = 0;           // text before this is in out
  size_t span_b = 0, span_e = 0;  // the masked span being grown (empty: none)
  auto flush = [&] {
    if (span_e == 0) return;
    out.append(text.substr(copied, span_b - copied));
    out += Redact(text.substr(span_b, span_e - span_b));
    copied = span_e;
    span_b = span_e = 0;
  };
  for (size_t pos = 0; pos < text.size(); ++pos) {
    if (span_e != 0 && pos >= span_e) flush();
    bool pair = pos + 1 < text.size() &&
                first_two_[static_cast<unsigned char>(text[pos]) << 8 |
                           static_cast<unsigned char>(text[pos + 1])];
    if (!pair && !has_single_) continue;
    for (size_t len : lengths_) {  // the longest value starting here decides
      if (len > text.size() - pos || (len > 1 && !pair)) continue;
      if (set_.count(text.substr(pos, len)) == 0) continue;
      if (span_e == 0) span_b = pos;
      span_e = std::max(span_e, pos + len);
      break;
    }
  }
  flush();
  out.append(text.substr(copied));
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
