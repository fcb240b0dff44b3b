// Fuzzes the JSON input path of every API operation: the body parse the pipeline does, then
// model validation (services/common/model_validator.h) against the operation's input shape
// in the embedded botocore model of Secrets Manager, KMS or Parameter Store.
// Input: the X-Amz-Target on the first line, the body after it:
//   secretsmanager.CreateSecret\n{"Name":"x","ClientRequestToken":"..."}
// A first line that names no modelled operation still selects one (by a hash of the line), so
// every input exercises some operation's shape.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "common/json.h"
#include "common/status.h"
#include "services/common/model_validator.h"

namespace arcana::model_data {
std::string_view Find(std::string_view name);  // the embedded models (cmake/embed_models.cmake)
}

namespace {

using arcana::services::ModelValidator;

struct Op {
  const ModelValidator* validator;
  std::string target;  // "TrentService.Encrypt"
  std::string name;    // "Encrypt"
};

// The three services as the pipeline knows them (target prefix, model, constraint error).
const std::vector<Op>& Ops() {
  static const std::vector<Op>* ops = [] {
    struct Svc {
      const char* prefix;
      const char* model;
      arcana::ErrorCode constraint;
    };
    static const Svc kSvcs[] = {
        {"secretsmanager", "secretsmanager", arcana::ErrorCode::kValidation},
        {"TrentService", "kms", arcana::ErrorCode::kValidation},
        {"AmazonSSM", "ssm", arcana::ErrorCode::kValidation},
    };
    auto* v = new std::vector<Op>;
    for (const auto& s : kSvcs) {
      const auto* validator = new ModelValidator(s.model, s.constraint);
      // Every operation the model defines, read from the same embedded model text.
      rapidjson::Document model;
      std::string_view text = arcana::model_data::Find(s.model);
      model.Parse(text.data(), text.size());
      for (const auto& m : model["operations"].GetObject()) {
        std::string name(m.name.GetString(), m.name.GetStringLength());
        if (!validator->HasOperation(name)) __builtin_trap();
        v->push_back(Op{validator, std::string(s.prefix) + "." + name, name});
      }
    }
    return v;
  }();
  return *ops;
}

const Op& Select(std::string_view line) {
  const auto& ops = Ops();
  for (const auto& op : ops) {
    if (op.target == line) return op;
  }
  size_t h = 0;
  for (unsigned char c : line) h = h * 131 + c;
  return ops[h % ops.size()];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  const Op& op = Select(in.substr(0, nl));
  std::string_view body = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);

  // The pipeline's parse step (net/pipeline.cc): an empty body is {}, anything else goes
  // through json::ParseBounded.
  rapidjson::Document input;
  if (body.empty()) {
    input.SetObject();
  } else if (!arcana::json::ParseBounded(body, &input).ok()) {
    return 0;
  }
  arcana::Status st = op.validator->Validate(op.name, input);
  if (!st.ok() && st.code() != arcana::ErrorCode::kSerialization &&
      st.code() != arcana::ErrorCode::kInvalidParameter &&
      st.code() != arcana::ErrorCode::kValidation) {
    __builtin_trap();  // validation answers only the documented client errors
  }
  return 0;
}
