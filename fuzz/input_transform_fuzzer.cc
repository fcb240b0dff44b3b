// libFuzzer target: what a rule's target receives of an event (domain/events/input_transform.h):
// JSON paths, InputTemplate placeholders and their substitution, from hostile templates
// (PutTargets) and hostile events (PutEvents).
// Input: an InputPathsMap (a JSON object of name -> path), "\n--\n", an InputTemplate,
// "\n--\n", an event (JSON). The template also serves as an InputPath. Nothing may crash,
// hang or read out of bounds, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/json.h"
#include "domain/events/input_transform.h"

namespace ev = arcana::domain::events;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view parts[3] = {"{}", in, "{}"};
  if (auto a = in.find("\n--\n"); a != std::string_view::npos) {
    parts[0] = in.substr(0, a);
    parts[1] = in.substr(a + 4);
    if (auto b = parts[1].find("\n--\n"); b != std::string_view::npos) {
      parts[2] = parts[1].substr(b + 4);
      parts[1] = parts[1].substr(0, b);
    }
  }
  rapidjson::Document paths, event;
  ev::InputTransformer transformer;
  transformer.input_template = std::string(parts[1]);
  if (arcana::json::ParseBounded(parts[0], &paths).ok() && paths.IsObject()) {
    for (const auto& m : paths.GetObject()) {
      if (m.value.IsString()) {
        transformer.paths.emplace_back(m.name.GetString(), m.value.GetString());
      }
    }
  }
  if (!arcana::json::ParseBounded(parts[2], &event).ok()) return 0;
  (void)ev::UndefinedPlaceholder(transformer);
  const ev::MatchContext match{"arn:aws:events:us-east-1:123456789012:rule/r", "r",
                               "2026-01-01T00:00:00Z"};
  ev::HttpTarget with_template;
  with_template.input_transformer = transformer;
  (void)ev::TargetBody(with_template, event, parts[2], match);
  ev::HttpTarget with_path;
  with_path.input_path = transformer.input_template;
  (void)ev::TargetBody(with_path, event, parts[2], match);
  return 0;
}
