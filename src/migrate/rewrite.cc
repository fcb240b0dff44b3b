#include "migrate/rewrite.h"

#include <re2/re2.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "crypto/hash.h"
#include "migrate/k8s_secret.h"
#include "migrate/utf8.h"

namespace arcana::migrate {

namespace {

constexpr size_t kMaxNameLength = 512;  // Secrets Manager's limit on a name

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view Basename(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

size_t LineStart(std::string_view d, size_t pos) {
  auto nl = d.rfind('\n', pos == 0 ? 0 : pos - 1);
  return pos == 0 || nl == std::string_view::npos ? 0 : nl + 1;
}

size_t LineEnd(std::string_view d, size_t pos) {
  auto nl = d.find('\n', pos);
  return nl == std::string_view::npos ? d.size() : nl;
}

std::string Reference(const std::string& name) {
  return "{{resolve:secretsmanager:" + name + "}}";
}

std::string TerraformId(const std::string& name) {
  std::string id = "arcana_";
  for (char c : name) id += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return id;
}

bool IsQuote(char c) { return c == '"' || c == '\''; }

// Replacements sorted by offset, one per secret offset.
std::vector<Replacement> Ordered(const std::vector<Replacement>& reps) {
  std::vector<Replacement> out = reps;
  std::sort(out.begin(), out.end(), [](const Replacement& a, const Replacement& b) {
    return a.finding->offset < b.finding->offset;
  });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Replacement& a, const Replacement& b) {
                          return a.finding->offset == b.finding->offset;
                        }),
            out.end());
  return out;
}

struct Edit {
  size_t begin, end;
  std::string text;
};

std::string ApplyEdits(std::string_view content, std::vector<Edit> edits) {
  std::sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.begin < b.begin; });
  std::string out;
  size_t pos = 0;
  for (const auto& e : edits) {
    if (e.begin < pos) continue;  // overlapping: keep the first
    out.append(content.substr(pos, e.begin - pos));
    out += e.text;
    pos = e.end;
  }
  out.append(content.substr(pos));
  return out;
}

std::string LineNote(const scan::Finding& f, const std::string& what) {
  return "line " + std::to_string(f.line) + ": " + what;
}

// Line numbers (0-based) of offsets visited in increasing order, in one pass.
class LineCounter {
 public:
  explicit LineCounter(std::string_view content) : content_(content) {}
  size_t At(size_t offset) {
    line_ += static_cast<size_t>(std::count(content_.begin() + static_cast<long>(pos_),
                                            content_.begin() + static_cast<long>(offset), '\n'));
    pos_ = offset;
    return line_;
  }

 private:
  std::string_view content_;
  size_t pos_ = 0, line_ = 0;
};

// ---- .env, .properties, CloudFormation JSON -------------------------------------------------
//
// A finding is rewritten only when its bytes are whole characters of one value as the format
// reads it, and what is stored is those characters decoded (JSON escapes, a dotenv
// double-quoted value's escapes, .properties escapes and line continuations). A generic
// assignment's finding must be the whole value: it stopped at `"';,<>{}()[]`, so a finding
// was the start of a quoted value (`"Xk29\"mzQ"`), and the start alone was stored (still
// escaped) and replaced, leaving the rest of the value and the file unparsable. Anything else
// is left as it is with a note, not stored: never a partial rewrite.

enum class InPlaceFormat { kJson, kDotenv, kProperties };

// One character of a value as written: [begin, end) of content and what it reads as.
struct Unit {
  size_t begin, end;
  std::string text;
};

// A value as its format reads it: [begin, end) of content, as units.
struct RawValue {
  size_t begin = 0, end = 0;
  std::vector<Unit> units;
  std::string why;  // non-empty: the value cannot be read exactly
};

// Four hex digits at content[p, p + 4).
std::optional<uint32_t> Hex4(std::string_view content, size_t p, size_t limit) {
  if (p + 4 > limit) return std::nullopt;
  uint32_t v = 0;
  for (size_t i = p; i < p + 4; ++i) {
    char c = content[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) return std::nullopt;
    v = v * 16 + static_cast<uint32_t>(d);
  }
  return v;
}

// A \uXXXX escape at p (the backslash), a surrogate pair taken as one character. Sets *end.
std::optional<std::string> UnicodeEscape(std::string_view content, size_t p, size_t limit,
                                         size_t* end) {
  auto hi = Hex4(content, p + 2, limit);
  if (!hi || (*hi >= 0xDC00 && *hi <= 0xDFFF)) return std::nullopt;
  uint32_t cp = *hi;
  *end = p + 6;
  if (*hi >= 0xD800 && *hi <= 0xDBFF) {
    if (*end + 1 >= limit || content[*end] != '\\' || content[*end + 1] != 'u') return std::nullopt;
    auto lo = Hex4(content, *end + 2, limit);
    if (!lo || *lo < 0xDC00 || *lo > 0xDFFF) return std::nullopt;
    cp = 0x10000 + ((*hi - 0xD800) << 10) + (*lo - 0xDC00);
    *end += 6;
  }
  std::string out;
  AppendUtf8(cp, &out);
  return out;
}

