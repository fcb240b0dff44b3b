// IAM's credential report (GenerateCredentialReport / GetCredentialReport): one CSV line per
// identity of the account, the root first, saying which credentials it has and when they were
// last rotated and used, in the columns and spellings AWS documents ("Getting credential
// reports for your AWS account", IAM User Guide). No I/O: services/iam gathers the rows.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace arcana::domain::iam {

// How long a report is answered before it is made again, and before GetCredentialReport
// calls it expired (the API reference: "If the credential report was generated in the last
// four hours, then the existing report is returned").
inline constexpr int64_t kCredentialReportMaxAgeMs = 4LL * 3600 * 1000;

struct CredentialReportKey {
  bool active = false;
  int64_t created_ms = 0;     // access_key_N_last_rotated
  int64_t last_used_ms = 0;   // 0 = never used
  std::string last_used_region;
  std::string last_used_service;
};

struct CredentialReportRow {
  bool root = false;         // the account root: "<root_account>", its password "not_supported"
  std::string user;          // the user's name (ignored for the root)
  std::string arn;
  int64_t created_ms = 0;    // user_creation_time; 0 = not known ("N/A")
  // A user's console password (a login profile): when it was set, and when it must be changed
  // (0: never); password_last_used is "no_information" (Arcana has no console).
  bool password_enabled = false;
  int64_t password_changed_ms = 0;
  int64_t password_next_rotation_ms = 0;
  bool mfa_active = false;
  // At most two are reported (AWS allows two per user), the oldest first.
  std::vector<CredentialReportKey> keys;
  // Signing certificates, the same way: whether each is active, and when it was uploaded.
  std::vector<std::pair<bool, int64_t>> certificates;
};

// The header line, then a line per row, each ended by "\n".
std::string CredentialReportCsv(const std::vector<CredentialReportRow>& rows);

}  // namespace arcana::domain::iam
