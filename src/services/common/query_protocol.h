// The AWS Query protocol (IAM, STS): form-encoded requests (`Action=...&Version=...`,
// `Content-Type: application/x-www-form-urlencoded`) and XML responses, translated to and
// from the same JSON values the JSON services' handlers work with, using the service's
// botocore model (models/<name>.json):
// - Decode: the flattened form (`Users.member.1`, `Tags.member.2.Key`, `Map.entry.1.key`)
//   becomes the JSON object of the operation's input shape, which the ModelValidator then
//   checks like any JSON body. Scalars are typed by the model (integers, booleans).
// - Encode: a handler's JSON answer becomes `<OpResponse xmlns=NS><OpResult>...</OpResult>
//   <ResponseMetadata><RequestId>..</RequestId></ResponseMetadata></OpResponse>`, members
//   named and ordered as the output shape says, lists as `<member>`, maps as `<entry>`,
//   timestamps (epoch seconds in the JSON) as ISO 8601 — exactly what botocore's query
//   parser reads.
// - Errors: `<ErrorResponse><Error><Type>Sender|Receiver</Type><Code>..</Code><Message>..`
//   `</Message></Error><RequestId>..</RequestId></ErrorResponse>` with the query spelling of
//   the code and its HTTP status (ErrorOf): the front end's codes as the query protocol spells
//   them (InvalidClientTokenId, SignatureDoesNotMatch, ExpiredToken, AccessDenied 403), and
//   the shared codes the IAM/STS handlers raise as the models' error shapes do:
//   kResourceNotFound = NoSuchEntity 404, kResourceExists = EntityAlreadyExists 409,
//   kConflict = DeleteConflict 409, kLimitExceeded = LimitExceeded 409, kInvalidParameter =
//   InvalidInput 400, kMalformedPolicyDocument = MalformedPolicyDocument 400,
//   kInvalidParameterValue = InvalidParameterValue 400 (STS's session-tag refusals).
// Bounded: at most kMaxParams form fields (a request with more is refused), so at most that
// many items per list or map. No list is cut short, and none is refused below that bound
// unless its model says so: AWS's IAM/STS models leave most lists without a maximum (e.g.
// SimulateCustomPolicy's ActionNames and ResourceArns), and where a model sets one the model
// validator checks it.
// Thread-safety: immutable after construction.
#pragma once

#include <rapidjson/document.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace arcana::services {

class QueryProtocol {
 public:
  static constexpr size_t kMaxParams = 4096;
  using Form = std::map<std::string, std::string, std::less<>>;

  // model_name: an embedded model ("iam", "sts").
  explicit QueryProtocol(std::string_view model_name);
  ~QueryProtocol();

  std::string_view xml_namespace() const;
  std::string_view api_version() const;

  // application/x-www-form-urlencoded -> field map. kSerialization on bad escapes or too
  // many fields; a repeated field keeps its last value.
  static Result<Form> ParseForm(std::string_view body);

  // The operation's input as JSON. kSerialization when a scalar does not parse as its type.
  Status Decode(std::string_view operation, const Form& form, rapidjson::Document* out) const;
  // The 200 body for a handler's JSON answer (may be "" or "{}" for operations without
  // output).
  Result<std::string> EncodeResponse(std::string_view operation, std::string_view json,
                                     const std::string& request_id) const;

  struct WireError {
    std::string code;
    int http_status;
    bool sender;
    // How IAM and STS word an error whose text is the front end's own, not the call's
    // (empty: the status's message).
    std::string_view message = {};
  };
  static WireError ErrorOf(ErrorCode code);
  // <ErrorResponse xmlns=NS><Error><Type>Sender|Receiver</Type><Code>..</Code><Message>..
  // </Message></Error><RequestId>..</RequestId></ErrorResponse>, in the service's namespace
  // as IAM and STS send it.
  std::string EncodeError(const Status& st, const std::string& request_id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// XML text escaping (&, <, >, ", ' and control characters as character references).
std::string XmlEscape(std::string_view s);

}  // namespace arcana::services