// The JSON string holding offset (strings never span lines): its characters, escapes decoded.
RawValue JsonValueAt(std::string_view content, size_t offset) {
  RawValue v;
  const size_t ls = LineStart(content, offset), le = LineEnd(content, offset);
  for (size_t i = ls; i < le; ++i) {
    if (content[i] != '"') continue;
    RawValue s;
    s.begin = i + 1;
    size_t j = i + 1;
    for (; j < le && content[j] != '"';) {
      if (content[j] != '\\') {
        s.units.push_back({j, j + 1, std::string(1, content[j])});
        ++j;
        continue;
      }
      if (j + 1 >= le) break;
      char c = content[j + 1];
      static constexpr std::string_view kFrom = "\"\\/bfnrt", kTo = "\"\\/\b\f\n\r\t";
      if (auto k = kFrom.find(c); k != std::string_view::npos) {
        s.units.push_back({j, j + 2, std::string(1, kTo[k])});
        j += 2;
      } else if (size_t end = 0; c == 'u') {
        auto text = UnicodeEscape(content, j, le, &end);
        if (!text) {
          s.why = "an invalid \\u escape in the JSON string";
          text = "";
          end = j + 2;
        }
        s.units.push_back({j, end, *text});
        j = end;
      } else {
        s.why = "an invalid escape in the JSON string";
        s.units.push_back({j, j + 2, ""});
        j += 2;
      }
    }
    if (j >= le) {
      v.why = "not inside a JSON string on one line";
      return v;
    }
    s.end = j;
    if (offset >= s.begin && offset < s.end) return s;
    if (offset < s.begin) break;
    i = j;
  }
  v.why = "not inside a JSON string";
  return v;
}

// A .env file's values (python-dotenv and docker compose): `[export ]KEY=value`, the value
// unquoted (to the end of the line, less a ` #comment` and trailing blanks), single-quoted
// (literal) or double-quoted (the escapes \n \r \t \\ \" \$; other backslashes are kept), a
// quoted value possibly running over several lines.
std::vector<RawValue> DotenvValues(std::string_view content) {
  std::vector<RawValue> out;
  auto blank = [&](size_t i) { return content[i] == ' ' || content[i] == '\t'; };
  for (size_t pos = 0; pos < content.size();) {
    size_t le = LineEnd(content, pos);
    size_t p = pos;
    while (p < le && blank(p)) ++p;
    if (content.substr(p, 7) == "export " || content.substr(p, 7) == "export\t") {
      p += 7;
      while (p < le && blank(p)) ++p;
    }
    size_t k = p;
    while (k < le && (std::isalnum(static_cast<unsigned char>(content[k])) ||
                      std::string_view("_.-").find(content[k]) != std::string_view::npos)) {
      ++k;
    }
    size_t eq = k;
    while (eq < le && blank(eq)) ++eq;
    if (k == p || eq >= le || content[eq] != '=') {
      pos = le + 1;
      continue;
    }
    size_t vb = eq + 1;
    while (vb < le && blank(vb)) ++vb;
    RawValue v;
    if (vb < le && (content[vb] == '"' || content[vb] == '\'')) {
      const char q = content[vb];
      v.begin = vb + 1;
      size_t j = vb + 1;
      while (j < content.size() && content[j] != q) {
        if (q == '"' && content[j] == '\\' && j + 1 < content.size()) {
          char c = content[j + 1];
          static constexpr std::string_view kFrom = "nrt\\\"$", kTo = "\n\r\t\\\"$";
          auto at = kFrom.find(c);
          v.units.push_back({j, j + 2, at == std::string_view::npos ? std::string(content.substr(j, 2))
                                                                    : std::string(1, kTo[at])});
          j += 2;
        } else {
          v.units.push_back({j, j + 1, std::string(1, content[j])});
          ++j;
        }
      }
      if (j >= content.size()) v.why = "a quoted value without its closing quote";
      v.end = std::min(j, content.size());
      pos = LineEnd(content, v.end) + 1;
      out.push_back(std::move(v));
      continue;
    }
    size_t ve = le;
    for (size_t i = vb; i < le; ++i) {
      if (content[i] == '#' && i > vb && blank(i - 1)) {
        ve = i;
        break;
      }
    }
    while (ve > vb && (blank(ve - 1) || content[ve - 1] == '\r')) --ve;
    v.begin = vb;
    v.end = ve;
    for (size_t i = vb; i < ve; ++i) v.units.push_back({i, i + 1, std::string(1, content[i])});
    out.push_back(std::move(v));
    pos = le + 1;
  }
  return out;
}

