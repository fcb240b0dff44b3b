// IAM virtual MFA devices: a TOTP seed an authenticator app holds (domain/iam/mfa.h), created
// unassigned, then enabled for one user with two consecutive codes; STS's GetSessionToken and
// AssumeRole then take a code of it (services/sts/mfa_check.h), and policies can require it
// (aws:MultiFactorAuthPresent, aws:MultiFactorAuthAge).
//
// A device is stored as an entity of kind "mfa-device" named by its name, its serial number
// the entity's id (storage/identity_codec.h); its seed is the entity's sealed secret, shown
// once (CreateVirtualMFADevice) and opened only to check a code. The user keeps the serial
// numbers of its devices, written in the same store write as the device's assignment.
//
// The answers and refusals are AWS's as LocalStack's AWS-validated test_iam_mfa.py recorded
// them (2026-02), or as real AWS output quoted in users' reports; where neither says, the
// source of a rule is named where it is applied.
#include <algorithm>
#include <string>
#include <vector>

#include "common/qr_png.h"
#include "crypto/base64.h"
#include "crypto/random.h"
#include "crypto/secure_memory.h"
#include "crypto/totp.h"
#include "domain/iam/mfa.h"
#include "services/common/write_retry.h"
#include "services/iam/iam_service.h"
#include "storage/identity_codec.h"

