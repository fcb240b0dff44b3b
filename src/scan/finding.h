// One secret found by `arcana scan`: where it is, which rule, and (in memory only) its value.
// The plaintext `secret` and `match` never leave the process except through migrate's store
// call: every printed form goes through Redact().
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace arcana::scan {

struct Finding {
  std::string rule_id;
  std::string description;
  std::vector<std::string> tags;
  std::string file;         // as scanned (relative to the scan root, or as given)
  size_t line = 0;          // 1-based line of the secret's first byte (the new file's, in --git)
  size_t column = 0;        // 1-based byte column of the secret's first byte
  size_t end_line = 0;
  size_t end_column = 0;    // 1-based, inclusive
  size_t offset = 0;        // byte offset of the secret in the scanned fragment
  std::string secret;       // plaintext (never printed)
  std::string match;        // the whole match (never printed as is); other findings' values in
                            // it are already masked (engine.cc), `secret` itself is not
  size_t match_offset = 0;  // byte offset of the match in the scanned fragment
  double entropy = 0;
  // --git only.
  std::string commit, author, email, date;

  // A stable id for baselines and selections: hex SHA-256 (first 32 hex) of rule, file, commit
  // and secret. Line numbers are left out so an edit above a finding does not resurrect it.
  std::string Fingerprint() const;
};

// "first…last" with the middle masked: the first and last characters only, and nothing for
// values shorter than 8 (too short to show any of).
std::string Redact(std::string_view secret);
// `match` with every occurrence of `secret` replaced by Redact(secret).
std::string RedactIn(std::string_view text, std::string_view secret);

// RedactIn for many values at once, in one pass over the text: every byte covered by an
// occurrence of any value is masked (overlapping occurrences are masked together, as one
// Redact() of the span they cover). Linear in the text times the number of distinct value
// lengths: RedactIn once per value over a whole file was quadratic (32,000 tokens in a 1.4 MB
// .env took 27 s to print). Thread-safety: const methods may run concurrently.
class Redactor {
 public:
  explicit Redactor(const std::vector<std::string>& values);
  std::string operator()(std::string_view text) const;

 private:
  std::vector<std::string> values_;
  std::unordered_set<std::string_view> set_;  // views into values_
  std::vector<size_t> lengths_;               // distinct, longest first
  std::vector<bool> first_two_;               // 65536 bits: the first two bytes of a value
  bool has_single_ = false;                   // a value of one byte
};

// Text for a terminal: control bytes (ESC starting an escape sequence, BEL, CR, ...) as \xNN,
// so a scanned repository's file name or line cannot drive the operator's terminal;
// keep_layout leaves '\n' and '\t' (a diff's lines and indentation) as they are.
std::string Printable(std::string_view s, bool keep_layout = false);

}  // namespace arcana::scan
