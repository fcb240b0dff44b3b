#include "scan/report.h"

#include <rapidjson/prettywriter.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>

#include "auth/sigv4.h"
#include "common/json.h"

namespace arcana::scan {

namespace {

constexpr size_t kMaxBaselineBytes = size_t{64} << 20;

using Pretty = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlongs, surrogates or
// code points past U+10FFFF), 0 when there is none.
size_t Utf8SequenceAt(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  }
  const unsigned char c1 = b(i + 1);
  if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) ||
      (c == 0xF4 && c1 > 0x8F)) {
    return 0;
  }
  return n;
}

// A JSON string of s with each byte that is not part of well-formed UTF-8 as U+FFFD: file
// names and lines of Latin-1 files went into the JSON and SARIF reports as raw bytes, which
// made the whole report invalid UTF-8 (json.loads, SARIF uploads refuse it).
template <class W>
void Str(W& w, std::string_view s) {
  size_t i = 0;
  while (i < s.size() && Utf8SequenceAt(s, i) != 0) i += Utf8SequenceAt(s, i);
  if (i == s.size()) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    return;
  }
  std::string clean(s.substr(0, i));
  while (i < s.size()) {
    size_t n = Utf8SequenceAt(s, i);
    if (n == 0) {
      clean += "\xEF\xBF\xBD";
      ++i;
    } else {
      clean.append(s, i, n);
      i += n;
    }
  }
  w.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()));
}

// commit, author, email and date members (--git findings).
template <class W>
void WriteHistoryMembers(W& w, const Finding& f) {
  for (const auto& [key, value] : {std::pair<const char*, const std::string*>{"commit", &f.commit},
                                   {"author", &f.author},
                                   {"email", &f.email},
                                   {"date", &f.date}}) {
    w.Key(key);
    Str(w, *value);
  }
}

template <class W>
void WriteFinding(W& w, const Finding& f) {
  w.StartObject();
  w.Key("rule_id");
  Str(w, f.rule_id);
  w.Key("description");
  Str(w, f.description);
  w.Key("file");
  Str(w, f.file);
  w.Key("line");
  w.Uint64(f.line);
  w.Key("column");
  w.Uint64(f.column);
  w.Key("end_line");
  w.Uint64(f.end_line);
  w.Key("end_column");
  w.Uint64(f.end_column);
  w.Key("match");
  Str(w, RedactIn(f.match, f.secret));
  w.Key("secret");
  Str(w, Redact(f.secret));
  w.Key("entropy");
  w.Double(std::round(f.entropy * 1000) / 1000);
  w.Key("fingerprint");
  Str(w, f.Fingerprint());
  w.Key("tags");
  w.StartArray();
  for (const auto& t : f.tags) Str(w, t);
  w.EndArray();
  if (!f.commit.empty()) WriteHistoryMembers(w, f);
  w.EndObject();
}

}  // namespace

std::optional<ReportFormat> ParseReportFormat(const std::string& name) {
  if (name == "table") return ReportFormat::kTable;
  if (name == "json") return ReportFormat::kJson;
  if (name == "sarif") return ReportFormat::kSarif;
  return std::nullopt;
}