namespace arcana::services::iam {

using domain::iam::MfaDevice;
using storage::EntityWrite;

namespace {

// 40 random bytes: the 64 base32 characters AWS's seeds have.
constexpr size_t kSeedBytes = 40;

Status NoSuchDevice(const std::string& serial) {
  // Recorded (DeactivateMFADevice, DeleteVirtualMFADevice).
  return Status(ErrorCode::kResourceNotFound,
                "MFA Device with serial number " + serial + " does not exist.");
}

// Quoted from AWS by users (InvalidAuthenticationCode, 403 in the model).
Status InvalidCodes() {
  return Status(ErrorCode::kInvalidAuthenticationCode,
                "Authentication code for device is not valid.");
}

// The row that counts an enabled device (storage::kMfaInUseKind), as created.
storage::IamEntity InUseRow(const MfaDevice& d) {
  return {d.account, storage::kMfaInUseKind, d.name, "", "/", "{}", d.enabled_ms, 0};
}

// A device's entry in ListVirtualMFADevices/ListMFADevices: EnableDate while assigned.
void WriteEnableDate(json::Writer& w, const MfaDevice& d) {
  w.Key("EnableDate");
  json::WriteTimestamp(w, d.enabled_ms);
}

}  // namespace

// The device a serial number names in the caller's account: NoSuchEntity in AWS's words for
// anything else (another account's, a malformed serial, a name whose path differs).
Result<MfaDevice> IamService::LoadMfaDevice(const CallContext& ctx, const std::string& serial,
                                            storage::IamEntity* entity) {
  auto parsed = domain::iam::ParseMfaSerial(serial);
  if (!parsed || parsed->account != ctx.account) return NoSuchDevice(serial);
  ARCANA_ASSIGN_OR_RETURN(auto e, store_.GetEntity(ctx.account, storage::kMfaDeviceKind,
                                                   parsed->name));
  if (!e || e->id != serial) return NoSuchDevice(serial);
  if (entity != nullptr) *entity = *e;
  return storage::MfaDeviceFromEntity(*e);
}

// The device's seed, opened for as long as the caller holds it.
Result<crypto::SecretString> IamService::MfaSeed(const storage::IamEntity& device) {
  return resolver_.OpenEntitySecret(device);
}

// Recorded: the answer is SerialNumber, Base32StringSeed and QRCodePNG (both blobs: the
// base32 text of the seed, and a PNG of the otpauth:// URI); Tags when some were given. The
// name is unique in the account (the API reference: "The name of the virtual MFA device,
// which must be unique"): a taken one is EntityAlreadyExists "MFA device already exists.",
// as recorded, whatever the path. The path is checked as a user's (recorded words).
Result<std::string> IamService::CreateVirtualMFADevice(const In& in, const CallContext& ctx) {
  MfaDevice d;
  d.account = ctx.account;
  d.name = in.Str("VirtualMFADeviceName").value_or("");
  ARCANA_RETURN_IF_ERROR(CheckName(d.name, "virtualMFADeviceName"));
  d.path = in.Str("Path").value_or("/");
  ARCANA_RETURN_IF_ERROR(CheckPath(d.path));
  ARCANA_RETURN_IF_ERROR(CheckTags(in.Get("Tags")));
  d.tags = TagsOf(in.Get("Tags"));
  d.created_ms = ctx.now_ms;

  std::string raw_seed = crypto::RandomBytes(kSeedBytes);
  const crypto::SecretString seed = crypto::SecretString::Take(raw_seed);
  std::string base32_text = crypto::Base32Encode(seed.view());
  const crypto::SecretString base32 = crypto::SecretString::Take(base32_text);
  EntityWrite write{EntityWrite::Op::kPut, storage::ToEntity(d), QuotaOf(storage::kMfaDeviceKind)};
  ARCANA_ASSIGN_OR_RETURN(write.sealed_secret, resolver_.SealEntitySecret(write.entity, seed.view()));
  ARCANA_ASSIGN_OR_RETURN(std::string account_label, AccountLabel(ctx));
  std::string uri_text = domain::iam::OtpauthUri(d.name, account_label, base32.view());
  const crypto::SecretString uri = crypto::SecretString::Take(uri_text);
  ARCANA_ASSIGN_OR_RETURN(std::string png, QrCodePng(uri.view()));

  Status st = WriteEntities(ctx, {std::move(write)}, "CreateVirtualMFADevice");
  if (st.code() == ErrorCode::kResourceExists) {
    return Status(ErrorCode::kResourceExists, "MFA device already exists.");
  }
  ARCANA_RETURN_IF_ERROR(st);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("VirtualMFADevice");
  w.StartObject();
  json::KV(w, "SerialNumber", d.SerialNumber());
  json::KV(w, "Base32StringSeed", crypto::Base64Encode(base32.view()));
  json::KV(w, "QRCodePNG", crypto::Base64Encode(png));
  if (!d.tags.empty()) WriteTags(w, d.tags);
  w.EndObject();
  w.EndObject();
  return json::Finish(buf);
}

// The API reference: "You must deactivate a user's virtual MFA device before you can delete
// it." (DeleteConflict; AWS's words for it were not recorded: these are the ones an IAM clone
// that copies AWS's texts answers).
Result<std::string> IamService::DeleteVirtualMFADevice(const In& in, const CallContext& ctx) {
  const std::string serial = *in.Str("SerialNumber");
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(MfaDevice d, LoadMfaDevice(ctx, serial));
    if (!d.user.empty()) {
      return Status(ErrorCode::kConflict, "MFA VirtualDevice in use. Must deactivate first.");
    }
    return WriteEntities(ctx, {{EntityWrite::Op::kDelete, storage::ToEntity(d)}},
                         "DeleteVirtualMFADevice");
  }));
  return std::string("{}");
}

// Recorded order of the checks: the user (NoSuchEntity even with made-up codes), the device,
// whether it is in use ("MFA Device is already in use.", EntityAlreadyExists, for any user),
// then the codes. AWS allows a user up to eight MFA devices (IAM User Guide); the ninth is
// LimitExceeded (AWS's words not recorded; IAM's quota wording).
Result<std::string> IamService::EnableMFADevice(const In& in, const CallContext& ctx) {
  const std::string user_name = *in.Str("UserName");
  const std::string serial = *in.Str("SerialNumber");
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(Identity user, Load(ctx, "user", user_name));
    storage::IamEntity entity;
    ARCANA_ASSIGN_OR_RETURN(MfaDevice d, LoadMfaDevice(ctx, serial, &entity));
    if (!d.user.empty()) {
      return Status(ErrorCode::kResourceExists, "MFA Device is already in use.");
    }
    if (user.mfa_devices.size() >= domain::iam::kMaxMfaDevicesPerUser) {
      return Status(ErrorCode::kLimitExceeded,
                    "Cannot exceed quota for MFADevicesPerUser: " +
                        std::to_string(domain::iam::kMaxMfaDevicesPerUser));
    }
    ARCANA_ASSIGN_OR_RETURN(auto step, MatchCodes(ctx, entity, in, domain::iam::kEnableStepsBack,
                                                  domain::iam::kEnableStepsAhead));
    d.user = user.name;
    d.user_id = user.id;
    d.enabled_ms = ctx.now_ms;
    d.last_step = step;
    d.drift_steps = step - crypto::TotpStep(ctx.now_ms / 1000);
    user.mfa_devices.push_back(serial);
    std::vector<EntityWrite> writes{{EntityWrite::Op::kPut, storage::ToEntity(d)},
                                    {EntityWrite::Op::kPut, storage::ToEntity(user)}};
    // A row left by an older deactivation (none should be) is replaced at its revision.
    storage::IamEntity in_use = InUseRow(d);
    ARCANA_ASSIGN_OR_RETURN(auto stale, store_.GetEntity(ctx.account, storage::kMfaInUseKind,
                                                         d.name));
    if (stale) in_use.revision = stale->revision;
    writes.push_back({EntityWrite::Op::kPut, std::move(in_use)});
    return WriteEntities(ctx, std::move(writes), "EnableMFADevice");
  }));
  return std::string("{}");
}

