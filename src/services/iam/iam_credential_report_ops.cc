// IAM's credential report: GenerateCredentialReport makes it (the account root and every
// user, their MFA and access keys: domain/iam/credential_report.h) and keeps it in the store
// (an entity of kind "credential-report", so every node answers the same report), and
// GetCredentialReport answers it while it is at most four hours old, as AWS does.
#include <algorithm>
#include <string>
#include <vector>

#include "crypto/base64.h"
#include "domain/iam/credential_report.h"
#include "domain/iam/password_policy.h"
#include "services/common/write_retry.h"
#include "services/iam/iam_service.h"
#include "storage/identity_codec.h"

namespace arcana::services::iam {

using domain::iam::CredentialReportKey;
using domain::iam::CredentialReportRow;
using storage::EntityWrite;

namespace {

constexpr const char* kReportKind = "credential-report";
constexpr const char* kReportName = "report";

struct StoredReport {
  int64_t generated_ms = 0;
  std::string csv;
};

Result<StoredReport> DecodeReport(const storage::IamEntity& e) {
  rapidjson::Document d;
  if (!json::ParseBounded(e.doc, &d).ok() || !d.IsObject()) {
    return Status(ErrorCode::kInternalServiceError, "corrupt credential report");
  }
  return StoredReport{json::IntField(d, "generated_ms"), json::StrField(d, "csv")};
}

storage::IamEntity EncodeReport(const std::string& account, const StoredReport& r) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("generated_ms");
  w.Int64(r.generated_ms);
  json::KV(w, "csv", r.csv);
  w.EndObject();
  return {account, kReportKind, kReportName, "", "/", json::Finish(buf), r.generated_ms, 0};
}

}  // namespace

Result<std::vector<storage::AccessKeyRecord>> IamService::RootKeysOf(const CallContext& ctx) {
  std::vector<storage::AccessKeyRecord> out;
  if (root_keys_ == nullptr) return out;
  const std::string root_arn = "arn:aws:iam::" + ctx.account + ":root";
  std::string after;
  while (true) {
    ARCANA_ASSIGN_OR_RETURN(auto rows, root_keys_->ListAccessKeys(after, 100));
    for (auto& k : rows) {
      if (k.account_id == ctx.account && k.principal_arn == root_arn) out.push_back(k);
    }
    if (rows.size() < 100) break;
    after = rows.back().access_key_id;
  }
  return out;
}

// The report's lines: the root (its own access keys, Arcana's root credentials, always
// active; no MFA device of its own here), then every user in name order with its MFA and its
// keys, oldest first, each key's last use the store's or this node's later one.
Result<std::string> IamService::MakeCredentialReport(const CallContext& ctx) {
  std::vector<CredentialReportRow> rows;
  CredentialReportRow root;
  root.root = true;
  root.arn = "arn:aws:iam::" + ctx.account + ":root";
  ARCANA_ASSIGN_OR_RETURN(auto root_keys, RootKeysOf(ctx));
  std::sort(root_keys.begin(), root_keys.end(),
            [](const auto& a, const auto& b) { return a.created_ms < b.created_ms; });
  for (const auto& k : root_keys) {
    CredentialReportKey key;
    key.active = true;
    key.created_ms = k.created_ms;
    if (key_uses_ != nullptr) {
      if (auto pending = key_uses_->Pending(k.access_key_id)) {
        key.last_used_ms = pending->when_ms;
        key.last_used_region = pending->region;
        key.last_used_service = pending->service;
      }
    }
    root.keys.push_back(std::move(key));
  }
  if (!root_keys.empty()) root.created_ms = root_keys.front().created_ms;
  rows.push_back(std::move(root));

  ARCANA_ASSIGN_OR_RETURN(auto policy, AccountPasswordPolicy(ctx));
  std::string after;
  while (true) {
    ARCANA_ASSIGN_OR_RETURN(auto users, store_.ListEntities(ctx.account, "user", "/", after, 1000));
    for (const auto& e : users) {
      ARCANA_ASSIGN_OR_RETURN(Identity u, storage::IdentityFromEntity(e));
      CredentialReportRow row;
      row.user = u.name;
      row.arn = u.Arn();
      row.created_ms = u.created_ms;
      row.mfa_active = !u.mfa_devices.empty();
      if (u.login) {
        row.password_enabled = true;
        row.password_changed_ms = u.login->changed_ms;
        row.password_next_rotation_ms = domain::iam::PasswordExpiresMs(policy, u.login->changed_ms);
      }
      ARCANA_ASSIGN_OR_RETURN(auto keys, store_.ListUserAccessKeys(ctx.account, u.name));
      std::sort(keys.begin(), keys.end(),
                [](const auto& a, const auto& b) { return a.created_ms < b.created_ms; });
      for (const auto& k : keys) {
        CredentialReportKey key;
        key.active = k.status == "Active";
        key.created_ms = k.created_ms;
        key.last_used_ms = k.last_used_ms;
        key.last_used_region = k.last_used_region;
        key.last_used_service = k.last_used_service;
        if (key_uses_ != nullptr) {
          if (auto pending = key_uses_->Pending(k.access_key_id);
              pending && pending->when_ms > key.last_used_ms) {
            key.last_used_ms = pending->when_ms;
            key.last_used_region = pending->region;
            key.last_used_service = pending->service;
          }
        }
        row.keys.push_back(std::move(key));
      }
      for (const auto& c : u.certificates) {
        row.certificates.emplace_back(c.status == "Active", c.uploaded_ms);
      }
      rows.push_back(std::move(row));
    }
    if (users.size() < 1000) break;
    after = users.back().name;
  }
  return domain::iam::CredentialReportCsv(rows);
}

