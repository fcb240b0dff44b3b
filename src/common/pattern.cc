#include "common/pattern.h"

#include <re2/re2.h>

#include <cstdio>
#include <deque>
#include <mutex>
#include <unordered_map>

namespace arcana::pattern {

Pattern::Pattern(std::string source, std::unique_ptr<re2::RE2> re)
    : source_(std::move(source)), re_(std::move(re)) {}

Pattern::~Pattern() = default;

bool Pattern::FullMatch(std::string_view text) const {
  return re2::RE2::FullMatch(re2::StringPiece(text.data(), text.size()), *re_);
}

namespace {

// RE2 refuses a counted repetition above this (and nested ones whose product exceeds it).
constexpr long kMaxRepeat = 1000;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
unsigned long HexValue(char c) {
  if (IsDigit(c)) return static_cast<unsigned long>(c - '0');
  return static_cast<unsigned long>((c | 0x20) - 'a' + 10);
}
bool IsAsciiAlnum(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

void AppendCodePoint(std::string* out, unsigned long cp) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "\\x{%lX}", cp);
  out->append(buf);
}

// Java's POSIX classes (\p{Alpha}) under RE2's names ([:alpha:]).
const char* PosixClass(std::string_view java_name) {
  static constexpr std::pair<std::string_view, const char*> kNames[] = {
      {"Lower", "lower"}, {"Upper", "upper"}, {"ASCII", "ascii"},   {"Alpha", "alpha"},
      {"Digit", "digit"}, {"Alnum", "alnum"}, {"Punct", "punct"},   {"Graph", "graph"},
      {"Print", "print"}, {"Blank", "blank"}, {"Cntrl", "cntrl"},   {"XDigit", "xdigit"},
      {"Space", "space"},
  };
  for (const auto& [java, re2] : kNames) {
    if (java == java_name) return re2;
  }
  return nullptr;
}

class Translator {
 public:
  explicit Translator(std::string_view s) : s_(s) {}

  bool Run(std::string* out, PatternError* error, std::string* detail) {
    out_ = out;
    out_->clear();
    bool ok = Sequence();
    if (!ok) {
      *error = error_;
      *detail = detail_;
    }
    return ok;
  }

 private:
  bool Fail(PatternError e, std::string detail) {
    error_ = e;
    detail_ = std::move(detail);
    return false;
  }
  bool Unsupported(const char* what) {
    return Fail(PatternError::kUnsupported,
                std::string(what) + " cannot be evaluated in linear time and are not supported");
  }
  char At(size_t i) const { return i < s_.size() ? s_[i] : '\0'; }
  bool Has(std::string_view prefix) const { return s_.substr(i_, prefix.size()) == prefix; }

  bool Sequence() {
    bool after_quantifier = false;  // the previous token was *, +, ? or {n,m}
    while (i_ < s_.size()) {
      const char c = s_[i_];
      bool quantifier = false;
      if (c == '\\') {
        if (!Escape(false)) return false;
      } else if (c == '[') {
        if (!Class()) return false;
      } else if (c == '(') {
        if (!Group()) return false;
      } else if (c == '*' || c == '+' || c == '?') {
        if (after_quantifier && c == '+') {
          return Unsupported("possessive quantifiers (such as a*+)");
        }
        out_->push_back(c);
        ++i_;
        // `?` after a quantifier makes it lazy and ends it; anything else starts one.
        quantifier = !(after_quantifier && c == '?');
      } else if (c == '{') {
        if (!Brace(&quantifier)) return false;
      } else if (c == '}') {
        out_->append("\\}");
        ++i_;
      } else {
        out_->push_back(c);
        ++i_;
      }
      after_quantifier = quantifier;
    }
    return true;
  }

