#include "domain/ssm/versions.h"

#include <algorithm>
#include <cctype>

namespace arcana::domain::ssm {

bool IsValidLabel(std::string_view label) {
  if (label.empty() || label.size() > 100) return false;
  if (std::isdigit(static_cast<unsigned char>(label[0]))) return false;
  std::string head;
  for (char c : label.substr(0, 3)) {
    head.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (head == "aws" || head == "ssm") return false;
  for (char c : label) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

Status VersionNotFound(std::string_view name, std::string_view selector) {
  return Status(ErrorCode::kParameterVersionNotFound,
                "Systems Manager could not find version " + std::string(selector) + " of " +
                    std::string(name) + ". Verify the version and try again.");
}

Status AddVersion(Parameter& p, ParameterVersion v, std::vector<int64_t>* removed) {
  v.version = p.versions.empty() ? 1 : p.Latest().version + 1;
  if (p.versions.size() >= kMaxVersions) {
    const ParameterVersion& oldest = p.versions.front();
    if (!oldest.labels.empty()) {
      return Status(ErrorCode::kParameterMaxVersionLimitExceeded,
                    "You attempted to create a new version of " + p.name +
                        " by calling the PutParameter API with the overwrite flag. Version " +
                        std::to_string(oldest.version) +
                        ", the oldest version, can't be deleted because it has a label "
                        "associated with it. Move the label to another version of the "
                        "parameter, and try again.");
    }
    if (removed) removed->push_back(oldest.version);
    p.versions.erase(p.versions.begin());
  }
  p.versions.push_back(std::move(v));
  return Status::Ok();
}

Status AttachLabels(Parameter& p, int64_t version, const std::vector<std::string>& labels,
                    std::vector<std::string>* invalid) {
  ParameterVersion* target = p.FindVersion(version);
  if (target == nullptr) return VersionNotFound(p.name, std::to_string(version));
  std::vector<std::string> adding;
  for (const auto& l : labels) {
    if (!IsValidLabel(l)) {
      if (std::find(invalid->begin(), invalid->end(), l) == invalid->end()) invalid->push_back(l);
      continue;
    }
    bool on_target = std::find(target->labels.begin(), target->labels.end(), l) !=
                     target->labels.end();
    if (!on_target && std::find(adding.begin(), adding.end(), l) == adding.end()) {
      adding.push_back(l);
    }
  }
  if (target->labels.size() + adding.size() > kMaxLabelsPerVersion) {
    return Status(ErrorCode::kParameterVersionLabelLimitExceeded,
                  "A parameter version can have maximum 10 labels.Move one or more labels to "
                  "another version and try again.");
  }
  for (auto& pv : p.versions) {
    if (pv.version == version) continue;
    auto& ls = pv.labels;
    ls.erase(std::remove_if(ls.begin(), ls.end(),
                            [&](const std::string& l) {
                              return std::find(adding.begin(), adding.end(), l) != adding.end();
                            }),
             ls.end());
  }
  for (auto& l : adding) target->labels.push_back(std::move(l));
  return Status::Ok();
}

Status DetachLabels(Parameter& p, int64_t version, const std::vector<std::string>& labels,
                    std::vector<std::string>* removed, std::vector<std::string>* invalid) {
  ParameterVersion* target = p.FindVersion(version);
  if (target == nullptr) return VersionNotFound(p.name, std::to_string(version));
  for (const auto& l : labels) {
    auto it = std::find(target->labels.begin(), target->labels.end(), l);
    if (it == target->labels.end()) {
      if (std::find(removed->begin(), removed->end(), l) == removed->end() &&
          std::find(invalid->begin(), invalid->end(), l) == invalid->end()) {
        invalid->push_back(l);
      }
      continue;
    }
    target->labels.erase(it);
    removed->push_back(l);
  }
  return Status::Ok();
}

}  // namespace arcana::domain::ssm
