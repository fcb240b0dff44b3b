#include "migrate/k8s_secret.h"

#include <re2/re2.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "crypto/base64.h"
#include "migrate/utf8.h"

namespace arcana::migrate {
namespace k8s {
namespace {

constexpr size_t kNone = std::string_view::npos;

// One line of a document.
struct Line {
  size_t begin = 0;       // offset in the file
  size_t end = 0;         // offset past its line break (or the file's end)
  std::string_view text;  // without the line break (nor its '\r')
  size_t indent = 0;      // leading spaces
  bool blank = false;     // spaces only
  bool comment = false;   // '#' after the indentation
  bool crlf = false;
};

// The reason a document is left alone; printed, so it names fields and lines, never values.
struct Refusal {
  std::string why;
};

std::string At(size_t line_no, const std::string& what) {
  return "line " + std::to_string(line_no) + ": " + what;
}

bool IsBlankChar(char c) { return c == ' ' || c == '\t'; }

size_t SkipBlanks(std::string_view s, size_t i) {
  while (i < s.size() && IsBlankChar(s[i])) ++i;
  return i;
}

// Whether what follows position i of s is nothing, blanks, or blanks and a comment.
bool OnlyCommentAfter(std::string_view s, size_t i) {
  size_t j = SkipBlanks(s, i);
  return j == s.size() || (s[j] == '#' && j > i);
}

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size() || (n == 2 && c < 0xc2)) return false;
    uint32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (size_t k = 1; k < n; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d >> 6) != 2) return false;
      cp = cp << 6 | (d & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
      return false;
    }
    i += n;
  }
  return true;
}

// The value of a double-quoted scalar's body (one line): YAML 1.2's escapes, \x, \u and \U
// as UTF-8. nullopt for an escape YAML does not define.
std::optional<std::string> DecodeDoubleQuoted(std::string_view body) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\') {
      out += body[i];
      continue;
    }
    if (++i == body.size()) return std::nullopt;
    char c = body[i];
    size_t hex = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
    if (hex != 0) {
      if (i + hex >= body.size()) return std::nullopt;
      uint32_t cp = 0;
      for (size_t k = 1; k <= hex; ++k) {
        char h = body[i + k];
        int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
                : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
        if (d < 0) return std::nullopt;
        cp = cp << 4 | static_cast<uint32_t>(d);
      }
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
      AppendUtf8(cp, &out);  // \xXX too is a code point (U+00XX), not a byte
      i += hex;
      continue;
    }
    switch (c) {
      case '0': out += '\0'; break;
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 't': case '\t': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'v': out += '\v'; break;
      case 'f': out += '\f'; break;
      case 'r': out += '\r'; break;
      case 'e': out += '\x1b'; break;
      case ' ': out += ' '; break;
      case '"': out += '"'; break;
      case '/': out += '/'; break;
      case '\\': out += '\\'; break;
      case 'N': AppendUtf8(0x85, &out); break;
      case '_': AppendUtf8(0xa0, &out); break;
      case 'L': AppendUtf8(0x2028, &out); break;
      case 'P': AppendUtf8(0x2029, &out); break;
      default: return std::nullopt;
    }
  }
  return out;
}