  // `{n}`, `{n,}`, `{n,m}` repeat; any other `{` is a literal (ECMAScript and RE2 agree).
  bool Brace(bool* quantifier) {
    size_t j = i_ + 1;
    auto number = [&](long* v) {
      size_t start = j;
      *v = 0;
      while (IsDigit(At(j))) {
        if (*v <= kMaxRepeat) *v = *v * 10 + (At(j) - '0');
        ++j;
      }
      return j > start;
    };
    long lo = 0, hi = -1;
    bool repeat = number(&lo);
    if (repeat && At(j) == ',') {
      ++j;
      if (IsDigit(At(j))) number(&hi);
    } else {
      hi = lo;
    }
    repeat = repeat && At(j) == '}';
    if (!repeat) {
      out_->append("\\{");
      ++i_;
      return true;
    }
    if (lo > kMaxRepeat || hi > kMaxRepeat) {
      return Unsupported("repetition counts above 1000");
    }
    if (hi >= 0 && hi < lo) {
      return Fail(PatternError::kInvalid, "illegal repetition range {" +
                                              std::string(s_.substr(i_ + 1, j - i_ - 1)) + "}");
    }
    out_->append(s_.substr(i_, j + 1 - i_));
    i_ = j + 1;
    *quantifier = true;
    return true;
  }

  bool Group() {
    if (Has("(?=") || Has("(?!")) return Unsupported("lookahead assertions");
    if (Has("(?<=") || Has("(?<!")) return Unsupported("lookbehind assertions");
    if (Has("(?>")) return Unsupported("atomic groups");
    if (Has("(?<")) {  // (?<name>...) is RE2's (?P<name>...)
      out_->append("(?P<");
      i_ += 3;
      return true;
    }
    out_->push_back('(');
    ++i_;
    return true;
  }

  bool Class() {
    out_->push_back('[');
    ++i_;
    if (At(i_) == '^') {
      out_->push_back('^');
      ++i_;
    }
    if (At(i_) == ']') {  // a leading ] is a member (Java and RE2 alike)
      out_->append("\\]");
      ++i_;
    }
    while (i_ < s_.size() && s_[i_] != ']') {
      if (s_[i_] == '\\') {
        if (!Escape(true)) return false;
      } else if (Has("[:")) {  // [:alpha:] inside a class
        size_t end = s_.find(":]", i_ + 2);
        if (end == std::string_view::npos) {
          out_->append("\\[");
          ++i_;
        } else {
          out_->append(s_.substr(i_, end + 2 - i_));
          i_ = end + 2;
        }
      } else if (s_[i_] == '[') {
        // Java reads a nested class as a union; ECMAScript and RE2 as a literal '['.
        out_->append("\\[");
        ++i_;
      } else if (Has("&&")) {
        return Unsupported("character class intersections (&&)");
      } else {
        out_->push_back(s_[i_]);
        ++i_;
      }
    }
    if (i_ < s_.size()) {
      out_->push_back(']');
      ++i_;
    }  // else: unterminated; RE2 reports the missing ]
    return true;
  }

  // A character quoted literally: RE2 accepts a backslash before any ASCII non-word character.
  void Literal(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      AppendCodePoint(out_, u);
    } else if (u < 0x80 && !IsAsciiAlnum(c) && c != '_') {
      out_->push_back('\\');
      out_->push_back(c);
    } else {
      out_->push_back(c);
    }
  }