// A report younger than four hours is kept ("COMPLETE", no Description, as recorded);
// otherwise one is made now and kept ("STARTED", with "No report exists. Starting a new report
// generation task" when there was none, AWS's words for the first call): it is ready for
// GetCredentialReport at once, and the next call answers COMPLETE, as AWS's does once its
// report is made. Nodes making one at the same time each
// write theirs; the later write wins, both complete.
Result<std::string> IamService::GenerateCredentialReport(const In&, const CallContext& ctx) {
  bool made = false, first = false;
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    made = false;
    ARCANA_ASSIGN_OR_RETURN(auto e, store_.GetEntity(ctx.account, kReportKind, kReportName));
    first = !e;
    int64_t revision = 0;
    if (e) {
      ARCANA_ASSIGN_OR_RETURN(StoredReport r, DecodeReport(*e));
      if (ctx.now_ms - r.generated_ms < domain::iam::kCredentialReportMaxAgeMs) return Status::Ok();
      revision = e->revision;
    }
    StoredReport fresh;
    fresh.generated_ms = ctx.now_ms;
    ARCANA_ASSIGN_OR_RETURN(fresh.csv, MakeCredentialReport(ctx));
    storage::IamEntity row = EncodeReport(ctx.account, fresh);
    row.revision = revision;
    made = true;
    return store_.WriteEntities({{EntityWrite::Op::kPut, std::move(row)}},
                                "GenerateCredentialReport");
  }));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  if (made) {
    json::KV(w, "State", "STARTED");
    if (first) {
      json::KV(w, "Description", "No report exists. Starting a new report generation task");
    }
  } else {
    json::KV(w, "State", "COMPLETE");
  }
  w.EndObject();
  return json::Finish(buf);
}

// Content (the CSV, a blob), ReportFormat "text/csv", GeneratedTime. No report made yet is
// ReportNotPresent (recorded: 410, no message), one older than four hours ReportExpired (410,
// as the model says).
Result<std::string> IamService::GetCredentialReport(const In&, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(auto e, store_.GetEntity(ctx.account, kReportKind, kReportName));
  // AWS's answers carry no message (recorded: {"Code": "ReportNotPresent", "Type": "Sender"}).
  if (!e) return Status(ErrorCode::kReportNotPresent, "");
  ARCANA_ASSIGN_OR_RETURN(StoredReport r, DecodeReport(*e));
  if (ctx.now_ms - r.generated_ms >= domain::iam::kCredentialReportMaxAgeMs) {
    return Status(ErrorCode::kReportExpired, "");
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "Content", crypto::Base64Encode(r.csv));
  json::KV(w, "ReportFormat", "text/csv");
  w.Key("GeneratedTime");
  json::WriteTimestamp(w, r.generated_ms);
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace arcana::services::iam