// A .properties file's values (java.util.Properties.load): `key=value`, `key: value` or
// `key value`; the value runs to the end of its logical line (a line ending in an odd number of
// backslashes goes on, less the next line's leading blanks), trailing blanks included; the
// escapes \t \n \r \f \uXXXX, and a backslash before any other character stands for it.
std::vector<RawValue> PropertiesValues(std::string_view content) {
  std::vector<RawValue> out;
  auto blank = [&](size_t i) {
    return content[i] == ' ' || content[i] == '\t' || content[i] == '\f';
  };
  // The end of the physical line at pos, less a '\r'.
  auto text_end = [&](size_t le) { return le > 0 && content[le - 1] == '\r' ? le - 1 : le; };
  for (size_t pos = 0; pos < content.size();) {
    size_t le = LineEnd(content, pos), te = text_end(le);
    size_t p = pos;
    while (p < te && blank(p)) ++p;
    if (p >= te || content[p] == '#' || content[p] == '!') {
      pos = le + 1;
      continue;
    }
    // The key: to an unescaped separator or blank (a key continued on the next line: skipped).
    size_t i = p;
    while (i < te && content[i] != '=' && content[i] != ':' && !blank(i)) i += content[i] == '\\' ? 2 : 1;
    if (i > te) {
      pos = le + 1;
      continue;
    }
    while (i < te && blank(i)) ++i;
    if (i < te && (content[i] == '=' || content[i] == ':')) ++i;
    while (i < te && blank(i)) ++i;
    RawValue v;
    v.begin = i;
    size_t j = i;
    for (;;) {
      if (j >= te) {  // the end of a physical line not continued
        v.end = te;
        pos = le + 1;
        break;
      }
      if (content[j] != '\\') {
        v.units.push_back({j, j + 1, std::string(1, content[j])});
        ++j;
        continue;
      }
      if (j + 1 >= te) {  // a continuation: on past the next line's leading blanks
        if (le >= content.size()) {
          v.units.push_back({j, j + 1, ""});
          v.end = te;
          pos = le + 1;
          break;
        }
        size_t n = le + 1;
        le = LineEnd(content, n);
        te = text_end(le);
        while (n < te && blank(n)) ++n;
        v.units.push_back({j, n, ""});
        j = n;
        continue;
      }
      char c = content[j + 1];
      if (c == 'u') {
        size_t end = 0;
        auto text = UnicodeEscape(content, j, te, &end);
        if (!text) {
          v.why = "an invalid \\u escape";
          text = "";
          end = j + 2;
        }
        v.units.push_back({j, end, *text});
        j = end;
        continue;
      }
      static constexpr std::string_view kFrom = "tnrf", kTo = "\t\n\r\f";
      auto at = kFrom.find(c);
      v.units.push_back({j, j + 2, std::string(1, at == std::string_view::npos ? c : kTo[at])});
      j += 2;
    }
    out.push_back(std::move(v));
  }
  return out;
}

bool IsGeneric(const scan::Finding& f) { return f.rule_id.rfind("generic", 0) == 0; }

// The value the finding stands for, decoded, or nullopt and *why when it cannot be rewritten
// exactly: the finding is not whole characters of one value, or (a generic assignment) not the
// whole value.
std::optional<std::string> InPlaceValue(const RawValue& v, const scan::Finding& f, std::string* why) {
  const size_t b = f.offset, e = f.offset + f.secret.size();
  if (!v.why.empty()) {
    *why = v.why;
    return std::nullopt;
  }
  if (b < v.begin || e > v.end) {
    *why = "the secret runs past its value";
    return std::nullopt;
  }
  if (IsGeneric(f) && (b != v.begin || e != v.end)) {
    *why = "the finding is only part of the value";
    return std::nullopt;
  }
  std::string out;
  bool started = b == v.begin, ended = e == v.begin;
  for (const auto& u : v.units) {
    if (u.begin == b) started = true;
    if (u.begin == e) ended = true;
    if (u.begin >= b && u.end <= e) {
      out += u.text;
    } else if (u.begin < e && u.end > b) {
      *why = "the finding splits an escape in the value";
      return std::nullopt;
    }
  }
  if (e == v.end) ended = true;
  if (!started || !ended) {
    *why = "the finding splits an escape in the value";
    return std::nullopt;
  }
  return out;
}