// A double-quoted YAML scalar holding s exactly (s is UTF-8).
std::string DoubleQuoted(std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\t': out += "\\t"; continue;
      case '\r': out += "\\r"; continue;
      default: break;
    }
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else if (s.substr(i, 2) == "\xc2\x85") {  // U+0085, U+2028, U+2029: line breaks to
      out += "\\N";                               // some YAML readers
      ++i;
    } else if (s.substr(i, 3) == "\xe2\x80\xa8" || s.substr(i, 3) == "\xe2\x80\xa9") {
      out += s[i + 2] == '\xa8' ? "\\L" : "\\P";
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// A Go template string literal holding s (for a kept value that would otherwise be read as a
// template by the External Secrets Operator: it holds "{{").
std::string GoQuoted(std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// A plain scalar when s is one of the characters that never need quotes, else double-quoted.
std::string Scalar(std::string_view s) {
  static const RE2 kSafe(R"([A-Za-z0-9][A-Za-z0-9._/-]*)");
  static const RE2 kNumberLike(R"([0-9.eE+-]+|0[xXoO][0-9a-fA-F]+)");
  static const RE2 kWord(R"((?i)true|false|null|yes|no|on|off|y|n)");
  if (RE2::FullMatch(s, kSafe) && !RE2::FullMatch(s, kWord) && !RE2::FullMatch(s, kNumberLike)) {
    return std::string(s);
  }
  return DoubleQuoted(s);
}

// The value written after "key:" on the key's own line.
struct Inline {
  enum Style { kEmpty, kEmptyMap, kPlain, kSingle, kDouble, kBlock } style = kEmpty;
  std::string value;      // kPlain, kSingle, kDouble
  char block = 0;         // kBlock: '|' or '>'
  char chomp = 0;         // kBlock: '-', '+' or 0 (clip)
  size_t indicator = 0;   // kBlock: the indentation indicator, 0 for none
};

// The closing quote of the scalar opening at q, or kNone.
size_t ClosingQuote(std::string_view s, size_t q) {
  for (size_t i = q + 1; i < s.size(); ++i) {
    if (s[q] == '"' && s[i] == '\\') {
      ++i;
    } else if (s[i] == s[q]) {
      if (s[q] == '\'' && i + 1 < s.size() && s[i + 1] == '\'') {
        ++i;
      } else {
        return i;
      }
    }
  }
  return kNone;
}

std::optional<std::string> DecodeQuoted(std::string_view s, size_t q, size_t close) {
  std::string_view body = s.substr(q + 1, close - q - 1);
  if (s[q] == '"') return DecodeDoubleQuoted(body);
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    out += body[i];
    if (body[i] == '\'') ++i;  // '' is one quote
  }
  return out;
}

// Reads `rest` (what follows "key:" on its line, or a whole continuation line).
std::optional<Inline> ReadInline(std::string_view rest, std::string* why) {
  Inline out;
  size_t p = SkipBlanks(rest, 0);
  if (p == rest.size() || rest[p] == '#') return out;
  char c = rest[p];
  if (c == '"' || c == '\'') {
    size_t q = ClosingQuote(rest, p);
    if (q == kNone) {
      *why = "a quoted value continued on the next line";
      return std::nullopt;
    }
    if (!OnlyCommentAfter(rest, q + 1)) {
      *why = "text after a quoted value";
      return std::nullopt;
    }
    auto v = DecodeQuoted(rest, p, q);
    if (!v) {
      *why = "an escape YAML does not define";
      return std::nullopt;
    }
    out.style = c == '"' ? Inline::kDouble : Inline::kSingle;
    out.value = std::move(*v);
    return out;
  }
  if (c == '|' || c == '>') {
    out.style = Inline::kBlock;
    out.block = c;
    size_t i = p + 1;
    for (int k = 0; k < 2 && i < rest.size(); ++k, ++i) {
      if ((rest[i] == '-' || rest[i] == '+') && out.chomp == 0) {
        out.chomp = rest[i];
      } else if (rest[i] >= '1' && rest[i] <= '9' && out.indicator == 0) {
        out.indicator = static_cast<size_t>(rest[i] - '0');
      } else {
        break;
      }
    }
    if (!OnlyCommentAfter(rest, i)) {
      *why = "a block scalar header not read";
      return std::nullopt;
    }
    return out;
  }
  if (rest.substr(p, 2) == "{}" && OnlyCommentAfter(rest, p + 2)) {
    out.style = Inline::kEmptyMap;
    return out;
  }
  if (std::string_view("[{&*!%@`").find(c) != kNone ||
      ((c == '-' || c == '?' || c == ':') && (p + 1 == rest.size() || IsBlankChar(rest[p + 1])))) {
    *why = "flow collections, sequences, anchors, aliases and tags are not read";
    return std::nullopt;
  }
  size_t end = rest.size();
  for (size_t i = p + 1; i < rest.size(); ++i) {
    if (rest[i] == '#' && IsBlankChar(rest[i - 1])) {
      end = i;
      break;
    }
  }
  while (end > p && IsBlankChar(rest[end - 1])) --end;
  std::string_view v = rest.substr(p, end - p);
  if (v.find(": ") != kNone || v.find(":\t") != kNone || v.back() == ':') {
    *why = "a plain value holding \": \"";
    return std::nullopt;
  }
  out.style = Inline::kPlain;
  out.value = std::string(v);
  return out;
}

// One entry of a block mapping: its key, what follows it on its line, and the lines below it
// that belong to it (more indented, or blank).
struct Entry {
  std::string key;
  size_t line = 0;  // index of the key's line
  Inline inl;
  size_t child_begin = 0, child_end = 0;  // line indices
};

class Document {
 public:
  Document(std::vector<Line> lines, size_t first_line_no)
      : lines_(std::move(lines)), first_line_no_(first_line_no) {}

  const std::vector<Line>& lines() const { return lines_; }
  size_t LineNo(size_t i) const { return first_line_no_ + i; }

  // The entries of the block mapping on lines [from, to); its indentation is the first
  // entry's, and must be more than `parent` (-1 for the top level).
  std::optional<std::vector<Entry>> Mapping(size_t from, size_t to, long parent,
                                            std::string* why) const {
    std::vector<Entry> out;
    std::set<std::string> seen;
    size_t ci = kNone;
    for (size_t i = from; i < to;) {
      const Line& l = lines_[i];
      if (l.blank || (l.comment && (ci == kNone || l.indent <= ci))) {
        ++i;
        continue;
      }
      if (ci == kNone) {
        ci = l.indent;
        if (static_cast<long>(ci) <= parent || (parent < 0 && ci != 0)) {
          *why = At(LineNo(i), "unexpected indentation");
          return std::nullopt;
        }
      }
      if (l.indent != ci) {
        *why = At(LineNo(i), "unexpected indentation");
        return std::nullopt;
      }
      Entry e;
      e.line = i;
      std::string_view t = l.text.substr(ci);
      size_t colon = kNone;
      if (!t.empty() && (t[0] == '"' || t[0] == '\'')) {
        size_t q = ClosingQuote(t, 0);
        size_t c = q == kNone ? kNone : SkipBlanks(t, q + 1);
        if (c == kNone || c >= t.size() || t[c] != ':') {
          *why = At(LineNo(i), "not a `key: value` line");
          return std::nullopt;
        }
        auto k = DecodeQuoted(t, 0, q);
        if (!k) {
          *why = At(LineNo(i), "an escape YAML does not define");
          return std::nullopt;
        }
        e.key = std::move(*k);
        colon = c;
      } else {
        for (size_t j = 0; j < t.size(); ++j) {
          if (t[j] == '#' && j > 0 && IsBlankChar(t[j - 1])) break;
          if (t[j] == ':' && (j + 1 == t.size() || IsBlankChar(t[j + 1]))) {
            colon = j;
            break;
          }
        }
        if (colon == kNone || colon == 0 || t[0] == '-' || t[0] == '?' || t[0] == '[' ||
            t[0] == '{' || t[0] == '&' || t[0] == '*' || t[0] == '!') {
          *why = At(LineNo(i), "not a `key: value` line");
          return std::nullopt;
        }
        e.key = std::string(t.substr(0, colon));
        while (!e.key.empty() && IsBlankChar(e.key.back())) e.key.pop_back();
      }
      if (!seen.insert(e.key).second) {
        *why = At(LineNo(i), "a key given twice");
        return std::nullopt;
      }
      std::string inline_why;
      auto inl = ReadInline(t.substr(colon + 1), &inline_why);
      if (!inl) {
        *why = At(LineNo(i), inline_why);
        return std::nullopt;
      }
      e.inl = std::move(*inl);
      size_t j = i + 1;
      while (j < to && (lines_[j].blank || lines_[j].indent > ci)) ++j;
      e.child_begin = i + 1;
      e.child_end = j;
      out.push_back(std::move(e));
      i = j;
    }
    return out;
  }

  // The string value of an entry whose value is a scalar.
  std::optional<std::string> ScalarValue(const Entry& e, std::string* why) const {
    switch (e.inl.style) {
      case Inline::kPlain:
      case Inline::kSingle:
      case Inline::kDouble:
        for (size_t j = e.child_begin; j < e.child_end; ++j) {
          if (!lines_[j].blank && !lines_[j].comment) {
            *why = At(LineNo(j), "a value continued on the next line");
            return std::nullopt;
          }
        }
        return e.inl.value;
      case Inline::kBlock:
        return BlockScalar(e, why);
      case Inline::kEmpty:
        return ContinuedValue(e, why);
      case Inline::kEmptyMap:
        break;
    }
    *why = At(LineNo(e.line), "a mapping where a string was expected");
    return std::nullopt;
  }

  // Whether an entry's value is an empty or absent mapping, else its lines are a mapping.
  bool IsEmptyMapping(const Entry& e) const {
    if (e.inl.style == Inline::kEmptyMap) return true;
    for (size_t j = e.child_begin; j < e.child_end; ++j) {
      if (!lines_[j].blank && !lines_[j].comment) return false;
    }
    return e.inl.style == Inline::kEmpty;
  }

  // The last line (index) an entry spans, trailing blank lines left out.
  size_t LastLine(const Entry& e) const {
    size_t last = e.line;
    for (size_t j = e.child_begin; j < e.child_end; ++j) {
      if (!lines_[j].blank) last = j;
    }
    return last;
  }

 private:
  // `key: |` or `key: >`, with chomping and indentation indicators, as YAML 1.2 reads them.
  std::optional<std::string> BlockScalar(const Entry& e, std::string* why) const {
    const size_t parent = lines_[e.line].indent;
    size_t content_indent = e.inl.indicator != 0 ? parent + e.inl.indicator : kNone;
    std::vector<std::string_view> body;  // each content line, indentation removed ("" blank)
    std::vector<bool> empty;
    size_t max_leading_blank = 0;
    for (size_t j = e.child_begin; j < e.child_end; ++j) {
      const Line& l = lines_[j];
      if (l.text.find('\t') != kNone && l.text.find_first_not_of(" \t") == kNone) {
        *why = At(LineNo(j), "a tab in a blank line of a block scalar");
        return std::nullopt;
      }
      if (l.blank) {
        if (content_indent == kNone) max_leading_blank = std::max(max_leading_blank, l.text.size());
        if (content_indent != kNone && l.text.size() > content_indent) {
          if (e.inl.block == '>') {
            *why = At(LineNo(j), "a more-indented line in a folded block scalar");
            return std::nullopt;
          }
          body.push_back(l.text.substr(content_indent));  // spaces past the indentation: text
          empty.push_back(false);
        } else {
          body.push_back({});
          empty.push_back(true);
        }
        continue;
      }
      if (content_indent == kNone) {
        content_indent = l.indent;
        if (max_leading_blank > content_indent) {
          *why = At(LineNo(j), "a leading blank line more indented than the block scalar");
          return std::nullopt;
        }
      }
      if (l.indent < content_indent) {
        *why = At(LineNo(j), "a block scalar line less indented than the first");
        return std::nullopt;
      }
      std::string_view t = l.text.substr(content_indent);
      if (e.inl.block == '>' && IsBlankChar(t.front())) {
        *why = At(LineNo(j), "a more-indented line in a folded block scalar");
        return std::nullopt;
      }
      body.push_back(t);
      empty.push_back(false);
    }
    size_t last = kNone;  // the last non-empty line
    for (size_t k = 0; k < body.size(); ++k) {
      if (!empty[k]) last = k;
    }
    std::string out;
    if (last != kNone) {
      if (e.inl.block == '|') {
        for (size_t k = 0; k <= last; ++k) {
          out.append(body[k]);
          if (k < last) out += '\n';
        }
      } else {
        // Folding: a line break between two text lines is a space; n empty lines between
        // them are n line breaks. Leading empty lines are line breaks.
        bool started = false;
        size_t breaks = 0;
        for (size_t k = 0; k <= last; ++k) {
          if (empty[k]) {
            if (started) {
              ++breaks;
            } else {
              out += '\n';
            }
            continue;
          }
          if (started) out += breaks == 0 ? std::string(" ") : std::string(breaks, '\n');
          out.append(body[k]);
          started = true;
          breaks = 0;
        }
      }
    }
    size_t trailing = last == kNone ? body.size() : body.size() - last - 1;  // empty lines
    if (e.inl.chomp == '+') {
      out += std::string((last == kNone ? 0 : 1) + trailing, '\n');
    } else if (e.inl.chomp == 0 && last != kNone) {
      out += '\n';
    }
    return out;
  }

  // `key:` with the value on the lines below: one quoted scalar, or a plain scalar over
  // several lines (folded with spaces).
  std::optional<std::string> ContinuedValue(const Entry& e, std::string* why) const {
    std::vector<size_t> text_lines;
    for (size_t j = e.child_begin; j < e.child_end; ++j) {
      if (lines_[j].blank) {
        if (!text_lines.empty() && j + 1 < e.child_end && !lines_[j + 1].blank) {
          *why = At(LineNo(j), "a blank line inside a value");
          return std::nullopt;
        }
        continue;
      }
      if (lines_[j].comment && text_lines.empty()) continue;
      text_lines.push_back(j);
    }
    if (text_lines.empty()) return std::string();  // null: an empty string to Kubernetes
    std::string out;
    for (size_t k = 0; k < text_lines.size(); ++k) {
      std::string inline_why;
      auto inl = ReadInline(lines_[text_lines[k]].text, &inline_why);
      if (!inl) {
        *why = At(LineNo(text_lines[k]), inline_why);
        return std::nullopt;
      }
      bool quoted = inl->style == Inline::kSingle || inl->style == Inline::kDouble;
      std::string_view t = lines_[text_lines[k]].text;
      t = t.substr(SkipBlanks(t, 0));
      while (!t.empty() && IsBlankChar(t.back())) t.remove_suffix(1);
      bool commented = inl->style == Inline::kPlain && inl->value != t;  // a comment ends it
      if ((quoted && text_lines.size() != 1) || (inl->style != Inline::kPlain && !quoted) ||
          (commented && k + 1 < text_lines.size())) {
        *why = At(LineNo(text_lines[k]), "a value over several lines not read");
        return std::nullopt;
      }
      if (k != 0) out += ' ';
      out += inl->value;
    }
    return out;
  }

  std::vector<Line> lines_;
  size_t first_line_no_;
};

// Splits [ds, de) of content into lines; nullopt (with why) for tabs in indentation, a lone
// carriage return or mixed line ends.
std::optional<std::vector<Line>> SplitLines(std::string_view content, size_t ds, size_t de,
                                            size_t first_line_no, std::string* why) {
  std::vector<Line> out;
  size_t crlf = 0, lf = 0;
  for (size_t pos = ds; pos < de;) {
    size_t nl = content.find('\n', pos);
    size_t end = nl == kNone || nl >= de ? de : nl + 1;
    Line l;
    l.begin = pos;
    l.end = end;
    std::string_view t = content.substr(pos, (nl == kNone || nl >= de ? de : nl) - pos);
    if (!t.empty() && t.back() == '\r') {
      t.remove_suffix(1);
      l.crlf = true;
    }
    if (nl != kNone && nl < de) ++(l.crlf ? crlf : lf);
    size_t line_no = first_line_no + out.size();
    if (t.find('\r') != kNone) {
      *why = At(line_no, "a carriage return inside a line");
      return std::nullopt;
    }
    l.text = t;
    l.indent = t.find_first_not_of(' ');
    if (l.indent == kNone) l.indent = t.size();
    l.blank = t.find_first_not_of(" \t") == kNone;
    if (!l.blank && t[l.indent] == '\t') {
      *why = At(line_no, "a tab in indentation");
      return std::nullopt;
    }
    l.comment = !l.blank && t[l.indent] == '#';
    out.push_back(l);
    pos = end;
  }
  if (crlf != 0 && lf != 0) {
    *why = At(first_line_no, "mixed line ends (CRLF and LF)");
    return std::nullopt;
  }
  return out;
}

struct DataEntry {
  bool string_data = false;
  std::string key;
  std::string value;  // as Kubernetes reads it: still base64 for data
  size_t begin = 0, end = 0;  // offsets in the file
};

struct SecretDoc {
  std::string name, ns, type;
  std::vector<std::pair<std::string, std::string>> labels, annotations;
  std::vector<DataEntry> entries;
  size_t body_begin = 0;  // offset of the first line that is not a comment: kept above it
  bool crlf = false;
};

enum class Kind { kNotSecret, kSecret, kRefused };

// Reads one document. kNotSecret when its kind is not Secret; kRefused (why set) when it is
// (or may be) a Secret this reader cannot read exactly.
Kind ReadSecret(std::string_view content, size_t ds, size_t de, size_t first_line_no,
                SecretDoc* doc, std::string* why) {
  auto lines = SplitLines(content, ds, de, first_line_no, why);
  if (!lines) return Kind::kRefused;
  Document d(std::move(*lines), first_line_no);
  const auto& L = d.lines();
  doc->body_begin = de;
  for (const Line& l : L) {
    doc->crlf = doc->crlf || l.crlf;
    if (!l.blank && !l.comment) {
      doc->body_begin = std::min(doc->body_begin, l.begin);
    }
  }
  auto top = d.Mapping(0, L.size(), -1, why);
  if (!top) return Kind::kRefused;
  std::string kind, api;
  for (const auto& e : *top) {
    if (e.key != "kind" && e.key != "apiVersion") continue;
    auto v = d.ScalarValue(e, why);
    if (!v) return Kind::kRefused;
    (e.key == "kind" ? kind : api) = *v;
  }
  if (kind != "Secret") return Kind::kNotSecret;
  if (api != "v1") {
    *why = "apiVersion is not v1";
    return Kind::kRefused;
  }
  static const RE2 kDataKey(R"([-._a-zA-Z0-9]+)");
  static const RE2 kLabelKey(R"([-._/a-zA-Z0-9]+)");
  std::set<std::string> data_keys;
  for (const auto& e : *top) {
    if (e.key == "kind" || e.key == "apiVersion") continue;
    if (e.key == "type") {
      auto v = d.ScalarValue(e, why);
      if (!v) return Kind::kRefused;
      doc->type = *v;
    } else if (e.key == "metadata") {
      auto meta = d.Mapping(e.child_begin, e.child_end, static_cast<long>(L[e.line].indent), why);
      if (!meta) return Kind::kRefused;
      for (const auto& m : *meta) {
        if (m.key == "name" || m.key == "namespace") {
          auto v = d.ScalarValue(m, why);
          if (!v) return Kind::kRefused;
          (m.key == "name" ? doc->name : doc->ns) = *v;
        } else if (m.key == "labels" || m.key == "annotations") {
          if (d.IsEmptyMapping(m)) continue;
          if (m.inl.style != Inline::kEmpty) {
            *why = At(d.LineNo(m.line), "metadata." + m.key + " not read");
            return Kind::kRefused;
          }
          auto kv = d.Mapping(m.child_begin, m.child_end, static_cast<long>(L[m.line].indent), why);
          if (!kv) return Kind::kRefused;
          for (const auto& x : *kv) {
            auto v = d.ScalarValue(x, why);
            if (!v) return Kind::kRefused;
            if (!RE2::FullMatch(x.key, kLabelKey) || !ValidUtf8(*v)) {
              *why = At(d.LineNo(x.line), "metadata." + m.key + " not read");
              return Kind::kRefused;
            }
            (m.key == "labels" ? doc->labels : doc->annotations).emplace_back(x.key, *v);
          }
        } else if (m.key == "creationTimestamp" || m.key == "resourceVersion" || m.key == "uid" ||
                   m.key == "selfLink") {
          // Set by the API server (kubectl ... -o yaml writes them): not part of what is applied.
          auto v = d.ScalarValue(m, why);
          if (!v) return Kind::kRefused;
        } else {
          *why = At(d.LineNo(m.line), "metadata." + m.key + " has no place in an ExternalSecret");
          return Kind::kRefused;
        }
      }
    } else if (e.key == "data" || e.key == "stringData") {
      if (d.IsEmptyMapping(e)) continue;
      if (e.inl.style != Inline::kEmpty) {
        *why = At(d.LineNo(e.line), e.key + " is not a block mapping");
        return Kind::kRefused;
      }
      auto entries = d.Mapping(e.child_begin, e.child_end, static_cast<long>(L[e.line].indent), why);
      if (!entries) return Kind::kRefused;
      for (const auto& x : *entries) {
        auto v = d.ScalarValue(x, why);
        if (!v) return Kind::kRefused;
        if (!RE2::FullMatch(x.key, kDataKey) || !data_keys.insert(x.key).second) {
          *why = At(d.LineNo(x.line), "a key Kubernetes refuses, or in both data and stringData");
          return Kind::kRefused;
        }
        if (!ValidUtf8(*v)) {
          *why = At(d.LineNo(x.line), "a value that is not UTF-8");
          return Kind::kRefused;
        }
        DataEntry de_;
        de_.string_data = e.key == "stringData";
        de_.key = x.key;
        de_.value = std::move(*v);
        de_.begin = L[x.line].begin;
        de_.end = L[d.LastLine(x)].end;
        doc->entries.push_back(std::move(de_));
      }
    } else {
      *why = At(d.LineNo(e.line), "the field `" + e.key + "` has no place in an ExternalSecret");
      return Kind::kRefused;
    }
  }
  if (doc->name.empty()) {
    *why = "metadata.name missing";
    return Kind::kRefused;
  }
  return Kind::kSecret;
}

// Base64 as Kubernetes reads it: line breaks ignored.
std::optional<std::string> DecodeData(std::string_view v) {
  std::string compact;
  for (char c : v) {
    if (c != '\n' && c != '\r') compact += c;
  }
  return crypto::Base64Decode(compact);
}

// The ExternalSecret for a Secret (every finding in `mine` inside one of its entries).
std::optional<std::string> Render(const SecretDoc& doc, const std::vector<Replacement>& mine,
                                  FilePlan* plan, std::string* why) {
  std::map<std::string, const Replacement*> migrated;  // entry key -> its (first) finding
  for (const auto& r : mine) {
    auto it = std::find_if(doc.entries.begin(), doc.entries.end(), [&](const DataEntry& e) {
      return r.finding->offset >= e.begin && r.finding->offset < e.end;
    });
    if (it == doc.entries.end()) {
      *why = At(r.finding->line, "a secret outside data and stringData");
      return std::nullopt;
    }
    migrated.emplace(it->key, &r);
  }
  std::vector<StoreItem> items;
  std::string kept;
  for (const auto& e : doc.entries) {
    auto it = migrated.find(e.key);
    if (it != migrated.end()) {
      std::string value = e.value;
      if (!e.string_data) {
        auto decoded = DecodeData(e.value);
        if (!decoded || !ValidUtf8(*decoded)) {
          *why = "data." + e.key + " is not base64 of UTF-8 text";
          return std::nullopt;
        }
        value = std::move(*decoded);
      }
      items.push_back({it->second->name, std::move(value), it->second->finding});
      continue;
    }
    std::string v;
    if (!e.string_data) {
      if (!DecodeData(e.value)) {
        *why = "data." + e.key + " is not base64";
        return std::nullopt;
      }
      std::string compact;
      for (char c : e.value) {
        if (c != '\n' && c != '\r') compact += c;
      }
      v = "{{ \"" + compact + "\" | b64dec }}";
    } else {
      // The template engine reads "{{": such a value goes in as a template string literal.
      v = e.value.find("{{") == std::string::npos ? e.value : "{{ " + GoQuoted(e.value) + " }}";
    }
    kept += "        " + Scalar(e.key) + ": " + DoubleQuoted(v) + "\n";
  }
  auto map_lines = [](const std::vector<std::pair<std::string, std::string>>& kv,
                      const std::string& indent) {
    std::string out;
    for (const auto& [k, v] : kv) out += indent + Scalar(k) + ": " + DoubleQuoted(v) + "\n";
    return out;
  };
  std::string out = "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n";
  out += "  name: " + Scalar(doc.name) + "\n";
  if (!doc.ns.empty()) out += "  namespace: " + Scalar(doc.ns) + "\n";
  if (!doc.labels.empty()) out += "  labels:\n" + map_lines(doc.labels, "    ");
  out += "spec:\n  refreshInterval: 1h\n  secretStoreRef:\n    kind: ClusterSecretStore\n"
         "    name: arcana\n  target:\n    name: " + Scalar(doc.name) + "\n    creationPolicy: Owner\n";
  bool typed = !doc.type.empty() && doc.type != "Opaque";
  if (!kept.empty() || typed || !doc.labels.empty() || !doc.annotations.empty()) {
    out += "    template:\n      engineVersion: v2\n      mergePolicy: Merge\n";
    if (!doc.type.empty()) out += "      type: " + Scalar(doc.type) + "\n";
    if (!doc.labels.empty() || !doc.annotations.empty()) {
      out += "      metadata:\n";
      if (!doc.labels.empty()) out += "        labels:\n" + map_lines(doc.labels, "          ");
      if (!doc.annotations.empty()) {
        out += "        annotations:\n" + map_lines(doc.annotations, "          ");
      }
    }
    if (!kept.empty()) out += "      data:\n" + kept;
  }
  out += "  data:\n";
  for (const auto& e : doc.entries) {
    auto it = migrated.find(e.key);
    if (it == migrated.end()) continue;
    out += "    - secretKey: " + Scalar(e.key) + "\n      remoteRef:\n        key: " +
           Scalar(it->second->name) + "\n";
  }
  for (auto& item : items) plan->items.push_back(std::move(item));
  if (doc.crlf) {
    std::string crlf;
    for (char c : out) {
      if (c == '\n') crlf += '\r';
      crlf += c;
    }
    out = std::move(crlf);
  }
  return out;
}

}  // namespace
}  // namespace k8s

