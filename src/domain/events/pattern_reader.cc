#include "domain/events/pattern_reader.h"

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace arcana::domain::events {

namespace {

// Jackson's lists of what may start a value (ParserMinimalBase._validJsonValueList(), the
// non-numeric numbers feature being off, as on AWS).
constexpr std::string_view kValueList =
    "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";
constexpr std::string_view kNonNumeric =
    "': enable JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS to allow";
// Jackson quotes at most this much of the source, in chars (ContentReference).
constexpr int kMaxSnippetUnits = 500;
// Jackson stops an unrecognized token's text at this many chars (MAX_ERROR_TOKEN_LENGTH).
constexpr int kMaxErrorTokenUnits = 256;

bool IsDigit(int c) { return c >= '0' && c <= '9'; }

int Units(int cp) { return cp > 0xFFFF ? 2 : 1; }

void AppendUtf8(std::string* out, int cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string Utf8(int cp) {
  std::string s;
  AppendUtf8(&s, cp);
  return s;
}

// The code point of the (valid) UTF-8 sequence at text[at], and its length in bytes.
int Decode(std::string_view text, size_t at, size_t* len) {
  auto b = static_cast<unsigned char>(text[at]);
  int n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  if (at + static_cast<size_t>(n) > text.size()) n = 1;  // cut short: the byte alone
  int cp = n == 1 ? b : b & (0xFF >> (n + 1));
  for (int i = 1; i < n; ++i) cp = (cp << 6) | (static_cast<unsigned char>(text[at + i]) & 0x3F);
  *len = static_cast<size_t>(n);
  return cp;
}

// Java's Character.isISOControl.
bool IsIsoControl(int c) { return c <= 0x1F || (c >= 0x7F && c <= 0x9F); }

// Java's Character.isJavaIdentifierStart / isJavaIdentifierPart: exact for Latin-1, by block
// beyond it (letters and marks of most scripts count, punctuation and symbol blocks do not).
// Jackson reads chars, so a code point beyond the BMP (a surrogate to it) is neither.
bool IsIdentifier(int c, bool start) {
  if (c < 0x80) {
    if (std::isalpha(c) || c == '$' || c == '_') return true;
    if (start) return false;
    return IsDigit(c) || (c <= 0x08) || (c >= 0x0E && c <= 0x1B) || c == 0x7F;
  }
  if (c <= 0x9F) return !start;  // ignorable controls
  if (c <= 0xFF) {
    if (c == 0xAD) return !start;  // soft hyphen (a format char)
    return (c >= 0xA2 && c <= 0xA5) || c == 0xAA || c == 0xB5 || c == 0xBA ||
           (c >= 0xC0 && c != 0xD7 && c != 0xF7);
  }
  if (c > 0xFFFF || (c >= 0xD800 && c <= 0xF8FF)) return false;
  if (c >= 0x2000 && c <= 0x2BFF) {
    if ((c >= 0x200C && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
        (c >= 0x2060 && c <= 0x2064)) {
      return !start;
    }
    return c == 0x203F || c == 0x2040 || c == 0x2054;
  }
  if (c >= 0x2E00 && c <= 0x2E7F) return false;
  if ((c >= 0x3000 && c <= 0x3004) || (c >= 0x3008 && c <= 0x3020) || c == 0x3030 ||
      (c >= 0x303D && c <= 0x303F)) {
    return false;
  }
  if (c >= 0xFE10 && c <= 0xFE6F) return c == 0xFE33 || c == 0xFE34 || (c >= 0xFE4D && c <= 0xFE4F);
  if (c >= 0xFF00 && c <= 0xFFEF) {
    return (c >= 0xFF21 && c <= 0xFF3A) || (c >= 0xFF41 && c <= 0xFF5A) || c == 0xFF04 ||
           c == 0xFF3F || (c >= 0xFF66 && c <= 0xFFDC) || c == 0xFFE0 || c == 0xFFE1 ||
           c == 0xFFE5 || c == 0xFFE6 || (!start && c >= 0xFF10 && c <= 0xFF19);
  }
  if (c >= 0xFFF0) return !start && c >= 0xFFF9 && c <= 0xFFFB;
  return true;
}

int HexDigit(int c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Collects UTF-16 units (Jackson's chars) as UTF-8, pairing surrogates.
class Utf16Sink {
 public:
  explicit Utf16Sink(std::string* out) : out_(out) {}
  void Unit(int u) {
    if (high_ != 0 && u >= 0xDC00 && u <= 0xDFFF) {
      AppendUtf8(out_, 0x10000 + ((high_ - 0xD800) << 10) + (u - 0xDC00));
      high_ = 0;
      return;
    }
    Flush();
    if (u >= 0xD800 && u <= 0xDBFF) {
      high_ = u;
    } else {
      AppendUtf8(out_, (u >= 0xDC00 && u <= 0xDFFF) ? 0xFFFD : u);
    }
  }
  void CodePoint(int cp) {
    Flush();
    AppendUtf8(out_, cp);
  }
  void Flush() {
    if (high_ != 0) AppendUtf8(out_, 0xFFFD);
    high_ = 0;
  }

 private:
  std::string* out_;
  int high_ = 0;
};

}  // namespace

size_t InvalidUtf8At(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    auto b = static_cast<unsigned char>(text[i]);
    size_t n = b < 0x80 ? 1 : (b >= 0xC2 && b < 0xE0) ? 2 : (b >= 0xE0 && b < 0xF0) ? 3
             : (b >= 0xF0 && b < 0xF5) ? 4 : 0;
    if (n == 0 || i + n > text.size()) return i;
    uint32_t cp = n == 1 ? b : b & (0xFF >> (n + 1));
    for (size_t k = 1; k < n; ++k) {
      auto c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (c & 0x3F);
    }
    // No overlong forms, surrogates or code points beyond U+10FFFF.
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return i;
    }
    i += n;
  }
  return std::string_view::npos;
}

PatternReader::PatternReader(std::string_view text) : text_(text) {
  contexts_.push_back({Context::kRoot, -1, 1, 0});
}

int PatternReader::CodePointAt(size_t at) const {
  size_t len = 0;
  return Decode(text_, at, &len);
}

int PatternReader::Peek() const { return pos_ < text_.size() ? CodePointAt(pos_) : -1; }

int PatternReader::Read() {
  if (pos_ >= text_.size()) return -1;
  size_t len = 0;
  int cp = Decode(text_, pos_, &len);
  pos_ += len;
  return cp;
}

int PatternReader::Column(size_t at) const {
  int units = 0;
  for (size_t i = line_start_; i < at && i < text_.size(); ++i) {
    auto b = static_cast<unsigned char>(text_[i]);
    if ((b & 0xC0) != 0x80) units += b >= 0xF0 ? 2 : 1;
  }
  return units + 1;
}

std::string PatternReader::LocationAt(int line, int column) const {
  // ContentReference.appendSourceDescription: the text's first 500 chars in quotes (quotes
  // inside left as they are, control characters but CR and LF as \uXXXX), then how many
  // chars were left out.
  std::string out = "[Source: (String)\"";
  int units = 0, total = 0;
  for (size_t i = 0; i < text_.size();) {
    size_t len = 0;
    int cp = Decode(text_, i, &len);
    int n = Units(cp);
    if (units < kMaxSnippetUnits) {
      if (units + n > kMaxSnippetUnits) {
        out += '?';  // the cut falls between a surrogate pair: a lone half, unencodable
      } else if (IsIsoControl(cp) && cp != '\r' && cp != '\n') {
        char esc[8];
        std::snprintf(esc, sizeof esc, "\\u%04X", cp);
        out += esc;
      } else {
        out.append(text_.substr(i, len));
      }
      units += n;
    }
    total += n;
    i += len;
  }
  out += '"';
  if (total > kMaxSnippetUnits) {
    out += "[truncated " + std::to_string(total - kMaxSnippetUnits) + " chars]";
  }
  out += "; line: " + std::to_string(line) + ", column: " + std::to_string(column) + "]";
  return out;
}

std::string PatternReader::Location() const { return LocationAt(line_, Column(pos_)); }

Status PatternReader::Error(std::string_view why, bool at_last_char) const {
  std::string where = Location();
  if (at_last_char && pos_ > line_start_) {
    // Jackson 2.17+ (_currentLocationMinusOne, jackson-core#1173) locates a fault in the one
    // char it has just consumed at that char, not past it: one char back from the position.
    size_t at = pos_ - 1;
    while (at > line_start_ && (static_cast<unsigned char>(text_[at]) & 0xC0) == 0x80) --at;
    where = LocationAt(line_, Column(at));
  }
  return Status(ErrorCode::kInvalidEventPattern,
                "Event pattern is not valid. Reason: " + std::string(why) + "\n at " + where);
}

Status PatternReader::Fail(std::string_view why) const { return Error(why); }

Status PatternReader::Again(const Status& caught) const {
  if (caught.ok()) return caught;
  return Status(caught.code(), caught.message() + "\n at " + Location());
}

std::string PatternReader::CharDesc(int ch) {
  if (IsIsoControl(ch)) return "(CTRL-CHAR, code " + std::to_string(ch) + ")";
  std::string desc = "'" + Utf8(ch) + "' (code " + std::to_string(ch);
  if (ch > 255) {
    char hex[16];
    std::snprintf(hex, sizeof hex, " / 0x%x", ch);
    desc += hex;
  }
  return desc + ")";
}

Status PatternReader::UnexpectedChar(int ch, std::string_view comment) const {
  return Error("Unexpected character (" + CharDesc(ch) + "): " + std::string(comment), true);
}

Status PatternReader::NumberChar(int ch, std::string_view comment) const {
  return Error("Unexpected character (" + CharDesc(ch) + ") in numeric value: " +
                   std::string(comment),
               true);
}

Status PatternReader::EndOfInput(std::string_view what) const {
  return Error("Unexpected end-of-input" + std::string(what));
}

const char* PatternReader::TypeDesc() const {
  switch (contexts_.back().type) {
    case Context::kArray: return "Array";
    case Context::kObject: return "Object";
    case Context::kRoot: break;
  }
  return "root";
}

Result<int> PatternReader::SkipWs() {
  for (;;) {
    int c = Read();
    if (c < 0) return -1;
    if (c > ' ') {
      if (c == '/') {  // comments are off (Feature.ALLOW_COMMENTS)
        return UnexpectedChar(c, "maybe a (non-standard) comment? (not recognized as one since "
                                 "Feature 'ALLOW_COMMENTS' not enabled for parser)");
      }
      return c;
    }
    if (c == '\n') {
      ++line_;
      line_start_ = pos_;
    } else if (c == '\r') {
      if (pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
      ++line_;
      line_start_ = pos_;
    } else if (c != ' ' && c != '\t') {
      return Error("Illegal character (" + CharDesc(c) +
                   "): only regular white space (\\r, \\n, \\t) is allowed between tokens");
    }
  }
}

Result<int> PatternReader::SkipWsOrEnd() {
  ARCANA_ASSIGN_OR_RETURN(int c, SkipWs());
  if (c < 0 && contexts_.back().type != Context::kRoot) {
    const Context& open = contexts_.back();
    return EndOfInput(std::string(": expected close marker for ") + TypeDesc() +
                      " (start marker at " + LocationAt(open.line, open.column) + ")");
  }
  return c;
}

Result<int> PatternReader::SkipColon() {
  ARCANA_ASSIGN_OR_RETURN(int c, SkipWs());
  if (c < 0) return EndOfInput(" within/between Object entries");
  if (c != ':') return UnexpectedChar(c, "was expecting a colon to separate field name and value");
  ARCANA_ASSIGN_OR_RETURN(c, SkipWs());
  if (c < 0) return EndOfInput(" within/between Object entries");
  return c;
}

Result<int> PatternReader::SkipComma(int ch) {
  if (ch != ',') {
    return UnexpectedChar(ch, std::string("was expecting comma to separate ") + TypeDesc() +
                                  " entries");
  }
  ARCANA_ASSIGN_OR_RETURN(int c, SkipWs());
  if (c < 0) return EndOfInput(std::string(" within/between ") + TypeDesc() + " entries");
  return c;
}

void PatternReader::UpdateTokenLocation() {
  token_line_ = line_;
  token_column_ = Column(pos_) - 1;  // past the token's first char: its 1-based column
}

Status PatternReader::Mismatched(int ch, char expected) const {
  const Context& open = contexts_.back();
  return Error(std::string("Unexpected close marker '") + static_cast<char>(ch) + "': expected '" +
               expected + "' (for " + TypeDesc() + " starting at " +
               LocationAt(open.line, open.column) + ")",
               true);
}

Status PatternReader::CloseScope(int ch) {
  UpdateTokenLocation();
  const Context::Type type = contexts_.back().type;
  if (ch == ']') {
    if (type != Context::kArray) return Mismatched(ch, '}');
    token_ = PatternToken::kEndArray;
  } else {
    if (type != Context::kObject) return Mismatched(ch, ']');
    token_ = PatternToken::kEndObject;
  }
  contexts_.pop_back();
  return Status::Ok();
}

Result<int> PatternReader::DecodeEscape() {
  if (pos_ >= text_.size()) return EndOfInput(" in character escape sequence");
  int c = Read();
  switch (c) {
    case 'b': return '\b';
    case 't': return '\t';
    case 'n': return '\n';
    case 'f': return '\f';
    case 'r': return '\r';
    case '"':
    case '/':
    case '\\':
      return c;
    case 'u': break;
    default: return Error("Unrecognized character escape " + CharDesc(c), true);
  }
  int value = 0;
  for (int i = 0; i < 4; ++i) {
    if (pos_ >= text_.size()) return EndOfInput(" in character escape sequence");
    int h = Read();
    int digit = HexDigit(h);
    if (digit < 0) return UnexpectedChar(h, "expected a hex-digit for character escape sequence");
    value = (value << 4) | digit;
  }
  return value;
}

Result<std::string> PatternReader::ReadQuoted(const char* at_end, const char* where) {
  std::string text;
  Utf16Sink sink(&text);
  for (;;) {
    if (pos_ >= text_.size()) return EndOfInput(at_end);
    int c = Read();
    if (c == '"') break;
    if (c == '\\') {
      ARCANA_ASSIGN_OR_RETURN(int unit, DecodeEscape());
      sink.Unit(unit);
    } else if (c < ' ') {
      return Error("Illegal unquoted character (" + CharDesc(c) +
                       "): has to be escaped using backslash to be included in " + where,
                   true);
    } else {
      sink.CodePoint(c);
    }
  }
  sink.Flush();
  return text;
}

Result<std::string> PatternReader::ParseName() {
  return ReadQuoted(" in field name", "name");
}

Status PatternReader::FinishString(bool keep) {
  incomplete_ = false;
  ARCANA_ASSIGN_OR_RETURN(std::string text,
                          ReadQuoted(": was expecting closing quote for a string value",
                                     "string value"));
  if (keep) value_ = std::move(text);
  return Status::Ok();
}

// Jackson's _reportInvalidToken: the token is what was matched plus the identifier characters
// that follow (read past), as "Unrecognized token '...'".
Status PatternReader::InvalidToken(std::string matched) {
  int units = 0;
  for (size_t i = 0; i < matched.size(); ++i) {
    if ((static_cast<unsigned char>(matched[i]) & 0xC0) != 0x80) ++units;
  }
  while (pos_ < text_.size()) {
    int c = Peek();
    if (!IsIdentifier(c, false)) break;
    Read();
    AppendUtf8(&matched, c);
    if (++units >= kMaxErrorTokenUnits) {
      matched += "...";
      break;
    }
  }
  return Error("Unrecognized token '" + matched + "': was expecting " + std::string(kValueList));
}

// word[0, from) has been read; the rest must follow, and no identifier character after it.
Status PatternReader::MatchKeyword(std::string_view word, size_t from) {
  for (size_t i = from; i < word.size(); ++i) {
    if (pos_ >= text_.size() || text_[pos_] != word[i]) {
      return InvalidToken(std::string(word.substr(0, i)));
    }
    ++pos_;
  }
  int c = Peek();
  if (c >= '0' && c != ']' && c != '}' && IsIdentifier(c, false)) {
    return InvalidToken(std::string(word));
  }
  return Status::Ok();
}

Status PatternReader::VerifyRootSpace(int ch) {
  // A number at the top level must be followed by white space (or the end).
  size_t len = 0;
  Decode(text_, pos_, &len);
  pos_ += len;
  if (ch == ' ' || ch == '\t') return Status::Ok();
  if (ch == '\r' || ch == '\n') {
    if (ch == '\r' && pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
    ++line_;
    line_start_ = pos_;
    return Status::Ok();
  }
  return UnexpectedChar(ch, "Expected space separating root-level values");
}

Result<PatternToken> PatternReader::InvalidNumberStart(int ch, bool negative) {
  if (ch == 'I') {
    if (pos_ >= text_.size()) return EndOfInput(" in a Number value");
    ch = Read();
    if (ch == 'N' || ch == 'n') {
      std::string word = std::string(negative ? "-" : "+") + (ch == 'N' ? "INF" : "Infinity");
      ARCANA_RETURN_IF_ERROR(MatchKeyword(word, 3));
      return Error("Non-standard token '" + word + std::string(kNonNumeric));
    }
  }
  return NumberChar(ch, "expected digit (0-9) to follow minus sign, for valid numeric value");
}

// Jackson's _parsePosNumber/_parseNegNumber: the first char (a digit or '-') has been read.
// The number ends before the first char that cannot continue it (not read).
Result<PatternToken> PatternReader::ParseNumber(int first) {
  const size_t start = pos_ - 1;
  const bool negative = first == '-';
  int c = first;
  if (negative) {
    if (pos_ >= text_.size()) return ParseNumberSlowly(true, start);
    c = Read();
    if (!IsDigit(c)) return InvalidNumberStart(c, true);
  }
  if (c == '0') return ParseNumberSlowly(negative, start);  // leading zeroes are checked there
  size_t p = pos_;
  for (;;) {
    if (p >= text_.size()) return ParseNumberSlowly(negative, start);
    c = static_cast<unsigned char>(text_[p++]);
    if (!IsDigit(c)) break;
  }
  if (c == '.' || c == 'e' || c == 'E') {
    pos_ = p;
    return ParseFloat(c, start, p, negative);
  }
  pos_ = p - 1;
  if (contexts_.back().type == Context::kRoot) {
    ARCANA_RETURN_IF_ERROR(VerifyRootSpace(CodePointAt(pos_)));
  }
  value_.assign(text_.substr(start, p - 1 - start));
  return PatternToken::kNumberInt;
}

// Jackson's _parseFloat: pos_ stays just past the '.' or 'e' while the rest is scanned, so a
// fault in the fraction or exponent is located there.
Result<PatternToken> PatternReader::ParseFloat(int c, size_t start, size_t p, bool negative) {
  if (c == '.') {
    int digits = 0;
    for (;;) {
      if (p >= text_.size()) return ParseNumberSlowly(negative, start);
      c = static_cast<unsigned char>(text_[p++]);
      if (!IsDigit(c)) break;
      ++digits;
    }
    if (digits == 0) return NumberChar(CodePointAt(p - 1), "Decimal point not followed by a digit");
  }
  if (c == 'e' || c == 'E') {
    if (p >= text_.size()) return ParseNumberSlowly(negative, start);
    c = static_cast<unsigned char>(text_[p++]);
    if (c == '-' || c == '+') {
      if (p >= text_.size()) return ParseNumberSlowly(negative, start);
      c = static_cast<unsigned char>(text_[p++]);
    }
    int digits = 0;
    while (IsDigit(c)) {
      ++digits;
      if (p >= text_.size()) return ParseNumberSlowly(negative, start);
      c = static_cast<unsigned char>(text_[p++]);
    }
    if (digits == 0) {
      return NumberChar(CodePointAt(p - 1), "Exponent indicator not followed by a digit");
    }
  }
  pos_ = p - 1;
  if (contexts_.back().type == Context::kRoot) {
    ARCANA_RETURN_IF_ERROR(VerifyRootSpace(CodePointAt(pos_)));
  }
  value_.assign(text_.substr(start, p - 1 - start));
  return PatternToken::kNumberFloat;
}

// Jackson's _parseNumber2: the number read char by char (a leading zero, or one running to
// the end of the text); each char is consumed as it is looked at.
Result<PatternToken> PatternReader::ParseNumberSlowly(bool negative, size_t start) {
  pos_ = negative ? start + 1 : start;
  auto next = [&](std::string_view at_end) -> Result<int> {
    if (pos_ >= text_.size()) return EndOfInput(at_end);
    return Read();
  };
  ARCANA_ASSIGN_OR_RETURN(int c, next("No digit following minus sign"));
  if (c == '0' && pos_ < text_.size() && IsDigit(static_cast<unsigned char>(text_[pos_]))) {
    return Error("Invalid numeric value: Leading zeroes not allowed");
  }
  bool eof = false;
  int int_digits = 0, fraction = 0, exponent = 0;
  while (IsDigit(c)) {
    ++int_digits;
    if (pos_ >= text_.size()) {
      eof = true;
      break;
    }
    c = Read();
  }
  if (int_digits == 0) return InvalidNumberStart(c, negative);
  bool is_float = false;
  if (!eof && c == '.') {
    is_float = true;
    for (;;) {
      if (pos_ >= text_.size()) {
        eof = true;
        break;
      }
      c = Read();
      if (!IsDigit(c)) break;
      ++fraction;
    }
    if (fraction == 0) return NumberChar(c, "Decimal point not followed by a digit");
  }
  if (!eof && (c == 'e' || c == 'E')) {
    is_float = true;
    ARCANA_ASSIGN_OR_RETURN(c, next("expected a digit for number exponent"));
    if (c == '-' || c == '+') {
      ARCANA_ASSIGN_OR_RETURN(c, next("expected a digit for number exponent"));
    }
    while (IsDigit(c)) {
      ++exponent;
      if (pos_ >= text_.size()) {
        eof = true;
        break;
      }
      c = Read();
    }
    if (exponent == 0) return NumberChar(c, "Exponent indicator not followed by a digit");
  }
  if (!eof) {
    pos_ -= Utf8(c).size();  // the char that ended the number is not part of it
    if (contexts_.back().type == Context::kRoot) {
      value_.assign(text_.substr(start, pos_ - start));
      ARCANA_RETURN_IF_ERROR(VerifyRootSpace(c));
      return is_float ? PatternToken::kNumberFloat : PatternToken::kNumberInt;
    }
  }
  value_.assign(text_.substr(start, pos_ - start));
  return is_float ? PatternToken::kNumberFloat : PatternToken::kNumberInt;
}

// Jackson's _handleOddValue: what cannot start a value.
Result<PatternToken> PatternReader::OddValue(int ch) {
  if (ch == 'N' || ch == 'I') {
    std::string_view word = ch == 'N' ? "NaN" : "Infinity";
    ARCANA_RETURN_IF_ERROR(MatchKeyword(word, 1));
    return Error("Non-standard token '" + std::string(word) + std::string(kNonNumeric));
  }
  if (ch == '+') {
    if (pos_ >= text_.size()) return EndOfInput(" in a Number value");
    return InvalidNumberStart(Read(), false);
  }
  if (IsIdentifier(ch, true)) return InvalidToken(Utf8(ch));
  return UnexpectedChar(ch, "expected a valid value " + std::string(kValueList));
}

Result<PatternToken> PatternReader::Next() {
  if (token_ == PatternToken::kFieldName) {
    // The value was read along with its name; a structure's context starts now.
    token_ = next_;
    if (token_ == PatternToken::kStartArray || token_ == PatternToken::kStartObject) {
      contexts_.push_back({token_ == PatternToken::kStartArray ? Context::kArray : Context::kObject,
                           -1, token_line_, token_column_});
    }
    return token_;
  }
  if (incomplete_) ARCANA_RETURN_IF_ERROR(FinishString(false));
  ARCANA_ASSIGN_OR_RETURN(int c, SkipWsOrEnd());
  if (c < 0) return token_ = PatternToken::kEnd;
  if (c == ']' || c == '}') {
    ARCANA_RETURN_IF_ERROR(CloseScope(c));
    return token_;
  }
  Context& context = contexts_.back();
  if (++context.index > 0 && context.type != Context::kRoot) {
    ARCANA_ASSIGN_OR_RETURN(c, SkipComma(c));
  }
  const bool in_object = context.type == Context::kObject;
  if (in_object) {
    if (c != '"') return UnexpectedChar(c, "was expecting double-quote to start field name");
    ARCANA_ASSIGN_OR_RETURN(name_, ParseName());
    token_ = PatternToken::kFieldName;
    ARCANA_ASSIGN_OR_RETURN(c, SkipColon());
  }
  UpdateTokenLocation();
  PatternToken t;
  switch (c) {
    case '"':
      incomplete_ = true;
      t = PatternToken::kString;
      break;
    case '[':
    case '{':
      t = c == '[' ? PatternToken::kStartArray : PatternToken::kStartObject;
      if (!in_object) {
        contexts_.push_back(
            {c == '[' ? Context::kArray : Context::kObject, -1, token_line_, token_column_});
      }
      break;
    case '}':
      return UnexpectedChar(c, "expected a value");
    case 't':
    case 'f':
    case 'n': {
      std::string_view word = c == 't' ? "true" : c == 'f' ? "false" : "null";
      ARCANA_RETURN_IF_ERROR(MatchKeyword(word, 1));
      t = c == 't' ? PatternToken::kTrue : c == 'f' ? PatternToken::kFalse : PatternToken::kNull;
      break;
    }
    default:
      if (c == '-' || IsDigit(c)) {
        ARCANA_ASSIGN_OR_RETURN(t, ParseNumber(c));
      } else {
        ARCANA_ASSIGN_OR_RETURN(t, OddValue(c));
      }
  }
  if (in_object) {
    next_ = t;
    return token_;
  }
  return token_ = t;
}

Result<std::string> PatternReader::Text() {
  switch (token_) {
    case PatternToken::kString:
      if (incomplete_) ARCANA_RETURN_IF_ERROR(FinishString(true));
      return value_;
    case PatternToken::kNumberInt:
    case PatternToken::kNumberFloat: return value_;
    case PatternToken::kFieldName: return name_;
    case PatternToken::kTrue: return std::string("true");
    case PatternToken::kFalse: return std::string("false");
    case PatternToken::kNull: return std::string("null");
    case PatternToken::kStartObject: return std::string("{");
    case PatternToken::kEndObject: return std::string("}");
    case PatternToken::kStartArray: return std::string("[");
    case PatternToken::kEndArray: return std::string("]");
    case PatternToken::kEnd: break;
  }
  return std::string("null");  // Java's "" + null
}

double PatternReader::Number() const { return std::strtod(value_.c_str(), nullptr); }

}  // namespace arcana::domain::events
