// Validates a request body against the operation's input shape in the embedded botocore
// service model (models/*.json). One generic walk gives every operation the same wire
// behaviour: wrong member types are SerializationException, missing required members and
// violated length/range/enum constraints are the service's validation error, with AWS's
// "1 validation error detected: ..." wording. Unknown members are ignored (newer SDKs
// send fields an older server may not model).
// Patterns are checked only where the service asks for it (Patterns::kCharacterClasses) and
// only for the patterns that are one character class repeated ("[\.\-_A-Za-z0-9]+",
// optionally anchored): those are matched exactly, in linear time, with AWS's wording ("Member
// must satisfy regular expression pattern: <the model's pattern>", after the length
// violations of the same member). Any other pattern (alternatives, groups, lookarounds,
// Unicode classes) is not checked: a partial regex engine would refuse what AWS accepts.
// Thread-safety: immutable after construction; Validate() may run concurrently.
#pragma once

#include <rapidjson/document.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace arcana::services {

// Parses the embedded model `model_name` (models/<name>.json) into *doc. Embedded at build
// time: a missing or broken model is a build defect and aborts.
void LoadEmbeddedModel(std::string_view model_name, rapidjson::Document* doc);

class ModelValidator {
 public:
  enum class Patterns { kIgnored, kCharacterClasses };
  // How a list of strings is named in a violation. kPaths: its own constraints as "Value at
  // 'names'", each element's at 'names.N.member'. kCoral (SSM): as AWS's JSON services word
  // it, the list quoted ("Value '[a, b]' at 'names'"), and every element violation folded
  // into one for the list: "Member must satisfy constraint: [<the element shape's
  // constraints>]". Lists of other shapes are named as with kPaths.
  enum class ListValues { kPaths, kCoral };

  // The order in which a service lists an enum's values in "Member must satisfy enum value
  // set: [...]", by shape name, where the service's order is not the model's (AWS's own
  // wording, e.g. SSM's ParameterType: [SecureString, StringList, String]).
  using EnumOrders = std::vector<std::pair<std::string, std::vector<std::string>>>;

  // Shapes whose pattern the service checks with its own matcher, by shape name: patterns
  // outside the character-class subset (alternatives, Unicode classes) that the service
  // implements exactly, or approximates refusing only what the pattern certainly refuses.
  // A mismatch is a violation like any other ("Member must satisfy regular expression pattern:
  // <the model's pattern>"), counted with the request's other violations.
  using PatternMatchers =
      std::vector<std::pair<std::string, std::function<bool(std::string_view)>>>;

  // Shapes whose pattern violation the service answers in a sentence of its own instead of
  // the model wording, by shape name: the sentence for the member's path ("userName"). IAM
  // answers a name outside [\w+=,.@-]+ "The specified value for userName is invalid. It must
  // contain only alphanumeric characters and/or the following: +=,.@_-". The shape's pattern
  // must be one this validator checks (Patterns::kCharacterClasses or PatternMatchers). Such a
  // sentence is the whole answer, given when the request has no model violation (those are
  // answered first, as AWS does a too long name that also holds a space).
  using PatternSentences =
      std::vector<std::pair<std::string, std::function<std::string(const std::string& path)>>>;

  // Shapes whose values a violation quotes in the service's own text rather than as JSON
  // scalars, by shape name: the function's text goes between the quotes ("Value '<text>'
  // at ..."). EventBridge quotes PutEvents' entry list as its PutEventsRequestEntry objects.
  using ValueTexts =
      std::vector<std::pair<std::string, std::function<std::string(const rapidjson::Value&)>>>;

  // Enum shapes whose values the service checks itself, by shape name: a value outside the
  // model's set is left to the service, which answers it in its own words (Lambda's Runtime:
  // InvalidParameterValueException "Value X at 'runtime' ... or be a valid ARN").
  using ServiceCheckedEnums = std::vector<std::string>;

  // model_name: an embedded model ("secretsmanager", "kms", "ssm").
  // constraint_error: the code a constraint violation maps to for this service.
  // unquoted_shapes: shapes whose values a violation never quotes, like sensitive ones
  // ("Value at 'tags.1.member.key' ..."), where the service words it so (IAM's tags).
  ModelValidator(std::string_view model_name, ErrorCode constraint_error,
                 Patterns patterns = Patterns::kIgnored, const EnumOrders& enum_orders = {},
                 ListValues list_values = ListValues::kPaths,
                 const std::vector<std::string>& unquoted_shapes = {},
                 const PatternMatchers& pattern_matchers = {},
                 const ValueTexts& value_texts = {},
                 const ServiceCheckedEnums& service_checked_enums = {},
                 const PatternSentences& pattern_sentences = {});
  ~ModelValidator();

  bool HasOperation(std::string_view operation) const;
  // OK, or kSerialization (wrong JSON type) / constraint_error (required, length, range, enum,
  // and the patterns above when enabled; else the first PatternSentences sentence).
  Status Validate(std::string_view operation, const rapidjson::Value& input) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace arcana::services