// In place: the secret's bytes become the dynamic reference; what is stored is the value the
// application read (decoded).
void PlanInPlace(std::string_view content, const std::vector<Replacement>& reps,
                 InPlaceFormat format, FilePlan* plan) {
  std::vector<RawValue> values;
  if (format == InPlaceFormat::kDotenv) values = DotenvValues(content);
  if (format == InPlaceFormat::kProperties) values = PropertiesValues(content);
  std::vector<Edit> edits;
  for (const auto& r : Ordered(reps)) {
    const auto& f = *r.finding;
    RawValue json;
    const RawValue* v = nullptr;
    if (format == InPlaceFormat::kJson) {
      json = JsonValueAt(content, f.offset);
      v = &json;
    } else {
      // The last value starting at or before the finding.
      auto it = std::upper_bound(values.begin(), values.end(), f.offset,
                                 [](size_t off, const RawValue& x) { return off < x.begin; });
      if (it != values.begin() && f.offset < std::prev(it)->end) v = &*std::prev(it);
    }
    std::string why = "not in a value (a comment?)";
    std::optional<std::string> value = v != nullptr ? InPlaceValue(*v, f, &why) : std::nullopt;
    if (!value) {
      plan->notes.push_back(LineNote(f, "not edited (" + why + "); not stored: migrate it by hand"));
      continue;
    }
    edits.push_back({f.offset, f.offset + f.secret.size(), Reference(r.name)});
    plan->items.push_back({r.name, std::move(*value), r.finding});
  }
  plan->new_content = ApplyEdits(content, std::move(edits));
}

// ---- YAML (docker-compose, CloudFormation YAML, other configs) ------------------------------

