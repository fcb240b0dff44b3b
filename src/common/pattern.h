// Regular expressions that come from outside (a caller's AllowedPattern, or any pattern a
// request can reach), evaluated in linear time. Every caller-influenced match goes through here
// instead of std::regex: libstdc++'s std::regex backtracks (`(a*)*b` against 30 `a`s runs for
// minutes) and recurses per character (a long input overflows the stack).
//
// The engine is RE2: time linear in the text, memory bounded per pattern. Callers write the
// ECMAScript / Java dialect AWS accepts; Translate() rewrites what RE2 spells differently
// (`\uFFFF`, `(?<name>`, `\0nn`, `\cX`, `\e`, `\Z`, Java's POSIX `\p{Alpha}` classes) and
// refuses, by name, the constructs no linear-time engine can run (backreferences, lookaround,
// atomic groups, possessive quantifiers, class intersection) so a caller learns why instead of
// getting a pattern that silently means something else.
//
// Thread-safety: a compiled Pattern is immutable and may be matched from any thread at once.
// Compile() keeps a small process-wide cache guarded by its own mutex; compiling happens outside
// that mutex, so a slow compile never blocks a lookup.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace arcana::pattern {

// RE2's memory budget per compiled pattern (program plus its lazily built DFA caches). When a
// DFA fills it, RE2 flushes and eventually falls back to its NFA: still linear, never more memory.
inline constexpr int64_t kMaxMemoryPerPattern = 1 << 20;

class Pattern {
 public:
  explicit Pattern(std::string source, std::unique_ptr<re2::RE2> re);
  ~Pattern();
  Pattern(const Pattern&) = delete;
  Pattern& operator=(const Pattern&) = delete;

  // The pattern as the caller wrote it (before translation).
  const std::string& source() const { return source_; }
  // True when the whole of `text` matches (Java's matches(), ECMAScript's ^(?:p)$).
  bool FullMatch(std::string_view text) const;

 private:
  std::string source_;
  std::unique_ptr<re2::RE2> re_;
};

enum class PatternError {
  kNone,
  kTooLong,      // longer than max_length
  kInvalid,      // not a regular expression (unbalanced parenthesis, bad escape, ...)
  kUnsupported,  // a valid regular expression that needs backtracking, or is too large
};

struct Compiled {
  std::shared_ptr<const Pattern> pattern;  // null on error
  PatternError error = PatternError::kNone;
  std::string detail;  // why, for an error (names the construct; never echoes matched text)
};

// Rewrites an ECMAScript/Java pattern into RE2 syntax. On error, *error and *detail say why.
bool Translate(std::string_view source, std::string* out, PatternError* error,
               std::string* detail);

// Translates and compiles (or returns the cached compile of) `source`. Patterns longer than
// max_length bytes are refused before any work is done.
Compiled Compile(std::string_view source, size_t max_length);

}  // namespace arcana::pattern
