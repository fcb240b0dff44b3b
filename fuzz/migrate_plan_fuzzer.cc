// libFuzzer target: `arcana migrate`'s planners (migrate/rewrite.h, migrate/k8s_secret.h) over
// files of a repository, which are anyone's text: Kubernetes Secret manifests (the strict YAML
// reader: block scalars, quoting and escapes, indentation, CRLF), CloudFormation, .env,
// Terraform, compose and other YAML. Input: byte 0 picks the file's name (so its kind),
// byte 1 how many findings (0-3), then two bytes per finding (where it starts, how long it
// is), then the file. The findings are where the scanner would put them: inside the file, in
// order, not overlapping. Nothing may crash, hang or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/rewrite.h"
#include "scan/finding.h"

namespace {

constexpr const char* kPaths[] = {"deploy/secret.yaml", "app/.env",          "infra/main.tf",
                                  "stack.template",     "docker-compose.yml", "conf.properties",
                                  "values.yml",         "app.py"};

// 1-based line and column of offset in content.
void Place(std::string_view content, size_t offset, size_t* line, size_t* column) {
  *line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (content[i] == '\n') {
      ++*line;
      line_start = i + 1;
    }
  }
  *column = offset - line_start + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const std::string path = kPaths[data[0] % (sizeof(kPaths) / sizeof(kPaths[0]))];
  const size_t wanted = data[1] % 4;
  size_t at = 2;
  std::vector<std::pair<uint8_t, uint8_t>> spans;
  for (size_t i = 0; i < wanted && at + 1 < size; ++i, at += 2) {
    spans.emplace_back(data[at], data[at + 1]);
  }
  const std::string_view content(reinterpret_cast<const char*>(data) + at, size - at);
  if (content.empty()) return 0;

  // Each finding starts somewhere after the previous one's end (its byte a fraction of what
  // is left) and is 1-64 bytes long, within the file.
  std::vector<arcana::scan::Finding> findings;
  size_t from = 0;
  for (const auto& [where, length] : spans) {
    if (from >= content.size()) break;
    const size_t offset = from + (content.size() - from) * where / 256;
    const size_t len = std::min<size_t>(1 + length % 64, content.size() - offset);
    arcana::scan::Finding f;
    f.rule_id = "generic-api-key";
    f.file = path;
    f.offset = offset;
    f.match_offset = offset;
    f.secret = std::string(content.substr(offset, len));
    f.match = f.secret;
    Place(content, offset, &f.line, &f.column);
    Place(content, offset + len - 1, &f.end_line, &f.end_column);
    findings.push_back(std::move(f));
    from = offset + len;
  }
  std::vector<arcana::migrate::Replacement> reps;
  for (size_t i = 0; i < findings.size(); ++i) {
    reps.push_back({&findings[i], "app/secret-" + std::to_string(i)});
  }
  auto plan = arcana::migrate::PlanFile(path, content, reps, "http://127.0.0.1:7770");
  (void)plan;
  return 0;
}