  bool Escape(bool in_class) {
    if (i_ + 1 >= s_.size()) {  // trailing backslash: RE2 names the error
      out_->push_back('\\');
      ++i_;
      return true;
    }
    const char e = s_[i_ + 1];
    auto pass = [&] {
      out_->push_back('\\');
      out_->push_back(e);
      i_ += 2;
      return true;
    };
    switch (e) {
      case 'd': case 'D': case 'w': case 'W': case 's': case 'S':
      case 't': case 'n': case 'r': case 'f': case 'v': case 'a': case 'x':
        return pass();
      case 'b':
        if (in_class) {  // [\b] is a backspace in ECMAScript
          out_->append("\\x08");
          i_ += 2;
          return true;
        }
        return pass();
      case 'B': case 'A': case 'z':
        return pass();
      case 'Z':
        if (in_class) return pass();
        out_->append("(?:\\n?\\z)");  // Java: end of input, before a final line terminator
        i_ += 2;
        return true;
      case 'G':
        return Unsupported("\\G anchors");
      case 'e':
        out_->append("\\x1B");
        i_ += 2;
        return true;
      case '0': {  // \0 (NUL) or Java's octal \0n, \0nn, \0mnn
        size_t j = i_ + 2;
        unsigned long v = 0;
        while (j < i_ + 5 && At(j) >= '0' && At(j) <= '7' && v * 8 + (At(j) - '0') <= 0377) {
          v = v * 8 + (At(j) - '0');
          ++j;
        }
        AppendCodePoint(out_, v);
        i_ = j;
        return true;
      }
      case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
        return Unsupported("backreferences (such as \\1)");
      case 'k':
        if (At(i_ + 2) == '<') return Unsupported("named backreferences (\\k<name>)");
        return pass();
      case 'u':
        return Unicode();
      case 'c': {
        char letter = At(i_ + 2);
        if (!((letter >= 'a' && letter <= 'z') || (letter >= 'A' && letter <= 'Z'))) {
          return Fail(PatternError::kInvalid, "\\c must be followed by a letter");
        }
        AppendCodePoint(out_, static_cast<unsigned long>(letter) % 32);
        i_ += 3;
        return true;
      }
      case 'p': case 'P':
        return Property(in_class, e == 'P');
      case 'Q': {  // \Q...\E quotes everything in between
        size_t end = s_.find("\\E", i_ + 2);
        size_t stop = end == std::string_view::npos ? s_.size() : end;
        for (size_t j = i_ + 2; j < stop; ++j) Literal(s_[j]);
        i_ = end == std::string_view::npos ? s_.size() : end + 2;
        return true;
      }
      default:
        break;
    }
    if (static_cast<unsigned char>(e) >= 0x80) {  // an escaped non-ASCII character is itself
      out_->push_back(e);
      i_ += 2;
      return true;
    }
    // Other letters and digits: RE2 rejects the unknown ones (an invalid pattern).
    // Punctuation, space and '_' stand for themselves.
    return pass();
  }

  // \uFFFF, a surrogate pair \uD83D\uDE00, or ECMAScript's \u{1F600}.
  bool Unicode() {
    auto hex4 = [&](size_t at, unsigned long* v) {
      *v = 0;
      for (size_t k = 0; k < 4; ++k) {
        char h = At(at + k);
        if (!IsHex(h)) return false;
        *v = *v * 16 + HexValue(h);
      }
      return true;
    };
    unsigned long cp = 0;
    if (At(i_ + 2) == '{') {
      size_t j = i_ + 3;
      while (IsHex(At(j)) && j - (i_ + 3) < 6) {
        cp = cp * 16 + HexValue(At(j));
        ++j;
      }
      if (j == i_ + 3 || At(j) != '}' || cp > 0x10FFFF) {
        return Fail(PatternError::kInvalid, "malformed \\u{...} escape");
      }
      i_ = j + 1;
    } else {
      if (!hex4(i_ + 2, &cp)) return Fail(PatternError::kInvalid, "malformed \\u escape");
      i_ += 6;
      unsigned long low = 0;
      if (cp >= 0xD800 && cp <= 0xDBFF && At(i_) == '\\' && At(i_ + 1) == 'u' &&
          hex4(i_ + 2, &low) && low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        i_ += 6;
      }
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) {
      return Fail(PatternError::kUnsupported,
                  "a lone UTF-16 surrogate cannot match UTF-8 text and is not supported");
    }
    AppendCodePoint(out_, cp);
    return true;
  }

