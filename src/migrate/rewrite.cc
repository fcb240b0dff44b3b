#include "migrate/rewrite.h"

#include <re2/re2.h>

#include <algorithm>
#include <map>
#include <set>

#include "crypto/hash.h"
#include "migrate/k8s_secret.h"

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

// A dotenv double-quoted value's escapes (\n, \r, \t, \\, \", \$), as dotenv loaders and
// docker compose read them; others stay as written.
std::string DotenvUnescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    char c = s[i + 1];
    if (std::string_view("nrt\\\"$").find(c) == std::string_view::npos) {
      out += s[i];
      continue;
    }
    out += c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
    ++i;
  }
  return out;
}

// Whether offset is inside a double-quoted value on its .env line (`KEY="..."`).
bool InDotenvDoubleQuotes(std::string_view content, size_t offset) {
  size_t ls = LineStart(content, offset);
  size_t eq = content.find('=', ls);
  if (eq == std::string_view::npos || eq >= offset) return false;
  size_t v = content.find_first_not_of(" \t", eq + 1);
  return v != std::string_view::npos && v < offset && content[v] == '"';
}

// In place: the secret's bytes become the dynamic reference.
void PlanInPlace(std::string_view content, const std::vector<Replacement>& reps, bool dotenv,
                 FilePlan* plan) {
  std::vector<Edit> edits;
  for (const auto& r : Ordered(reps)) {
    const auto& f = *r.finding;
    edits.push_back({f.offset, f.offset + f.secret.size(), Reference(r.name)});
    // What the application read was the unescaped value: that is what is stored.
    std::string value = dotenv && InDotenvDoubleQuotes(content, f.offset) ? DotenvUnescape(f.secret)
                                                                         : f.secret;
    plan->items.push_back({r.name, std::move(value), r.finding});
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
      return {YamlSpot::kRaw};
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
  return {YamlSpot::kQuoteScalar, v, pe, ""};
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

void PlanTerraform(std::string_view content, const std::vector<Replacement>& reps,
                   FilePlan* plan) {
  // The data sources already in the file (a previous run's), id -> secret_id.
  static const RE2 kDataSource(
      R"re(data\s+"aws_secretsmanager_secret_version"\s+"([A-Za-z0-9_-]+)"\s*\{\s*secret_id\s*=\s*"([^"]*)")re");
  std::map<std::string, std::string> existing;
  {
    re2::StringPiece in(content.data(), content.size());
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
    // One id per name: names differing only in characters an identifier cannot hold
    // ("gitlab-token", "gitlab_token") get the name's hash on the end.
    std::string id = TerraformId(r.name);
    auto taken = [&](const std::string& candidate) {
      auto a = ids.find(candidate);
      auto b = existing.find(candidate);
      bool header_elsewhere =
          b == existing.end() &&
          content.find("\"aws_secretsmanager_secret_version\" \"" + candidate + "\"") !=
              std::string_view::npos;
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
                  const std::vector<Replacement>& reps, const std::string& endpoint_url) {
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
        PlanInPlace(content, values, /*dotenv=*/false, &plan);
      } else {
        PlanYaml(content, values, &plan);
      }
      break;
    case FileKind::kEnv:
      PlanInPlace(content, values, /*dotenv=*/true, &plan);
      break;
    case FileKind::kCompose:
    case FileKind::kYaml:
      PlanYaml(content, values, &plan);
      break;
    case FileKind::kTerraform:
      PlanTerraform(content, values, &plan);
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