// The step of AuthenticationCode2 when the two codes are consecutive codes of the device
// within [now - back, now + ahead] steps and later than any code it accepted before.
Result<int64_t> IamService::MatchCodes(const CallContext& ctx, const storage::IamEntity& device,
                                       const In& in, int64_t back, int64_t ahead) {
  ARCANA_ASSIGN_OR_RETURN(MfaDevice d, storage::MfaDeviceFromEntity(device));
  ARCANA_ASSIGN_OR_RETURN(crypto::SecretString seed, MfaSeed(device));
  auto step = domain::iam::MatchConsecutiveCodes(
      seed.view(), in.Str("AuthenticationCode1").value_or(""),
      in.Str("AuthenticationCode2").value_or(""), crypto::TotpStep(ctx.now_ms / 1000), back,
      ahead);
  if (!step || *step <= d.last_step) return InvalidCodes();
  return *step;
}

// The user's device, or NoSuchEntity: the user first (recorded), then the device (recorded),
// then whether it is that user's (AWS's words not recorded: an IAM clone's, "MFA Device
// invalid for user.").
Result<MfaDevice> IamService::LoadUsersMfaDevice(const CallContext& ctx, Identity& user,
                                                 const std::string& serial,
                                                 storage::IamEntity* entity) {
  ARCANA_ASSIGN_OR_RETURN(MfaDevice d, LoadMfaDevice(ctx, serial, entity));
  if (d.user_id != user.id ||
      std::find(user.mfa_devices.begin(), user.mfa_devices.end(), serial) ==
          user.mfa_devices.end()) {
    return Status(ErrorCode::kResourceNotFound, "MFA Device invalid for user.");
  }
  return d;
}

// Recorded: the device is unassigned, not deleted (ListVirtualMFADevices lists it as
// Unassigned; its name stays taken until DeleteVirtualMFADevice). Without UserName (the newer
// models make it optional, for the root's devices) the device's own user is meant.
Result<std::string> IamService::DeactivateMFADevice(const In& in, const CallContext& ctx) {
  const std::string serial = *in.Str("SerialNumber");
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    std::string user_name = in.Str("UserName").value_or("");
    if (user_name.empty()) {
      ARCANA_ASSIGN_OR_RETURN(MfaDevice d, LoadMfaDevice(ctx, serial));
      if (d.user.empty()) return Status(ErrorCode::kResourceNotFound, "MFA Device invalid for user.");
      user_name = d.user;
    }
    ARCANA_ASSIGN_OR_RETURN(Identity user, Load(ctx, "user", user_name));
    ARCANA_ASSIGN_OR_RETURN(MfaDevice d, LoadUsersMfaDevice(ctx, user, serial));
    std::erase(user.mfa_devices, serial);
    d.user.clear();
    d.user_id.clear();
    d.enabled_ms = 0;
    d.drift_steps = 0;
    std::vector<EntityWrite> writes{{EntityWrite::Op::kPut, storage::ToEntity(d)},
                                    {EntityWrite::Op::kPut, storage::ToEntity(user)}};
    ARCANA_ASSIGN_OR_RETURN(auto in_use, store_.GetEntity(ctx.account, storage::kMfaInUseKind,
                                                          d.name));
    if (in_use) writes.push_back({EntityWrite::Op::kDelete, *in_use});
    return WriteEntities(ctx, std::move(writes), "DeactivateMFADevice");
  }));
  return std::string("{}");
}