  // \p{Name}, \P{Name}, \pL. Java's POSIX names become RE2 classes; Java's "Is" prefix is
  // dropped (\p{IsLatin} is \p{Latin}); the rest is RE2's to accept or refuse.
  bool Property(bool in_class, bool negated) {
    std::string name;
    size_t next;
    if (At(i_ + 2) == '{') {
      size_t end = s_.find('}', i_ + 3);
      if (end == std::string_view::npos) {
        return Fail(PatternError::kInvalid, "unterminated \\p{...}");
      }
      name = std::string(s_.substr(i_ + 3, end - i_ - 3));
      next = end + 1;
    } else {
      name = std::string(1, At(i_ + 2));
      next = i_ + 3;
    }
    if (name.rfind("In", 0) == 0 || name.rfind("java", 0) == 0 || name.find('=') != std::string::npos) {
      return Unsupported("Unicode blocks, java* and key=value properties");
    }
    if (name.rfind("Is", 0) == 0 && name.size() > 2) name = name.substr(2);
    if (const char* posix = PosixClass(name)) {
      std::string cls = std::string("[:") + (negated ? "^" : "") + posix + ":]";
      out_->append(in_class ? cls : "[" + cls + "]");
    } else {
      out_->append(negated ? "\\P{" : "\\p{").append(name).append("}");
    }
    i_ = next;
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
  std::string* out_ = nullptr;
  PatternError error_ = PatternError::kNone;
  std::string detail_;
};

// Compiled patterns by source. Small: the same few AllowedPatterns are checked over and over
// (every overwrite re-checks the stored one); anything else just compiles again.
constexpr size_t kCacheEntries = 64;

struct Cache {
  std::mutex mu;
  std::unordered_map<std::string, std::shared_ptr<const Pattern>> by_source;
  std::deque<std::string> order;  // insertion order, oldest first
};

Cache& TheCache() {
  static Cache* cache = new Cache();  // never destroyed: usable from any static teardown
  return *cache;
}

}  // namespace

bool Translate(std::string_view source, std::string* out, PatternError* error,
               std::string* detail) {
  return Translator(source).Run(out, error, detail);
}

Compiled Compile(std::string_view source, size_t max_length) {
  Compiled result;
  if (source.size() > max_length) {
    result.error = PatternError::kTooLong;
    result.detail = "the pattern is longer than " + std::to_string(max_length) + " characters";
    return result;
  }
  Cache& cache = TheCache();
  const std::string key(source);
  {
    std::lock_guard<std::mutex> l(cache.mu);
    auto it = cache.by_source.find(key);
    if (it != cache.by_source.end()) {
      result.pattern = it->second;
      return result;
    }
  }
  std::string translated;
  if (!Translate(source, &translated, &result.error, &result.detail)) return result;
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(kMaxMemoryPerPattern);
  options.set_never_capture(true);  // only whole-text matches are asked for
  auto re = std::make_unique<re2::RE2>(translated, options);
  if (!re->ok()) {
    switch (re->error_code()) {
      case re2::RE2::ErrorPatternTooLarge:
        result.error = PatternError::kUnsupported;
        result.detail = "the pattern is too large to evaluate in linear time";
        break;
      case re2::RE2::ErrorRepeatSize:
        result.error = PatternError::kUnsupported;
        result.detail = "nested repetitions above 1000 in total cannot be evaluated in linear "
                        "time and are not supported";
        break;
      default:
        result.error = PatternError::kInvalid;
        result.detail = re->error();
        break;
    }
    return result;
  }
  result.pattern = std::make_shared<const Pattern>(key, std::move(re));
  std::lock_guard<std::mutex> l(cache.mu);
  auto [it, inserted] = cache.by_source.emplace(key, result.pattern);
  if (inserted) {
    cache.order.push_back(key);
    if (cache.order.size() > kCacheEntries) {
      cache.by_source.erase(cache.order.front());
      cache.order.pop_front();
    }
  } else {
    result.pattern = it->second;  // another thread compiled it meanwhile
  }
  return result;
}

}  // namespace arcana::pattern
