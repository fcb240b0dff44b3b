// EventBridge event patterns: parse (validate) once, match many events. The grammar, as
// EventBridge documents it (eb-event-patterns, eb-create-pattern-operators):
//
//   pattern  := { key: node, ... , ["$or": [pattern, pattern, ...]] }   (at least one key)
//   node     := pattern                      a nested field of the event
//             | [ filter, ... ]              the field matches when ANY filter matches
//   filter   := "string" | number | null | true | false          exact value
//             | {"prefix": "s"} | {"suffix": "s"}                (also {"prefix": {"equals-ignore-case": "s"}})
//             | {"equals-ignore-case": "s"}
//             | {"wildcard": "a*b"}                              '*' is any run of characters;
//                                                               \* a literal '*', \\ a literal
//                                                               backslash, no other escape, no **
//             | {"anything-but": value | [values] | {op: "s" | ["s", ...]}}
//                                               op: prefix suffix equals-ignore-case wildcard
//             | {"numeric": [op, n] | [op, n, op, n]}          op: = < <= > >=; a range takes
//                                                               a lower (> >=) then an upper (< <=)
//             | {"cidr": "a.b.c.d/n" | "ipv6/n"}
//             | {"exists": true | false}
//
// Matching: every key of the pattern must match (AND); a field whose event value is an array
// matches when any element does; absent fields (and objects or empty arrays, which are no leaf
// values) match only {"exists": false}; anything-but matches every present value it does not
// exclude, null and numbers included. Numbers compare as numbers (5 matches 5.0). Keys join with
// '.' as on AWS: the pattern key "a.b" names the event's "a":{"b"}, and the other way round.
// A key written twice in one object counts as its last value (both are checked), as
// EventBridge documents. Refusal messages are AWS's, i.e. those of its matcher, aws/event-ruler,
// which reads the text with Jackson's streaming parser: the first fault in reading order is the
// one refused, in event-ruler's words (or Jackson's, for text that is not JSON), followed by the
// parser's location as AWS appends it ("\n at [Source: (String)\"...\"; line: L, column: C]",
// see pattern_reader.h). Faults AWS reports without one (CIDR, a too complex wildcard) have none.
// Bounds: the text is at most kMaxPatternBytes, nested at most kMaxDepth levels, with at
// most kMaxFilters filters; matching costs at most the pattern's size times the event's, each
// filter linear in the value it reads (a wildcard: in the value's length plus its operand's,
// whatever their content). events/event_bus.h shares the routing thread among accounts.
// Thread-safety: a parsed EventPattern is immutable; Matches may run concurrently.
#pragma once

#include <rapidjson/document.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace arcana::domain::events {

inline constexpr size_t kMaxPatternBytes = 4096;  // the model's EventPattern max
inline constexpr size_t kMaxDepth = 16;
inline constexpr size_t kMaxFilters = 1024;

struct PatternNode;  // event_pattern.cc

class EventPattern {
 public:
  // Errors: kInvalidEventPattern, "Event pattern is not valid. Reason: <why>[\n at <location>]".
  static Result<EventPattern> Parse(std::string_view text);

  bool Matches(const rapidjson::Value& event) const;
  // Parses event_json (bounded) first. Errors: kValidation when it is not a JSON object.
  Result<bool> MatchesJson(std::string_view event_json) const;

 private:
  explicit EventPattern(std::shared_ptr<const PatternNode> root) : root_(std::move(root)) {}
  std::shared_ptr<const PatternNode> root_;
};

}  // namespace arcana::domain::events
