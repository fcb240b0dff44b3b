#include "domain/iam/credential_report.h"

#include "common/civil_time.h"

namespace arcana::domain::iam {

namespace {

constexpr const char* kHeader =
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n";

// A time as the report writes it, 2015-10-27T22:13:40+00:00; "N/A" for none.
std::string When(int64_t ms) {
  if (ms <= 0) return "N/A";
  return FormatUtc(ms / 1000, "%Y-%m-%dT%H:%M:%S+00:00");
}

const char* Bool(bool b) { return b ? "true" : "false"; }

// A field as CSV writes it: names and ARNs hold no comma, quote or line break (IAM's name
// pattern), but a field that did would be quoted rather than shift the columns.
std::string Field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace

std::string CredentialReportCsv(const std::vector<CredentialReportRow>& rows) {
  std::string out = kHeader;
  for (const auto& r : rows) {
    out += r.root ? "<root_account>" : Field(r.user);
    out += "," + Field(r.arn) + "," + When(r.created_ms) + ",";
    // The root's password columns are "not_supported" as AWS writes them in its row; a user's
    // password was never used: Arcana has no console.
    if (r.root) {
      out += "not_supported,N/A,not_supported,not_supported,";
    } else if (r.password_enabled) {
      out += "true,no_information," + When(r.password_changed_ms) + "," +
             When(r.password_next_rotation_ms) + ",";
    } else {
      out += "false,N/A,N/A,N/A,";
    }
    out += Bool(r.mfa_active);
    for (size_t i = 0; i < 2; ++i) {
      if (i < r.keys.size()) {
        const auto& k = r.keys[i];
        out += std::string(",") + Bool(k.active) + "," + When(k.created_ms) + "," +
               When(k.last_used_ms) + "," +
               (k.last_used_ms > 0 ? Field(k.last_used_region) : "N/A") + "," +
               (k.last_used_ms > 0 ? Field(k.last_used_service) : "N/A");
      } else {
        out += ",false,N/A,N/A,N/A,N/A";
      }
    }
    for (size_t i = 0; i < 2; ++i) {
      if (i < r.certificates.size()) {
        out += std::string(",") + Bool(r.certificates[i].first) + "," +
               When(r.certificates[i].second);
      } else {
        out += ",false,N/A";
      }
    }
    out += "\n";
  }
  return out;
}

}  // namespace arcana::domain::iam
