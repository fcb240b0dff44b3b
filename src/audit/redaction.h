// What of a request or response may enter an audit record. An allow-list, not a deny-list:
// a member a newer model adds (or one we never thought of) is hidden until someone decides
// it is safe, so no secret leaks by omission. The walk keeps the JSON structure (objects,
// arrays) and every scalar whose member name is on the list (names, ids, ARNs, stages,
// types, flags, dates, counts, KMS encryption contexts, policies, tags); every other scalar
// becomes "HIDDEN_DUE_TO_SECURITY_REASONS" (CloudTrail's own marker). So SecretString,
// SecretBinary, Plaintext, CiphertextBlob, an SSM parameter's Value, RandomPassword,
// PrivateKeyPlaintext, Signature, Mac are never copied, in any operation.
// A few members are kept as whole subtrees (Tags, TagList, EncryptionContext, Filters,
// ParameterFilters): their contents are metadata by AWS's definition, and a tag's "Value"
// must not be confused with a parameter's "Value". Under "Variables" (Lambda's
// Environment.Variables, whose keys are the caller's names) every value is hidden.
// Thread-safety: pure functions over immutable tables.
#pragma once

#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace arcana::audit {

inline constexpr const char* kHidden = "HIDDEN_DUE_TO_SECURITY_REASONS";

// The redacted JSON of v (an object); "" when v is not an object (null in the record).
// Member names as CloudTrail writes them (CloudTrailName), a map's keys as given; timestamps
// (epoch seconds on the wire) as CloudTrail writes them, "Aug 10, 2022, 10:38:27 PM" (UTC).
// Output is bounded: strings are cut at 1 KiB, arrays at 100 items.
std::string RedactedJson(const rapidjson::Value& v);
// `message` (a failed call's error text) with every string of `input` that RedactedJson(input)
// hides replaced by kHidden: a service that quotes the value it refused (a validation
// error's "Value '...' at ...") never puts into errorMessage what requestParameters hides.
// A hidden value shorter than 4 bytes is replaced only where it stands quoted ('v'): a bare
// "a" or "no" would otherwise cut words of the message apart.
std::string RedactedMessage(std::string_view message, const rapidjson::Value& input);
// Whether a scalar under this member name is kept (exposed for tests). Takes the wire's name.
bool IsSafeMember(std::string_view name);
// A structure member's name as CloudTrail writes it in requestParameters and
// responseElements: the wire's name decapitalized as Java does it, its first letter in lower
// case unless the first two are capitals ("SecretId" -> "secretId"; KMS's "AWSAccountId" and
// Secrets Manager's "ARN" unchanged), as CloudTrail's recorded events and AWS KMS's CloudTrail
// examples show it.
std::string CloudTrailName(std::string_view member);

// CloudTrail's readOnly: reads, lists, the KMS cryptographic operations and STS's AssumeRole*.
bool IsReadOnlyOperation(std::string_view operation);
// A read-only operation whose record still carries responseElements, as CloudTrail's does:
// STS's AssumeRole*, GetSessionToken and GetFederationToken (the credentials issued).
bool RecordsResponseElements(std::string_view operation);

}  // namespace arcana::audit
