// How `arcana scan` reports findings: a table for people, JSON for tools and baselines, and
// SARIF 2.1.0 for code-scanning UIs. Every form shows values redacted (finding.h Redact);
// nothing here ever writes a plaintext secret.
#pragma once

#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "scan/finding.h"
#include "scan/rule_set.h"

namespace arcana::scan {

enum class ReportFormat { kTable, kJson, kSarif };

// "table" | "json" | "sarif"; nullopt otherwise.
std::optional<ReportFormat> ParseReportFormat(const std::string& name);

void WriteTable(std::ostream& os, const std::vector<Finding>& findings);
// A JSON array; each element: rule_id, description, file, line, column, end_line, end_column,
// match and secret (redacted), entropy, fingerprint, tags, and commit/author/email/date in --git.
void WriteJson(std::ostream& os, const std::vector<Finding>& findings);
// One run; tool.driver.rules lists every rule of `rules` (ruleIndex points into it).
void WriteSarif(std::ostream& os, const std::vector<Finding>& findings, const RuleSet& rules,
                const std::string& version);

// The fingerprints a baseline file suppresses: a JSON report of `arcana scan --format json`
// (its "fingerprint" members), or a gitleaks JSON report (fingerprints recomputed from its
// RuleID, File, Commit and Secret). Errors: kValidation (unreadable, not JSON, neither shape).
Result<std::set<std::string>> LoadBaseline(const std::string& path);

}  // namespace arcana::scan
