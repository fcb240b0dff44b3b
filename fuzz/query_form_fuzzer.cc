// Fuzzes the Query protocol's request path (services/common/query_protocol.h): the form parse
// of a form-encoded body, its decode against the IAM or STS input shape of the operation the
// body's Action names (or one picked by a hash when it names none), model validation of the
// result, and the XML error encoding of whatever status comes out. Input: the body itself,
//   Action=CreateUser&UserName=a&Tags.member.1.Key=k&Tags.member.1.Value=v
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "services/common/model_validator.h"
#include "services/common/query_protocol.h"

namespace {

using arcana::services::ModelValidator;
using arcana::services::QueryProtocol;

struct Svc {
  QueryProtocol protocol;
  ModelValidator validator;
  explicit Svc(const char* model) : protocol(model), validator(model, arcana::ErrorCode::kValidation) {}
};

// Operations every input can fall back to (the ones Arcana serves, with lists and nesting).
constexpr const char* kIamOps[] = {"CreateUser", "TagUser", "UntagUser", "CreatePolicy",
                                   "CreateRole", "SimulateCustomPolicy", "PutUserPolicy"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Svc* iam = new Svc("iam");
  static Svc* sts = new Svc("sts");
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto form = QueryProtocol::ParseForm(body);
  if (!form.ok()) {
    (void)iam->protocol.EncodeError(form.status(), "fuzz");
    return 0;
  }
  std::string action;
  if (auto it = form->find("Action"); it != form->end()) action = it->second;
  Svc* svc = iam;
  if (sts->validator.HasOperation(action)) {
    svc = sts;
  } else if (!iam->validator.HasOperation(action)) {
    action = kIamOps[std::hash<std::string_view>{}(body) % std::size(kIamOps)];
  }
  rapidjson::Document doc;
  arcana::Status st = svc->protocol.Decode(action, *form, &doc);
  if (st.ok()) st = svc->validator.Validate(action, doc);
  (void)svc->protocol.EncodeError(st.ok() ? arcana::Status(arcana::ErrorCode::kResourceNotFound, action) : st,
                                   "fuzz");
  return 0;
}