// Two consecutive codes within a day either way of now: the device's clock may have drifted,
// and the drift found is what STS's checks allow for from now on.
Result<std::string> IamService::ResyncMFADevice(const In& in, const CallContext& ctx) {
  const std::string serial = *in.Str("SerialNumber");
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(Identity user, Load(ctx, "user", *in.Str("UserName")));
    storage::IamEntity entity;
    ARCANA_ASSIGN_OR_RETURN(MfaDevice d, LoadUsersMfaDevice(ctx, user, serial, &entity));
    ARCANA_ASSIGN_OR_RETURN(auto step, MatchCodes(ctx, entity, in, domain::iam::kResyncSteps,
                                                  domain::iam::kResyncSteps));
    d.last_step = step;
    d.drift_steps = step - crypto::TotpStep(ctx.now_ms / 1000);
    return WriteEntities(ctx, {{EntityWrite::Op::kPut, storage::ToEntity(d)}},
                         "ResyncMFADevice");
  }));
  return std::string("{}");
}

// Recorded: AssignmentStatus defaults to Any; an unassigned device is {SerialNumber}, an
// assigned one adds EnableDate and User {Path, UserName, UserId, Arn, CreateDate}; a Marker
// that names no device is ValidationError "Invalid Marker.". Devices in name order, without
// their tags (the API reference: "this operation does not return tags, even though they are
// an attribute of the returned object").
Result<std::string> IamService::ListVirtualMFADevices(const In& in, const CallContext& ctx) {
  const std::string status = in.Str("AssignmentStatus").value_or("Any");
  Page page = PageOf(in);
  page.max_items = std::max<size_t>(page.max_items, 1);
  if (!page.marker.empty()) {
    ARCANA_ASSIGN_OR_RETURN(auto at, store_.GetEntity(ctx.account, storage::kMfaDeviceKind,
                                                      page.marker));
    if (!at) return Status(ErrorCode::kValidation, "Invalid Marker.");
  }
  std::vector<MfaDevice> listed;
  bool truncated = false;
  for (std::string after = page.marker;;) {
    ARCANA_ASSIGN_OR_RETURN(auto rows, store_.ListEntities(ctx.account, storage::kMfaDeviceKind,
                                                           "/", after, 1000));
    for (const auto& e : rows) {
      ARCANA_ASSIGN_OR_RETURN(MfaDevice d, storage::MfaDeviceFromEntity(e));
      const bool assigned = !d.user.empty();
      if ((status == "Assigned" && !assigned) || (status == "Unassigned" && assigned)) continue;
      if (listed.size() == page.max_items) {
        truncated = true;
        break;
      }
      listed.push_back(std::move(d));
    }
    if (truncated || rows.size() < 1000) break;
    after = rows.back().name;
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("VirtualMFADevices");
  w.StartArray();
  for (const auto& d : listed) {
    w.StartObject();
    json::KV(w, "SerialNumber", d.SerialNumber());
    if (!d.user.empty()) {
      auto user = Load(ctx, "user", d.user);
      if (user.ok()) {
        w.Key("User");
        WriteUser(w, *user, View::kListed);
      } else if (user.status().code() != ErrorCode::kResourceNotFound) {
        return user.status();
      }
      WriteEnableDate(w, d);
    }
    w.EndObject();
  }
  w.EndArray();
  WritePageEnd(w, Slice{0, 0, truncated, truncated ? listed.back().name : ""});
  w.EndObject();
  return json::Finish(buf);
}

// Recorded entries {UserName, SerialNumber, EnableDate}, in the order they were enabled.
// Without UserName the calling user's (the API reference: "IAM determines the user name
// implicitly based on the Amazon Web Services access key ID signing the request"); the
// account root's virtual devices are not kept here, so the root gets an empty list.
Result<std::string> IamService::ListMFADevices(const In& in, const CallContext& ctx) {
  std::string user_name = in.Str("UserName").value_or("");
  if (user_name.empty() && ctx.principal) user_name = ctx.principal->user_name;
  std::vector<std::string> serials;
  Identity user;
  if (!user_name.empty()) {
    ARCANA_ASSIGN_OR_RETURN(user, Load(ctx, "user", user_name));
    serials = user.mfa_devices;
  }
  ARCANA_ASSIGN_OR_RETURN(Slice slice, SliceOf(PageOf(in), serials));
  std::vector<MfaDevice> devices;
  for (size_t i = slice.begin; i < slice.end; ++i) {
    ARCANA_ASSIGN_OR_RETURN(MfaDevice d, LoadMfaDevice(ctx, serials[i]));
    devices.push_back(std::move(d));
  }
  return PagedListAnswer(slice, "MFADevices", [&](json::Writer& w, size_t i) {
    const MfaDevice& d = devices[i - slice.begin];
    w.StartObject();
    json::KV(w, "UserName", user.name);
    json::KV(w, "SerialNumber", d.SerialNumber());
    WriteEnableDate(w, d);
    w.EndObject();
  });
}

// The API reference: UserName, SerialNumber, EnableDate (and Certifications, which only a FIDO
// security key has). Without UserName the device's own user.
Result<std::string> IamService::GetMFADevice(const In& in, const CallContext& ctx) {
  const std::string serial = *in.Str("SerialNumber");
  MfaDevice d;
  if (auto user_name = in.Str("UserName")) {
    ARCANA_ASSIGN_OR_RETURN(Identity user, Load(ctx, "user", *user_name));
    ARCANA_ASSIGN_OR_RETURN(d, LoadUsersMfaDevice(ctx, user, serial));
  } else {
    ARCANA_ASSIGN_OR_RETURN(d, LoadMfaDevice(ctx, serial));
    if (d.user.empty()) return NoSuchDevice(serial);
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "UserName", d.user);
  json::KV(w, "SerialNumber", d.SerialNumber());
  WriteEnableDate(w, d);
  w.EndObject();
  return json::Finish(buf);
}

// Tags as a user's are checked (keys case-insensitive); over 50 is LimitExceeded in the words
// IAM uses for its other entities' tag quotas.
Result<std::string> IamService::TagMFADevice(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(CheckTags(in.Get("Tags")));
  const auto tags = TagsOf(in.Get("Tags"));
  ARCANA_RETURN_IF_ERROR(UpdateMfaDevice(ctx, *in.Str("SerialNumber"), "TagMFADevice",
                                         [&](MfaDevice& d) -> Status {
                                           domain::iam::MergeTags(d.tags, tags);
                                           if (d.tags.size() > kMaxTags) {
                                             return Status(ErrorCode::kLimitExceeded,
                                                           "Cannot exceed quota for "
                                                           "TagsPerMFADevice: 50");
                                           }
                                           return Status::Ok();
                                         }));
  return std::string("{}");
}

Result<std::string> IamService::UntagMFADevice(const In& in, const CallContext& ctx) {
  const auto keys = in.StrList("TagKeys").value_or(std::vector<std::string>{});
  ARCANA_RETURN_IF_ERROR(CheckTagKeys(keys));
  ARCANA_RETURN_IF_ERROR(UpdateMfaDevice(ctx, *in.Str("SerialNumber"), "UntagMFADevice",
                                         [&](MfaDevice& d) -> Status {
                                           domain::iam::RemoveTagKeys(d.tags, keys);
                                           return Status::Ok();
                                         }));
  return std::string("{}");
}

Result<std::string> IamService::ListMFADeviceTags(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(MfaDevice d, LoadMfaDevice(ctx, *in.Str("SerialNumber")));
  return TagListAnswer(d.tags, in);
}

Status IamService::UpdateMfaDevice(const CallContext& ctx, const std::string& serial,
                                   const char* op, const std::function<Status(MfaDevice&)>& change) {
  return RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(MfaDevice d, LoadMfaDevice(ctx, serial));
    ARCANA_RETURN_IF_ERROR(change(d));
    return WriteEntities(ctx, {{EntityWrite::Op::kPut, storage::ToEntity(d)}}, op);
  });
}

}  // namespace arcana::services::iam
