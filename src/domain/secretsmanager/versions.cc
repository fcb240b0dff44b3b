#include "domain/secretsmanager/versions.h"

#include <algorithm>

namespace arcana::domain::sm {
namespace {

void Detach(Secret& s, const std::string& stage) {
  for (auto& v : s.versions) {
    v.stages.erase(std::remove(v.stages.begin(), v.stages.end(), stage), v.stages.end());
  }
}

Status Attach(Secret& s, SecretVersion& target, const std::string& stage) {
  if (target.HasStage(stage)) return Status::Ok();
  if (stage == kCurrent) {
    SecretVersion* old = s.FindStage(kCurrent);
    if (old != nullptr && old != &target) {
      Detach(s, kCurrent);
      Detach(s, kPrevious);
      old->stages.push_back(kPrevious);
    }
  } else {
    Detach(s, stage);
  }
  // AWS's quota counts the labels attached across all versions of the secret (20), not one
  // version's: each label is on one version, so this is the number of distinct labels.
  size_t attached = 0;
  for (const auto& v : s.versions) attached += v.stages.size();
  if (attached >= kMaxLabelsPerSecret) {
    return Status(ErrorCode::kLimitExceeded,
                  "A secret can have at most 20 staging labels attached across all of its "
                  "versions.");
  }
  target.stages.push_back(stage);
  return Status::Ok();
}

}  // namespace

Status AttachStages(Secret& s, const std::string& version_id,
                    const std::vector<std::string>& stages) {
  SecretVersion* target = s.FindVersion(version_id);
  if (target == nullptr) {
    return Status(ErrorCode::kResourceNotFound, "Version " + version_id + " not found");
  }
  for (const auto& st : stages) {
    // AWSPREVIOUS only ever follows AWSCURRENT; an explicit request still attaches it.
    ARCANA_RETURN_IF_ERROR(Attach(s, *s.FindVersion(version_id), st));
  }
  return Status::Ok();
}

Status AttachStagesToNewValue(Secret& s, const std::string& version_id,
                              const std::vector<std::string>& stages) {
  if (std::find(stages.begin(), stages.end(), kCurrent) != stages.end()) {
    SecretVersion* old = s.FindStage(kCurrent);
    if (old != nullptr && old->version_id != version_id) {
      old->stages.erase(std::remove(old->stages.begin(), old->stages.end(), kPending),
                        old->stages.end());
    }
  }
  return AttachStages(s, version_id, stages);
}

std::string AbandonRotation(Secret& s) {
  SecretVersion* pending = s.FindStage(kPending);
  if (pending == nullptr) return "";
  std::string abandoned = pending->HasStage(kCurrent) ? "" : pending->version_id;
  if (!pending->has_value) {
    // The placeholder RotateSecret added: a version without value or label has no use.
    const std::string id = pending->version_id;
    std::erase_if(s.versions, [&](const SecretVersion& v) { return v.version_id == id; });
  } else {
    std::erase(pending->stages, std::string(kPending));
  }
  return abandoned;
}

Status MoveStage(Secret& s, const std::string& stage, const std::string& remove_from,
                 const std::string& move_to) {
  if (!remove_from.empty() && s.FindVersion(remove_from) == nullptr) {
    return Status(ErrorCode::kInvalidParameter, "Not a valid version: " + remove_from);
  }
  if (!move_to.empty() && s.FindVersion(move_to) == nullptr) {
    return Status(ErrorCode::kInvalidParameter, "Not a valid version: " + move_to);
  }
  SecretVersion* holder = s.FindStage(stage);
  // A label attached elsewhere leaves only by naming its version, also when the request
  // names no version at all (the model: "If the label is attached and you either do not
  // specify this parameter, or the version ID does not match, then the operation fails").
  if (remove_from.empty() && holder != nullptr && holder->version_id != move_to) {
    return Status(ErrorCode::kInvalidParameter,
                  "The parameter RemoveFromVersionId can't be empty. Staging label " + stage +
                      " is currently attached to version " + holder->version_id +
                      ", so you must explicitly reference that version in RemoveFromVersionId.");
  }
  if (!move_to.empty() && holder != nullptr && holder->version_id != move_to &&
      holder->version_id != remove_from) {
    return Status(ErrorCode::kInvalidParameter,
                  "The staging label " + stage + " is currently attached to version " +
                      holder->version_id +
                      ", so you must explicitly reference that version in RemoveFromVersionId.");
  }
  if (!remove_from.empty() && (holder == nullptr || holder->version_id != remove_from)) {
    return Status(ErrorCode::kInvalidParameter,
                  "The staging label " + stage + " is not attached to version " + remove_from +
                      ", so you can't remove it from that version.");
  }
  // Neither version named and the label attached nowhere: nothing to do.
  if (move_to.empty() && remove_from.empty()) return Status::Ok();
  if (move_to.empty()) {
    // Only detaching. AWSCURRENT cannot be left without a home.
    if (stage == kCurrent) {
      return Status(ErrorCode::kInvalidParameter,
                    "You can't remove the staging label AWSCURRENT without moving it to "
                    "another version (specify MoveToVersionId).");
    }
    Detach(s, stage);
    return Status::Ok();
  }
  if (stage != kCurrent && !remove_from.empty()) Detach(s, stage);
  return AttachStages(s, move_to, {stage});
}

std::vector<std::string> PruneVersions(Secret& s, int64_t now_ms) {
  std::vector<std::string> dropped;
  // versions are kept oldest first
  for (auto it = s.versions.begin(); it != s.versions.end() && s.versions.size() > kMaxVersions;) {
    if (it->stages.empty() && now_ms - it->created_ms >= kVersionMinAgeMs) {
      dropped.push_back(it->version_id);
      it = s.versions.erase(it);
    } else {
      ++it;
    }
  }
  return dropped;
}

Status CheckVersionQuota(const Secret& s, int64_t now_ms) {
  if (s.versions.size() < kMaxVersions) return Status::Ok();
  size_t removable = 0;
  for (const auto& v : s.versions) {
    if (v.stages.empty() && now_ms - v.created_ms >= kVersionMinAgeMs) ++removable;
  }
  if (s.versions.size() + 1 - removable > kMaxVersions) {
    return Status(ErrorCode::kLimitExceeded,
                  "You have exceeded the maximum number of versions (100) for this secret that "
                  "are less than 24 hours old. Try again later.");
  }
  return Status::Ok();
}

}  // namespace arcana::domain::sm
