// The tagging rules of EventBridge rules (TagResource, UntagResource, ListTagsForResource and
// PutRule's Tags), as AWS documents them: at most 50 tags per resource; keys of 1-128 and
// values of 0-256 characters (the model's length constraints, checked by the service's model
// validator); keys starting with "aws:" are reserved for AWS and can be neither set nor
// removed. A ResourceARN names a rule of the default bus:
// arn:<partition>:events:<region>:<account>:rule/<name>.
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

// A ResourceARN the tagging operations accept, taken apart.
struct TaggedRuleRef {
  std::string partition;
  std::string region;
  std::string account;
  std::string bus;   // "default" for rule/<name>; <bus> for rule/<bus>/<name>
  std::string name;  // the rule's name
};

// Errors, as an EventBridge caller is answered:
//   not an ARN (arn:partition:service:region:account:resource)  -> kValidation
//   an ARN of another service                                     -> kValidation
//   an event bus: "default" (taggable on AWS, not here)            -> kValidation;
//                 any other bus                                    -> kEventsResourceNotFound
//                 ("Event bus <name> does not exist.", as for EventBusName)
//   anything else of events (archive/, connection/, ...)           -> kValidation
Result<TaggedRuleRef> ParseTaggedRuleArn(std::string_view arn);

}  // namespace arcana::domain::events
