// libFuzzer target: the EventBridge event pattern parser and matcher (domain/events).
// Input: a pattern, optionally followed by "\n--\n" and an event (JSON). Whatever parses is
// matched against the event and against itself. Nothing may crash, hang or read out of
// bounds, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "domain/events/event_pattern.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view pattern = in, event = "{}";
  if (auto sep = in.find("\n--\n"); sep != std::string_view::npos) {
    pattern = in.substr(0, sep);
    event = in.substr(sep + 4);
  }
  auto p = arcana::domain::events::EventPattern::Parse(pattern);
  if (!p.ok()) return 0;
  (void)p->MatchesJson(event);
  (void)p->MatchesJson(pattern);
  return 0;
}
