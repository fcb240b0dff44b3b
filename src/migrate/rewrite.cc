#include "migrate/rewrite.h"

#include <re2/re2.h>

#include <algorithm>
#include <map>
#include <set>

#include "crypto/base64.h"

namespace arcana::migrate {

namespace {

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

// In place: the secret's bytes become the dynamic reference; YAML plain scalars get quotes.
void PlanInPlace(std::string_view content, const std::vector<Replacement>& reps, bool yaml,
                 FilePlan* plan) {
  std::vector<Edit> edits;
  for (const auto& r : Ordered(reps)) {
    const auto& f = *r.finding;
    std::string ref = Reference(r.name);
    size_t b = f.offset, e = f.offset + f.secret.size();
    if (yaml && (b == 0 || !IsQuote(content[b - 1]))) {
      size_t p = b;
      while (p > 0 && content[p - 1] == ' ') --p;
      if (p > 0 && (content[p - 1] == ':' || content[p - 1] == '-')) ref = "'" + ref + "'";
    }
    edits.push_back({b, e, ref});
    plan->items.push_back({r.name, f.secret, r.finding});
  }
  plan->new_content = ApplyEdits(content, std::move(edits));
}

void PlanTerraform(std::string_view content, const std::vector<Replacement>& reps,
                   FilePlan* plan) {
  std::vector<Edit> edits;
  std::vector<std::string> blocks;
  std::set<std::string> ids;
  for (const auto& r : Ordered(reps)) {
    const auto& f = *r.finding;
    std::string id = TerraformId(r.name);
    std::string expr = "data.aws_secretsmanager_secret_version." + id + ".secret_string";
    size_t b = f.offset, e = f.offset + f.secret.size();
    if (b > 0 && e < content.size() && content[b - 1] == '"' && content[e] == '"') {
      edits.push_back({b - 1, e + 1, expr});
    } else {
      edits.push_back({b, e, "${" + expr + "}"});
    }
    std::string header = "data \"aws_secretsmanager_secret_version\" \"" + id + "\"";
    if (content.find(header) == std::string_view::npos && ids.insert(id).second) {
      blocks.push_back(header + " {\n  secret_id = \"" + r.name + "\"\n}\n");
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

// ---- Kubernetes ---------------------------------------------------------------------------

struct K8sEntry {
  std::string section;  // "data" | "stringData"
  std::string key;
  std::string raw_value;  // as written (first line, or the block)
  std::string value;      // unquoted / unfolded (still base64 for data)
  size_t begin = 0, end = 0;
};

std::string Unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') {
    std::string out;
    for (size_t i = 1; i + 1 < v.size(); ++i) {
      out += v[i];
      if (v[i] == '\'' && v[i + 1] == '\'') ++i;
    }
    return out;
  }
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    std::string out;
    for (size_t i = 1; i + 1 < v.size(); ++i) {
      if (v[i] == '\\' && i + 2 < v.size()) {
        char c = v[++i];
        out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
      } else {
        out += v[i];
      }
    }
    return out;
  }
  return std::string(v);
}

std::string YamlDoubleQuoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string Indent(std::string_view line) {
  return std::string(line.substr(0, line.find_first_not_of(' ')));
}

// Plans one Secret document [ds, de) of content. Returns false when a finding in it is not in
// a data/stringData entry (then the document is left alone).
bool PlanK8sDoc(std::string_view content, size_t ds, size_t de,
                const std::vector<Replacement>& reps, FilePlan* plan, std::string* out_doc) {
  std::string name, ns, section, type;
  std::vector<K8sEntry> entries;
  size_t pos = ds;
  while (pos < de) {
    size_t le = std::min(LineEnd(content, pos), de);
    std::string_view line = content.substr(pos, le - pos);
    size_t next = le + 1;
    std::string ind = Indent(line);
    std::string_view body = line.substr(ind.size());
    auto colon = body.find(':');
    if (body.empty() || body.front() == '#' || colon == std::string_view::npos) {
      pos = next;
      continue;
    }
    std::string key(body.substr(0, colon));
    std::string value(body.substr(colon + 1));
    value.erase(0, value.find_first_not_of(' '));
    if (ind.empty()) {
      section = key;
      if (key == "type") type = value;
    } else if (ind.size() == 2 && section == "metadata") {
      if (key == "name") name = Unquote(value);
      if (key == "namespace") ns = Unquote(value);
    } else if (ind.size() == 2 && (section == "data" || section == "stringData")) {
      K8sEntry e;
      e.section = section;
      e.key = Unquote(key);
      e.begin = pos;
      e.raw_value = value;
      if (value == "|" || value == "|-" || value == ">" || value == ">-") {
        // Block scalar: the following more-indented lines.
        std::string block;
        size_t p = next;
        while (p < de) {
          size_t l2 = std::min(LineEnd(content, p), de);
          std::string_view bl = content.substr(p, l2 - p);
          if (!bl.empty() && Indent(bl).size() <= 2) break;
          block += std::string(bl.substr(std::min(bl.size(), Indent(bl).size()))) + "\n";
          p = l2 + 1;
        }
        if (value == "|-" || value == ">-") {
          while (!block.empty() && block.back() == '\n') block.pop_back();
        }
        e.value = block;
        next = p;
        le = p == 0 ? p : p - 1;
      } else {
        e.value = Unquote(value);
      }
      e.end = le;
      entries.push_back(std::move(e));
    }
    pos = next;
  }
  std::map<std::string, std::string> migrated;  // entry key -> secret name
  for (const auto& r : reps) {
    auto it = std::find_if(entries.begin(), entries.end(), [&](const K8sEntry& e) {
      return r.finding->offset >= e.begin && r.finding->offset <= e.end;
    });
    if (it == entries.end()) return false;
    migrated.emplace(it->key, r.name);
  }
  if (name.empty()) name = "app-secret";
  std::string doc = "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n";
  doc += "  name: " + name + "\n";
  if (!ns.empty()) doc += "  namespace: " + ns + "\n";
  doc += "spec:\n  refreshInterval: 1h\n  secretStoreRef:\n    kind: ClusterSecretStore\n"
         "    name: arcana\n  target:\n    name: " + name + "\n    creationPolicy: Owner\n";
  std::string kept;
  for (const auto& e : entries) {
    if (migrated.count(e.key) != 0) continue;
    std::string v = e.section == "data" ? "{{ " + YamlDoubleQuoted(e.value) + " | b64dec }}" : e.value;
    kept += "        " + e.key + ": " + YamlDoubleQuoted(v) + "\n";
  }
  if (!kept.empty() || (!type.empty() && type != "Opaque")) {
    doc += "    template:\n      engineVersion: v2\n      mergePolicy: Merge\n";
    if (!type.empty()) doc += "      type: " + type + "\n";
    if (!kept.empty()) doc += "      data:\n" + kept;
  }
  doc += "  data:\n";
  for (const auto& e : entries) {
    auto it = migrated.find(e.key);
    if (it == migrated.end()) continue;
    doc += "    - secretKey: " + e.key + "\n      remoteRef:\n        key: " + it->second + "\n";
    std::string value = e.value;
    if (e.section == "data") {
      auto decoded = crypto::Base64Decode(e.value);
      if (!decoded) return false;
      value = *decoded;
    }
    const scan::Finding* f = nullptr;
    for (const auto& r : reps) {
      if (r.name == it->second) f = r.finding;
    }
    plan->items.push_back({it->second, value, f});
  }
  *out_doc = doc;
  return true;
}

void PlanKubernetes(std::string_view content, const std::vector<Replacement>& reps,
                    FilePlan* plan) {
  // Documents split at "---" lines.
  std::vector<std::pair<size_t, size_t>> docs;
  size_t start = 0, pos = 0;
  while (pos <= content.size()) {
    size_t le = LineEnd(content, pos);
    std::string_view line = content.substr(pos, le - pos);
    if (line.substr(0, 3) == "---" && line.find_first_not_of("- \r") == std::string_view::npos) {
      docs.emplace_back(start, pos);
      start = le + 1;
    }
    if (le >= content.size()) break;
    pos = le + 1;
  }
  docs.emplace_back(start, content.size());
  std::vector<Edit> edits;
  std::vector<Replacement> left;  // findings outside a Secret's data: in place
  for (const auto& [ds, de] : docs) {
    std::vector<Replacement> mine;
    for (const auto& r : reps) {
      if (r.finding->offset >= ds && r.finding->offset < de) mine.push_back(r);
    }
    if (mine.empty()) continue;
    std::string_view doc = content.substr(ds, de - ds);
    bool is_secret = doc.find("\nkind: Secret\n") != std::string_view::npos ||
                     doc.substr(0, 13) == "kind: Secret\n";
    std::string new_doc;
    if (is_secret && PlanK8sDoc(content, ds, de, mine, plan, &new_doc)) {
      edits.push_back({ds, de, new_doc});
    } else {
      left.insert(left.end(), mine.begin(), mine.end());
    }
  }
  std::string staged = ApplyEdits(content, std::move(edits));
  if (left.empty()) {
    plan->new_content = std::move(staged);
    return;
  }
  // Rare: secrets elsewhere in a manifest (an env value in a Deployment): not rewritten.
  plan->new_content = std::move(staged);
  for (const auto& r : left) {
    plan->notes.push_back("line " + std::to_string(r.finding->line) +
                          ": not in a Secret's data; not edited");
  }
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
  switch (plan.kind) {
    case FileKind::kCloudFormation:
      PlanInPlace(content, reps, /*yaml=*/!EndsWith(path, ".json"), &plan);
      break;
    case FileKind::kEnv:
      PlanInPlace(content, reps, /*yaml=*/false, &plan);
      break;
    case FileKind::kCompose:
    case FileKind::kYaml:
      PlanInPlace(content, reps, /*yaml=*/true, &plan);
      break;
    case FileKind::kTerraform:
      PlanTerraform(content, reps, &plan);
      break;
    case FileKind::kKubernetes:
      PlanKubernetes(content, reps, &plan);
      break;
    case FileKind::kCode:
      PlanCode(path, content, reps, endpoint_url, &plan);
      break;
  }
  return plan;
}

std::string AssignmentKey(std::string_view content, size_t offset) {
  size_t ls = LineStart(content, offset);
  std::string_view line = content.substr(ls, LineEnd(content, offset) - ls);
  static const RE2 kKey(R"(^\s*(?:-\s*)?(?:export\s+)?["']?([A-Za-z0-9_.\-]+)["']?\s*(?:=|:))");
  std::string key;
  if (!RE2::PartialMatch(line, kKey, &key)) return "";
  return key;
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
  if (clean.size() > 512) clean.resize(512);
  return clean;
}

}  // namespace arcana::migrate
