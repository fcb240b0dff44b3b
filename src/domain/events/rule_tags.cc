#include "domain/events/rule_tags.h"

#include <cctype>

#include "common/arn.h"

namespace arcana::domain::events {
namespace {

bool StartsWithAwsPrefix(std::string_view key) {
  static constexpr std::string_view kPrefix = "aws:";
  if (key.size() < kPrefix.size()) return false;
  for (size_t i = 0; i < kPrefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(key[i])) != kPrefix[i]) return false;
  }
  return true;
}

Status InvalidArn(const char* reason) {
  return Status(ErrorCode::kValidation,
                std::string("Parameter ResourceARN is not valid. Reason: ") + reason);
}

}  // namespace

Status CheckTagKeysWritable(const std::vector<std::string_view>& keys) {
  for (std::string_view key : keys) {
    if (StartsWithAwsPrefix(key)) {
      return Status(ErrorCode::kValidation,
                    "Invalid tag key: the aws: prefix is reserved for AWS use.");
    }
  }
  return Status::Ok();
}

Status TooManyTags() {
  return Status(ErrorCode::kValidation,
                "A resource can have at most " + std::to_string(kMaxTagsPerRule) + " tags.");
}

Status CheckTagCount(size_t count) {
  return count <= kMaxTagsPerRule ? Status::Ok() : TooManyTags();
}

Result<TaggedResourceRef> ParseTaggedResourceArn(std::string_view arn) {
  // The resource may hold ':' and '/'.
  auto fields = SplitArn(arn);
  if (!fields || fields->partition.empty() || fields->resource.empty()) {
    return InvalidArn("Provided Arn is not in correct format.");
  }
  if (fields->service != "events") {
    return InvalidArn("Provided Arn is not an EventBridge ResourceARN.");
  }
  std::string_view resource = fields->resource;
  TaggedResourceRef ref;
  ref.partition = std::string(fields->partition);
  ref.region = std::string(fields->region);
  ref.account = std::string(fields->account);
  ref.bus = "default";
  if (resource.rfind("event-bus/", 0) == 0) {
    // A partner bus's name holds '/' (aws.partner/<source>), so any non-empty rest names one.
    std::string_view bus = resource.substr(10);
    if (bus.empty()) return InvalidArn("Provided Arn is not in correct format.");
    ref.kind = TaggedResourceRef::Kind::kEventBus;
    ref.bus = std::string(bus);
    return ref;
  }
  if (resource.rfind("rule/", 0) != 0) {
    return InvalidArn("Provided Arn is not a taggable EventBridge resource.");
  }
  std::string_view path = resource.substr(5);
  size_t slash = path.find('/');
  if (slash != std::string_view::npos) {  // rule/<bus>/<name>: a rule of a custom bus
    ref.bus = std::string(path.substr(0, slash));
    path = path.substr(slash + 1);
    if (ref.bus.empty() || path.find('/') != std::string_view::npos) {
      return InvalidArn("Provided Arn is not in correct format.");
    }
  }
  if (path.empty()) return InvalidArn("Provided Arn is not in correct format.");
  ref.name = std::string(path);
  return ref;
}

}  // namespace arcana::domain::events
