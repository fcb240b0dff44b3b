// The tagging rules of EventBridge rules (TagResource, UntagResource, ListTagsForResource and
// PutRule's Tags), as AWS documents them: at most 50 tags per resource; keys of 1-128 and
// values of 0-256 characters (the model's length constraints, checked by the service's model
// validator); keys starting with "aws:" are reserved for AWS and can be neither set nor
// removed. A ResourceARN names one of the two resources EventBridge tags (its TagResource API
// reference: "In EventBridge, rules and event buses can be tagged"): a rule,
// arn:<partition>:events:<region>:<account>:rule/[<bus>/]<name>, or an event bus,
// arn:<partition>:events:<region>:<account>:event-bus/<name>.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace arcana::domain::events {

inline constexpr size_t kMaxTagsPerRule = 50;

// kValidation when a key is reserved ("aws:" in any letter case: the prefix is AWS's whatever
// its case, as for the other services' tags). Used for keys to set and to remove.
Status CheckTagKeysWritable(const std::vector<std::string_view>& keys);

// kValidation when a rule would hold more than kMaxTagsPerRule tags: TooManyTags().
Status CheckTagCount(size_t count);
Status TooManyTags();

// A ResourceARN the tagging operations accept, taken apart. Whether the resource exists is
// the caller's question (an ARN says nothing of it).
struct TaggedResourceRef {
  enum class Kind { kRule, kEventBus };
  Kind kind = Kind::kRule;
  std::string partition;
  std::string region;
  std::string account;
  std::string bus;   // the bus: "default" for rule/<name>, <bus> for rule/<bus>/<name>,
                     // <name> for event-bus/<name>
  std::string name;  // the rule's name; empty for an event bus
};

// Errors (kValidation), as an EventBridge caller is answered:
//   not an ARN (arn:partition:service:region:account:resource)
//   an ARN of another service
//   a rule ARN with an empty or extra path segment, an event-bus/ ARN without a name
//   anything else of events (archive/, connection/, ...)
Result<TaggedResourceRef> ParseTaggedResourceArn(std::string_view arn);

}  // namespace arcana::domain::events
