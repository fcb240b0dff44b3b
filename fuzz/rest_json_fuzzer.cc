// Fuzzes the REST-JSON protocol (services/common/rest_json_protocol.h) as the Lambda API
// serves it: routing by method and path, decoding path labels, query members, headers and the
// body into the operation's input, then the model validator over that input, then encoding a
// handler's answer. Input, as an HTTP request is cut by the pipeline:
//   METHOD SP TARGET LF (NAME ":" VALUE LF)* LF BODY
// Checks: nothing crashes or hangs; a successful Decode yields a JSON object; Encode of a
// non-object answer is an error, never a crash.
#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/sigv4.h"
#include "net/query_string.h"
#include "services/common/model_validator.h"
#include "services/common/rest_json_protocol.h"

namespace {

std::string_view NextLine(std::string_view* in) {
  size_t nl = in->find('\n');
  std::string_view line = in->substr(0, nl);
  in->remove_prefix(nl == std::string_view::npos ? in->size() : nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using arcana::services::ModelValidator;
  using arcana::services::RestJsonProtocol;
  static const RestJsonProtocol rest(
      "lambda", {"CreateFunction", "GetFunction", "DeleteFunction", "ListFunctions", "Invoke"});
  static const ModelValidator validator("lambda", arcana::ErrorCode::kValidation);

  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view request_line = NextLine(&in);
  size_t sp = request_line.find(' ');
  if (sp == std::string_view::npos) return 0;
  std::string_view method = request_line.substr(0, sp);
  std::string_view target = request_line.substr(sp + 1);
  std::string_view path = target.substr(0, target.find('?'));

  std::vector<std::pair<std::string_view, std::string_view>> headers;
  for (;;) {
    std::string_view line = NextLine(&in);
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }

  auto route = rest.Match(method, path);
  if (!route) return 0;
  arcana::services::RestRequest req;
  req.method = method;
  for (auto [k, v] : arcana::net::SplitQuery(target)) {
    req.query.emplace_back(arcana::auth::UriDecode(k), arcana::auth::UriDecode(v));
  }
  req.header = [&headers](std::string_view name) -> std::string_view {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return {};
  };
  req.body = in;
  rapidjson::Document input;
  if (rest.Decode(*route, req, &input).ok()) {
    if (!input.IsObject()) std::abort();
    (void)validator.Validate(route->operation, input);
  }
  // The body as if it were the handler's answer: any JSON at all must encode or fail cleanly.
  arcana::services::RestResponse out;
  (void)rest.EncodeResponse(route->operation, in, &out);
  return 0;
}