// Per line: whether it is inside a block scalar (`key: |` and the more-indented or blank lines
// after it), where text is literal and a reference goes in as it is.
std::vector<bool> YamlBlockScalarLines(std::string_view content) {
  static const RE2 kOpens(
      R"((?:^[ \t]*|[:-][ \t]+|[ \t][!&][^ \t]*[ \t]+)[|>][1-9+-]{0,2}[ \t]*(?:#.*)?$)");
  std::vector<bool> out;
  long parent = -1;  // the column block content must be indented past; -1: not in a block
  for (size_t pos = 0;;) {
    size_t le = LineEnd(content, pos);
    std::string_view line = content.substr(pos, le - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t ind = line.find_first_not_of(' ');
    bool blank = ind == std::string_view::npos ||
                 line.find_first_not_of(" \t", ind) == std::string_view::npos;
    if (parent >= 0 && (blank || static_cast<long>(ind) > parent)) {
      out.push_back(true);
    } else {
      parent = -1;
      out.push_back(false);
      if (!blank && RE2::PartialMatch(line, kOpens)) {
        size_t col = ind, dash = ind;
        while (col < line.size() && line[col] == '-' && (col + 1 == line.size() || line[col + 1] == ' ')) {
          dash = col;
          col = std::min(line.size(), line.find_first_not_of(' ', col + 1));
        }
        parent = static_cast<long>(col < line.size() && (line[col] == '|' || line[col] == '>') ? dash : col);
      }
    }
    if (le >= content.size()) break;
    pos = le + 1;
  }
  return out;
}

// The closing quote of the quoted scalar opening at q on its line [.., le), or npos.
size_t ClosingQuote(std::string_view content, size_t q, size_t le) {
  for (size_t i = q + 1; i < le; ++i) {
    if (content[q] == '"' && content[i] == '\\') {
      ++i;
    } else if (content[i] == content[q]) {
      if (content[q] == '\'' && i + 1 < le && content[i + 1] == '\'') {
        ++i;
      } else {
        return i;
      }
    }
  }
  return std::string_view::npos;
}

std::string SingleQuoted(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

// What to do with a secret at [b, e) in a YAML file.
struct YamlSpot {
  enum Kind { kRaw, kQuoteScalar, kQuoteItem, kSkip } kind = kSkip;
  size_t begin = 0, end = 0;  // kQuoteScalar: the whole plain scalar
  std::string why;            // kSkip
  // The secret is the whole scalar (or text with no value to cut: a comment, a line of a
  // block scalar). A generic assignment's finding that is not is left (PlanYaml).
  bool whole = true;
};

// Reads the line holding the secret: `[- ]key: value`, `- value`, a flow item, inside quotes
// or a comment. Anything else (a value continued on the next line, a tag, an anchor) is
// skipped: the file is left as it is rather than made invalid.
YamlSpot LocateYaml(std::string_view content, size_t b, size_t e, bool in_block) {
  auto skip = [](std::string why) { return YamlSpot{YamlSpot::kSkip, 0, 0, std::move(why)}; };
  if (in_block) return {YamlSpot::kRaw};
  size_t ls = LineStart(content, b), le = LineEnd(content, b);
  if (le > ls && content[le - 1] == '\r') --le;
  if (e > le) return skip("the value spans lines");
  auto blank = [&](size_t i) { return i >= le || content[i] == ' ' || content[i] == '\t'; };
  auto skip_spaces = [&](size_t i) {
    while (i < le && (content[i] == ' ' || content[i] == '\t')) ++i;
    return i;
  };
  size_t p = ls;
  while (p < le && content[p] == ' ') ++p;
  size_t dash = std::string_view::npos;
  while (p < le && content[p] == '-' && blank(p + 1)) {
    dash = p;
    p = skip_spaces(p + 1);
  }
  const size_t node = p;
  size_t v = std::string_view::npos;  // where the value starts
  if (p < le && IsQuote(content[p])) {
    size_t q = ClosingQuote(content, p, le);
    size_t r = q == std::string_view::npos ? le : skip_spaces(q + 1);
    v = r < le && content[r] == ':' && blank(r + 1) ? skip_spaces(r + 1) : p;
  } else {
    for (size_t i = p; i < le; ++i) {
      if (content[i] == '#' && i > p && (content[i - 1] == ' ' || content[i - 1] == '\t')) break;
      if (content[i] == ':' && blank(i + 1)) {
        v = skip_spaces(i + 1);
        break;
      }
    }
    if (v == std::string_view::npos) v = p;
  }
  if (v == node && dash == std::string_view::npos) {
    return skip("not a `key: value` or `- value` line (a value continued from above?)");
  }
  if (b < v) return skip("inside a key");
  if (content[v] == '#') return {YamlSpot::kRaw};  // in a comment
  switch (content[v]) {
    case '\'':
    case '"': {
      size_t q = ClosingQuote(content, v, le);
      if (q == std::string_view::npos) return skip("a quoted value continued on the next line");
      if (b > q) return {YamlSpot::kRaw};  // in a comment after the value
      std::string_view secret = content.substr(b, e - b);
      if (e > q || secret.find(content[v]) != std::string_view::npos ||
          (content[v] == '"' && secret.find('\\') != std::string_view::npos)) {
        return skip("escapes in a quoted value");
      }
      YamlSpot raw{YamlSpot::kRaw};
      raw.whole = b == v + 1 && e == q;
      return raw;
    }
    case '[':
    case '{': {
      if (b > v && IsQuote(content[b - 1]) && e < le && content[e] == content[b - 1]) {
        return {YamlSpot::kRaw};  // a quoted item: the reference needs no quotes of its own
      }
      size_t before = b;
      while (before > v && (content[before - 1] == ' ' || content[before - 1] == '\t')) --before;
      size_t after = skip_spaces(e);
      char pc = before > v ? content[before - 1] : '\0', nc = after < le ? content[after] : '\0';
      bool item = (pc == '[' || pc == ',' || (pc == ':' && before < b)) &&
                  (nc == ',' || nc == ']' || nc == '}');
      if (!item) return skip("part of an item of a flow collection");
      return {YamlSpot::kQuoteItem, b, e, ""};
    }
    case '|':
    case '>':
    case '&':
    case '*':
    case '!':
    case '%':
    case '@':
    case '`':
      return skip("a tag, anchor or alias");
    default:
      break;
  }
  // A plain scalar: up to a comment, trailing blanks trimmed.
  size_t pe = v;
  for (size_t i = v; i < le; ++i) {
    if (content[i] == '#' && (content[i - 1] == ' ' || content[i - 1] == '\t')) break;
    pe = i + 1;
  }
  while (pe > v && (content[pe - 1] == ' ' || content[pe - 1] == '\t')) --pe;
  if (b >= pe) return {YamlSpot::kRaw};  // in the comment
  if (e > pe) return skip("the value spans lines");
  // Continued on the next lines (more indented than its key, or than its "- ")? Then the
  // scalar is more than this line.
  size_t threshold = v == node ? dash : node;
  for (size_t q = le; q < content.size();) {
    q = content.find('\n', q);
    if (q == std::string_view::npos) break;
    size_t ns = q + 1, ne = LineEnd(content, ns);
    size_t first = content.find_first_not_of(" \t\r", ns);
    if (first == std::string_view::npos || first >= ne) {
      q = ne;
      continue;  // blank
    }
    if (content[first] == '#') break;
    if (first - ns > threshold - ls) return skip("a value continued on the next line");
    break;
  }
  YamlSpot scalar{YamlSpot::kQuoteScalar, v, pe, ""};
  scalar.whole = b == v && e == pe;
  return scalar;
}

void PlanYaml(std::string_view content, const std::vector<Replacement>& reps, FilePlan* plan) {
  const std::vector<bool> in_block = YamlBlockScalarLines(content);
  LineCounter lines(content);
  std::vector<Edit> edits;
  const auto ordered = Ordered(reps);
  for (size_t i = 0; i < ordered.size();) {
    const auto& f = *ordered[i].finding;
    size_t line = lines.At(f.offset);
    YamlSpot spot = LocateYaml(content, f.offset, f.offset + f.secret.size(),
                               line < in_block.size() && in_block[line]);
    if (spot.kind != YamlSpot::kSkip && !spot.whole && IsGeneric(f)) {
      // An assignment's value cut short (`password: Xk29vLqpR7;mzQ`): storing the start
      // and quoting the rest with it changes the value.
      spot = {YamlSpot::kSkip, 0, 0, "the finding is only part of the value"};
    }
    if (spot.kind == YamlSpot::kSkip) {
      plan->notes.push_back(LineNote(f, "not edited (" + spot.why + "); not stored: migrate it by hand"));
      ++i;
      continue;
    }
    if (spot.kind != YamlSpot::kQuoteScalar) {
      std::string ref = Reference(ordered[i].name);
      edits.push_back({f.offset, f.offset + f.secret.size(),
                       spot.kind == YamlSpot::kQuoteItem ? SingleQuoted(ref) : ref});
      plan->items.push_back({ordered[i].name, f.secret, ordered[i].finding});
      ++i;
      continue;
    }
    // The whole plain scalar becomes one single-quoted scalar holding every reference in it
    // (quotes around the reference alone made `postgres://u:'{{...}}'@h` part of the value).
    std::string text;
    size_t pos = spot.begin;
    for (; i < ordered.size() && ordered[i].finding->offset < spot.end; ++i) {
      const auto& g = *ordered[i].finding;
      if (g.offset < pos || g.offset + g.secret.size() > spot.end) continue;  // overlapping
      text.append(content.substr(pos, g.offset - pos));
      text += Reference(ordered[i].name);
      pos = g.offset + g.secret.size();
      plan->items.push_back({ordered[i].name, g.secret, ordered[i].finding});
    }
    text.append(content.substr(pos, spot.end - pos));
    edits.push_back({spot.begin, spot.end, SingleQuoted(text)});
  }
  plan->new_content = ApplyEdits(content, std::move(edits));
}

// ---- Terraform ----------------------------------------------------------------------------

// Per line: the type of the top-level block it is in ("variable", "resource", ...; "" outside
// any), by the layout `terraform fmt` keeps: block headers and their closing "}" at column 0.
std::vector<std::string> TerraformBlockLines(std::string_view content) {
  static const RE2 kHeader(R"(^([A-Za-z_][A-Za-z0-9_-]*)(?:\s+(?:"[^"]*"|[A-Za-z_][A-Za-z0-9_-]*))*\s*\{)");
  std::vector<std::string> out;
  std::string block;
  for (size_t pos = 0;;) {
    size_t le = LineEnd(content, pos);
    std::string_view line = content.substr(pos, le - pos);
    std::string type;
    if (RE2::PartialMatch(line, kHeader, &type)) {
      block = type;
    } else if (!line.empty() && line[0] == '}') {
      out.push_back(block);
      block.clear();
      if (le >= content.size()) break;
      pos = le + 1;
      continue;
    }
    out.push_back(block);
    if (le >= content.size()) break;
    pos = le + 1;
  }
  return out;
}

void PlanTerraform(std::string_view content, std::string_view module_text,
                   const std::vector<Replacement>& reps, FilePlan* plan) {
  // The data sources already in the module (a previous run's, in this file or another .tf
  // file of its directory: one module), id -> secret_id. Another file's was not looked at, so
  // a second file of the module declared the same data source again and Terraform refused the
  // duplicate.
  static const RE2 kDataSource(
      R"re(data\s+"aws_secretsmanager_secret_version"\s+"([A-Za-z0-9_-]+)"\s*\{\s*secret_id\s*=\s*"([^"]*)")re");
  std::map<std::string, std::string> existing;
  for (std::string_view text : {content, module_text}) {
    re2::StringPiece in(text.data(), text.size());
    std::string id, secret_id;
    while (RE2::FindAndConsume(&in, kDataSource, &id, &secret_id)) existing.emplace(id, secret_id);
  }
  const std::vector<std::string> blocks_of_lines = TerraformBlockLines(content);
  LineCounter lines(content);
  std::map<std::string, std::string> ids;  // id -> name, for this file
  std::vector<Edit> edits;
  std::vector<std::string> blocks;
  for (const auto& r : Ordered(reps)) {
    const auto& f = *r.finding;
    size_t line = lines.At(f.offset);
    const std::string& block = line < blocks_of_lines.size() ? blocks_of_lines[line] : "";
    if (block == "variable" || block == "terraform") {
      // Terraform takes only a literal there: a reference makes the configuration invalid.
      plan->notes.push_back(LineNote(
          f, "not edited (a `" + block + "` block takes literals only; set it from Arcana, e.g. "
             "TF_VAR_name, instead); not stored: migrate it by hand"));
      continue;
    }
    {
      // A quoted HCL string is decoded (\" \\ \n \uNNNN, $${ and %%{): a finding holding an
      // escape is not the value Terraform reads; an assignment's finding must be the whole
      // string (it stopped at `;,()[]`: the rest of the value was left after the reference).
      size_t b = f.offset, e = f.offset + f.secret.size();
      bool whole = b > 0 && e < content.size() && content[b - 1] == '"' && content[e] == '"';
      std::string why;
      if (f.secret.find('\\') != std::string::npos || f.secret.find("${") != std::string::npos ||
          f.secret.find("%{") != std::string::npos) {
        why = "escapes or a template in the string";
      } else if (IsGeneric(f) && !whole) {
        why = "the finding is only part of the value";
      }
      if (!why.empty()) {
        plan->notes.push_back(LineNote(f, "not edited (" + why + "); not stored: migrate it by hand"));
        continue;
      }
    }
    // One id per name: names differing only in characters an identifier cannot hold
    // ("gitlab-token", "gitlab_token") get the name's hash on the end.
    std::string id = TerraformId(r.name);
    auto taken = [&](const std::string& candidate) {
      auto a = ids.find(candidate);
      auto b = existing.find(candidate);
      const std::string header = "\"aws_secretsmanager_secret_version\" \"" + candidate + "\"";
      bool header_elsewhere =
          b == existing.end() && (content.find(header) != std::string_view::npos ||
                                  module_text.find(header) != std::string_view::npos);
      return (a != ids.end() && a->second != r.name) || (b != existing.end() && b->second != r.name) ||
             header_elsewhere;
    };
    if (taken(id)) id += "_" + crypto::Sha256Hex(r.name).substr(0, 12);
    for (size_t n = 2; taken(id); ++n) id = TerraformId(r.name) + "_" + std::to_string(n);
    std::string expr = "data.aws_secretsmanager_secret_version." + id + ".secret_string";
    size_t b = f.offset, e = f.offset + f.secret.size();
    if (b > 0 && e < content.size() && content[b - 1] == '"' && content[e] == '"') {
      edits.push_back({b - 1, e + 1, expr});
    } else {
      edits.push_back({b, e, "${" + expr + "}"});
    }
    if (existing.count(id) == 0 && ids.emplace(id, r.name).second) {
      blocks.push_back("data \"aws_secretsmanager_secret_version\" \"" + id + "\" {\n  secret_id = \"" +
                       r.name + "\"\n}\n");
    }
    plan->items.push_back({r.name, f.secret, r.finding});
  }
  std::string out = ApplyEdits(content, std::move(edits));
  for (const auto& b : blocks) {
    if (!out.empty() && out.back() != '\n') out += '\n';
    out += "\n" + b;
  }
  plan->new_content = std::move(out);
}

void PlanCode(std::string_view path, std::string_view content,
              const std::vector<Replacement>& reps, const std::string& ep, FilePlan* plan) {
  plan->new_content = std::string(content);
  for (const auto& r : Ordered(reps)) {
    const auto& f = *r.finding;
    plan->items.push_back({r.name, f.secret, r.finding});
    size_t ls = LineStart(content, f.offset);
    std::string line(content.substr(ls, LineEnd(content, f.offset) - ls));
    std::string shown = scan::RedactIn(line, f.secret);
    if (shown.size() > 120) shown = shown.substr(0, 117) + "...";
    const std::string& n = r.name;
    plan->notes.push_back(
        std::string(path) + ":" + std::to_string(f.line) + ": " + shown +
        "\n    source code is not edited; read " + n + " instead:\n"
        "    boto3:   boto3.client(\"secretsmanager\", endpoint_url=\"" + ep +
        "\").get_secret_value(SecretId=\"" + n + "\")[\"SecretString\"]\n"
        "    JS v3:   (await new SecretsManagerClient({ endpoint: \"" + ep +
        "\" }).send(new GetSecretValueCommand({ SecretId: \"" + n + "\" }))).SecretString\n"
        "    aws CLI: aws --endpoint-url " + ep + " secretsmanager get-secret-value --secret-id " +
        n + " --query SecretString --output text\n"
        "    agent:   curl -H \"X-Aws-Parameters-Secrets-Token: $AWS_TOKEN\" "
        "\"http://localhost:2773/secretsmanager/get?secretId=" + n + "\"");
  }
}

}  // namespace

const char* KindName(FileKind kind) {
  switch (kind) {
    case FileKind::kCloudFormation: return "CloudFormation";
    case FileKind::kKubernetes: return "Kubernetes";
    case FileKind::kTerraform: return "Terraform";
    case FileKind::kEnv: return "env/properties";
    case FileKind::kCompose: return "docker-compose";
    case FileKind::kYaml: return "YAML";
    case FileKind::kCode: return "source";
  }
  return "source";
}

FileKind DetectKind(std::string_view path, std::string_view content) {
  std::string_view base = Basename(path);
  if (EndsWith(base, ".tf")) return FileKind::kTerraform;
  if (base == ".env" || base.substr(0, 5) == ".env." || EndsWith(base, ".env") ||
      EndsWith(base, ".properties")) {
    return FileKind::kEnv;
  }
  bool yaml = EndsWith(base, ".yaml") || EndsWith(base, ".yml");
  bool json = EndsWith(base, ".json") || EndsWith(base, ".template");
  static const RE2 kCfnType(R"(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)");
  if ((yaml || json) && (content.find("AWSTemplateFormatVersion") != std::string_view::npos ||
                         RE2::PartialMatch(content, kCfnType))) {
    return FileKind::kCloudFormation;
  }
  if (!yaml) return FileKind::kCode;
  static const RE2 kK8sSecret(R"((?m)^kind:\s*Secret\s*$)");
  if (content.find("apiVersion:") != std::string_view::npos &&
      RE2::PartialMatch(content, kK8sSecret)) {
    return FileKind::kKubernetes;
  }
  static const RE2 kServices(R"((?m)^services:\s*$)");
  if (base.find("compose") != std::string_view::npos || RE2::PartialMatch(content, kServices)) {
    return FileKind::kCompose;
  }
  return FileKind::kYaml;
}

FilePlan PlanFile(std::string_view path, std::string_view content,
                  const std::vector<Replacement>& reps, const std::string& endpoint_url,
                  std::string_view module_text) {
  FilePlan plan;
  plan.kind = DetectKind(path, content);
  std::vector<Replacement> values;
  for (const auto& r : Ordered(reps)) {
    const auto& f = *r.finding;
    if (plan.kind == FileKind::kCode || !SecretIsKey(content, f.offset, f.secret.size())) {
      values.push_back(r);
      continue;
    }
    // Stored (it is a secret), never rewritten: a reference is no key.
    plan.items.push_back({r.name, f.secret, r.finding});
    plan.notes.push_back(LineNote(f, "the secret is a key, not a value: stored as " + r.name +
                                         ", not edited (replace the key by hand)"));
  }
  switch (plan.kind) {
    case FileKind::kCloudFormation:
      if (EndsWith(path, ".json")) {
        PlanInPlace(content, values, InPlaceFormat::kJson, &plan);
      } else {
        PlanYaml(content, values, &plan);
      }
      break;
    case FileKind::kEnv:
      PlanInPlace(content, values,
                  EndsWith(path, ".properties") ? InPlaceFormat::kProperties : InPlaceFormat::kDotenv,
                  &plan);
      break;
    case FileKind::kCompose:
    case FileKind::kYaml:
      PlanYaml(content, values, &plan);
      break;
    case FileKind::kTerraform:
      PlanTerraform(content, module_text, values, &plan);
      break;
    case FileKind::kKubernetes:
      PlanKubernetes(content, values, &plan);
      break;
    case FileKind::kCode:
      PlanCode(path, content, values, endpoint_url, &plan);
      break;
  }
  return plan;
}

std::string AssignmentKey(std::string_view content, size_t offset, size_t* begin) {
  size_t ls = LineStart(content, offset);
  std::string_view line = content.substr(ls, LineEnd(content, offset) - ls);
  static const RE2 kKey(R"(^\s*(?:-\s*)?(?:export\s+)?["']?([A-Za-z0-9_.\-]+)["']?\s*(?:=|:))");
  re2::StringPiece key;
  if (!RE2::PartialMatch(line, kKey, &key)) return "";
  if (begin != nullptr) *begin = ls + static_cast<size_t>(key.data() - line.data());
  return std::string(key.data(), key.size());
}

bool SecretIsKey(std::string_view content, size_t offset, size_t size) {
  size_t kb = 0;
  std::string key = AssignmentKey(content, offset, &kb);
  if (!key.empty() && offset < kb + key.size() && offset + size > kb) return true;
  // A key the pattern above does not take (other characters): the secret begins its line
  // (after indentation, "- ", "? ", "{" or a quote) and a ':' and a blank follow it.
  for (size_t i = LineStart(content, offset); i < offset; ++i) {
    if (std::string_view(" \t-?{\"'").find(content[i]) == std::string_view::npos) return false;
  }
  size_t p = offset + size;
  if (p < content.size() && IsQuote(content[p])) ++p;
  while (p < content.size() && (content[p] == ' ' || content[p] == '\t')) ++p;
  if (p >= content.size() || content[p] != ':') return false;
  ++p;
  return p >= content.size() || std::string_view(" \t\r\n").find(content[p]) != std::string_view::npos;
}

std::string SecretName(const std::string& tmpl, const std::string& repo, const std::string& path,
                       const std::string& key, const std::string& rule) {
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    auto sub = [&](std::string_view var, const std::string& v) {
      if (tmpl.compare(i, var.size(), var) != 0) return false;
      out += v;
      i += var.size() - 1;
      return true;
    };
    if (sub("{repo}", repo) || sub("{path}", path) || sub("{key}", key) || sub("{rule}", rule)) {
      continue;
    }
    out += tmpl[i];
  }
  std::string clean;
  for (char c : out) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || std::string_view("/_+=.@-").find(c) !=
                                                                  std::string_view::npos;
    char x = ok ? c : '-';
    if (x == '/' && (clean.empty() || clean.back() == '/')) continue;
    clean += x;
  }
  while (!clean.empty() && clean.back() == '/') clean.pop_back();
  if (clean.size() > kMaxNameLength) clean.resize(kMaxNameLength);
  return clean;
}

std::string NumberedName(const std::string& name, size_t n) {
  std::string suffix = "-" + std::to_string(n);
  return name.substr(0, std::min(name.size(), kMaxNameLength - suffix.size())) + suffix;
}

}  // namespace arcana::migrate