void WriteTable(std::ostream& os, const std::vector<Finding>& findings) {
  if (findings.empty()) {
    os << "no secrets found\n";
    return;
  }
  std::vector<std::array<std::string, 4>> rows;
  rows.push_back({"RULE", "LOCATION", "MATCH", "COMMIT"});
  bool history = false;
  for (const auto& f : findings) {
    std::string match = RedactIn(f.match, f.secret);
    std::replace(match.begin(), match.end(), '\n', ' ');
    match = Printable(match);
    if (match.size() > 60) match = match.substr(0, 57) + "...";
    history = history || !f.commit.empty();
    rows.push_back({Printable(f.rule_id),
                    Printable(f.file) + ":" + std::to_string(f.line) + ":" + std::to_string(f.column),
                    match, f.commit.substr(0, 12)});
  }
  std::array<size_t, 4> width{};
  for (const auto& r : rows) {
    for (size_t i = 0; i < 4; ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows) {
    size_t cols = history ? 4 : 3;
    for (size_t i = 0; i < cols; ++i) {
      os << r[i];
      if (i + 1 < cols) os << std::string(width[i] - r[i].size() + 2, ' ');
    }
    os << "\n";
  }
  os << findings.size() << (findings.size() == 1 ? " finding" : " findings")
     << " (values redacted)\n";
}

void WriteJson(std::ostream& os, const std::vector<Finding>& findings) {
  rapidjson::StringBuffer buf;
  Pretty w(buf);
  w.SetIndent(' ', 2);
  w.StartArray();
  for (const auto& f : findings) WriteFinding(w, f);
  w.EndArray();
  os << json::Finish(buf) << "\n";
}

void WriteSarif(std::ostream& os, const std::vector<Finding>& findings, const RuleSet& rules,
                const std::string& version) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < rules.rules.size(); ++i) index.emplace(rules.rules[i].id, i);
  rapidjson::StringBuffer buf;
  Pretty w(buf);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key("$schema");
  w.String("https://json.schemastore.org/sarif-2.1.0.json");
  w.Key("version");
  w.String("2.1.0");
  w.Key("runs");
  w.StartArray();
  w.StartObject();
  w.Key("tool");
  w.StartObject();
  w.Key("driver");
  w.StartObject();
  w.Key("name");
  w.String("arcana-scan");
  w.Key("semanticVersion");
  Str(w, version);
  w.Key("informationUri");
  w.String("https://github.com/arcana-secrets/arcana");
  w.Key("rules");
  w.StartArray();
  for (const auto& r : rules.rules) {
    w.StartObject();
    w.Key("id");
    Str(w, r.id);
    w.Key("name");
    Str(w, r.id);
    w.Key("shortDescription");
    w.StartObject();
    w.Key("text");
    Str(w, r.description.empty() ? r.id : r.description);
    w.EndObject();
    w.Key("defaultConfiguration");
    w.StartObject();
    w.Key("level");
    w.String("error");
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();  // driver
  w.EndObject();  // tool
  w.Key("results");
  w.StartArray();
  for (const auto& f : findings) {
    w.StartObject();
    w.Key("ruleId");
    Str(w, f.rule_id);
    if (auto it = index.find(f.rule_id); it != index.end()) {
      w.Key("ruleIndex");
      w.Uint64(it->second);
    }
    w.Key("level");
    w.String("error");
    w.Key("message");
    w.StartObject();
    w.Key("text");
    Str(w, (f.description.empty() ? f.rule_id : f.description) + " (" + Redact(f.secret) + ")");
    w.EndObject();
    w.Key("locations");
    w.StartArray();
    w.StartObject();
    w.Key("physicalLocation");
    w.StartObject();
    w.Key("artifactLocation");
    w.StartObject();
    w.Key("uri");
    Str(w, auth::UriEncode(f.file, /*encode_slash=*/false));
    w.EndObject();
    w.Key("region");
    w.StartObject();
    w.Key("startLine");
    w.Uint64(std::max<size_t>(1, f.line));
    w.Key("startColumn");
    w.Uint64(std::max<size_t>(1, f.column));
    w.Key("endLine");
    w.Uint64(std::max<size_t>(1, f.end_line));
    w.Key("endColumn");  // SARIF's end column is exclusive
    w.Uint64(std::max<size_t>(1, f.end_column) + 1);
    w.Key("snippet");
    w.StartObject();
    w.Key("text");
    Str(w, RedactIn(f.match, f.secret));
    w.EndObject();
    w.EndObject();  // region
    w.EndObject();  // physicalLocation
    w.EndObject();
    w.EndArray();
    w.Key("partialFingerprints");
    w.StartObject();
    w.Key("arcanaFingerprint/v1");
    Str(w, f.Fingerprint());
    w.EndObject();
    if (!f.commit.empty()) {
      w.Key("properties");
      w.StartObject();
      WriteHistoryMembers(w, f);
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();  // run
  w.EndArray();
  w.EndObject();
  os << json::Finish(buf) << "\n";
}

Result<std::set<std::string>> LoadBaseline(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(ErrorCode::kValidation, path + ": cannot read baseline");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > kMaxBaselineBytes) {
    return Status(ErrorCode::kValidation, path + ": baseline larger than 64 MiB");
  }
  rapidjson::Document doc;
  Status st = json::ParseBounded(text, &doc, json::kMaxDepth, kMaxBaselineBytes);
  if (!st.ok()) return Status(ErrorCode::kValidation, path + ": " + st.message());
  if (!doc.IsArray()) {
    return Status(ErrorCode::kValidation, path + ": a baseline is a JSON array of findings");
  }
  std::set<std::string> out;
  for (const auto& v : doc.GetArray()) {
    if (!v.IsObject()) continue;
    if (v.HasMember("fingerprint") && v["fingerprint"].IsString()) {
      out.insert(v["fingerprint"].GetString());
    } else if (v.HasMember("RuleID") && v.HasMember("Secret")) {  // gitleaks report
      Finding f;
      f.rule_id = json::StrField(v, "RuleID");
      f.file = json::StrField(v, "File");
      f.commit = json::StrField(v, "Commit");
      f.secret = json::StrField(v, "Secret");
      out.insert(f.Fingerprint());
    } else {
      return Status(ErrorCode::kValidation,
                    path + ": baseline entries need a fingerprint (arcana) or RuleID/Secret "
                           "(gitleaks)");
    }
  }
  return out;
}

}  // namespace arcana::scan