void PlanKubernetes(std::string_view content, const std::vector<Replacement>& reps,
                    FilePlan* plan) {
  using namespace k8s;
  // Documents, split at "---" lines: (begin, end, line number of the first line).
  struct Doc {
    size_t begin, end, line_no;
  };
  std::vector<Doc> docs;
  size_t start = 0, start_no = 1, line_no = 1;
  for (size_t pos = 0; pos <= content.size();) {
    size_t nl = content.find('\n', pos);
    size_t le = nl == kNone ? content.size() : nl;
    std::string_view line = content.substr(pos, le - pos);
    if (line.substr(0, 3) == "---" && line.find_first_not_of("- \r") == kNone) {
      docs.push_back({start, pos, start_no});
      start = le + 1;
      start_no = line_no + 1;
    }
    if (nl == kNone) break;
    pos = nl + 1;
    ++line_no;
  }
  docs.push_back({std::min(start, content.size()), content.size(), start_no});

  std::string out;
  size_t copied = 0;
  for (const auto& doc : docs) {
    std::vector<Replacement> mine;
    for (const auto& r : reps) {
      if (r.finding->offset >= doc.begin && r.finding->offset < doc.end) mine.push_back(r);
    }
    if (mine.empty()) continue;
    std::sort(mine.begin(), mine.end(), [](const Replacement& a, const Replacement& b) {
      return a.finding->offset < b.finding->offset;
    });
    SecretDoc secret;
    std::string why;
    Kind kind = ReadSecret(content, doc.begin, doc.end, doc.line_no, &secret, &why);
    std::optional<std::string> rendered;
    if (kind == Kind::kSecret) rendered = Render(secret, mine, plan, &why);
    if (rendered) {
      out.append(content.substr(copied, secret.body_begin - copied));
      out += *rendered;
      copied = doc.end;
      continue;
    }
    for (const auto& r : mine) {
      plan->notes.push_back(
          "line " + std::to_string(r.finding->line) + ": " +
          (kind == Kind::kNotSecret ? std::string("not in a Secret's data")
                                    : "Secret not edited (" + why + ")") +
          "; not stored: migrate it by hand");
    }
  }
  out.append(content.substr(copied));
  plan->new_content = std::move(out);
}

}  // namespace arcana::migrate
