// Response encoders of the Parameter Store shapes (Parameter, ParameterMetadata,
// ParameterHistory, Tag), absent members left out (spec 1.3).
#pragma once

#include <string>

#include "common/json.h"
#include "domain/ssm/parameter.h"

namespace arcana::services::ssm {

std::string Finish(const rapidjson::StringBuffer& buf);

// `Parameter` (GetParameter/GetParameters/GetParametersByPath). selector: "" or ":3"/":label".
void WriteParameter(json::Writer& w, const domain::ssm::Parameter& p,
                    const domain::ssm::ParameterVersion& v, const std::string& value,
                    const std::string& selector);
// `ParameterMetadata` (DescribeParameters) of the latest version.
void WriteMetadata(json::Writer& w, const domain::ssm::Parameter& p);
// `ParameterHistory` (GetParameterHistory).
void WriteHistory(json::Writer& w, const domain::ssm::Parameter& p,
                  const domain::ssm::ParameterVersion& v, const std::string& value);
void WriteTags(json::Writer& w, const std::vector<domain::ssm::Tag>& tags);

}  // namespace arcana::services::ssm
