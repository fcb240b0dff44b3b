#include "domain/iam/mfa.h"

#include <algorithm>

#include "auth/sigv4.h"
#include "crypto/totp.h"

namespace arcana::domain::iam {

namespace {

constexpr std::string_view kSerialPrefix = "arn:aws:iam::";
constexpr std::string_view kSerialResource = ":mfa/";

}  // namespace

std::optional<MfaSerial> ParseMfaSerial(std::string_view serial) {
  if (!serial.starts_with(kSerialPrefix)) return std::nullopt;
  serial.remove_prefix(kSerialPrefix.size());
  const size_t resource = serial.find(kSerialResource);
  if (resource == std::string_view::npos || resource == 0) return std::nullopt;
  MfaSerial out;
  out.account = std::string(serial.substr(0, resource));
  // "/PATH/NAME" after ":mfa": the path is everything up to the last '/'.
  const std::string_view rest = serial.substr(resource + kSerialResource.size() - 1);
  const size_t last = rest.rfind('/');
  if (last + 1 >= rest.size()) return std::nullopt;
  out.path = std::string(rest.substr(0, last + 1));
  out.name = std::string(rest.substr(last + 1));
  return out;
}

std::optional<int64_t> MatchConsecutiveCodes(std::string_view seed, std::string_view code1,
                                             std::string_view code2, int64_t now_step,
                                             int64_t back, int64_t ahead) {
  int64_t last = now_step + ahead;
  while (true) {
    auto first = crypto::FindTotpStep(seed, code1, now_step - back, last);
    if (!first) return std::nullopt;
    if (crypto::FindTotpStep(seed, code2, *first + 1, *first + 1)) return *first + 1;
    last = *first - 1;  // an earlier step may show the same code1
  }
}

std::optional<int64_t> AcceptMfaCode(std::string_view seed, const MfaDevice& device,
                                     std::string_view code, int64_t now_ms) {
  const int64_t device_step = crypto::TotpStep(now_ms / 1000) + device.drift_steps;
  const int64_t first = std::max(device_step - 1, device.last_step + 1);
  return crypto::FindTotpStep(seed, code, first, device_step + 1);
}

bool MfaCodesLocked(const MfaDevice& device, int64_t now_ms) {
  if (device.failed_codes <= 0 || device.failed_codes % kMaxWrongCodesPerStep != 0) return false;
  const int64_t rounds = device.failed_codes / kMaxWrongCodesPerStep;  // 1, 2, 3, ...
  const int64_t lock_steps = rounds > 7 ? kMaxMfaLockSteps
                                        : std::min<int64_t>(int64_t{1} << (rounds - 1), kMaxMfaLockSteps);
  return crypto::TotpStep(now_ms / 1000) < device.failed_step + lock_steps;
}

void CountWrongMfaCode(MfaDevice& device, int64_t now_ms) {
  device.failed_step = crypto::TotpStep(now_ms / 1000);  // the latest wrong code's step
  ++device.failed_codes;
}

void ClearWrongMfaCodes(MfaDevice& device) {
  device.failed_step = 0;
  device.failed_codes = 0;
}

std::string OtpauthUri(std::string_view device_name, std::string_view account_label,
                       std::string_view base32_seed) {
  return "otpauth://totp/Amazon%20Web%20Services:" + auth::UriEncode(device_name, /*encode_slash=*/true) + "@" +
         auth::UriEncode(account_label, /*encode_slash=*/true) + "?secret=" + std::string(base32_seed) +
         "&issuer=Amazon%20Web%20Services";
}

}  // namespace arcana::domain::iam
