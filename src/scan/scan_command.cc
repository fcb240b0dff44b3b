#include "scan/scan_command.h"

#include <fstream>
#include <iostream>

#include "scan/progress_line.h"
#include "scan/report.h"
#include "scan/scanner.h"

namespace arcana::scan {

namespace {
constexpr const char* kToolVersion = "0.1.0";
}

ScanCommand::ScanCommand(CLI::App& app) {
  cmd_ = app.add_subcommand("scan", "find hard-coded secrets in files, trees or git history "
                                    "(exit 1 when found, 0 clean, 2 error)");
  cmd_->add_option("paths", paths_, "files, directories or - for stdin (default .); with "
                                    "--git, the repository");
  cmd_->add_flag("--git", git_, "scan every commit's added lines instead of the tree");
  cmd_->add_option("--branch", branch_, "with --git: the revision to walk from (default HEAD)");
  cmd_->add_option("--since", since_, "with --git: only commits at or after DATE "
                                      "(YYYY-MM-DD, ISO 8601 or epoch seconds)");
  cmd_->add_option("--rules", rules_, "a gitleaks-format TOML rule file");
  cmd_->add_option("--baseline", baseline_, "a JSON report whose findings are suppressed");
  cmd_->add_option("--format", format_, "table, json or sarif")->capture_default_str();
  cmd_->add_option("--output,-o", output_, "write the report to FILE instead of stdout");
  cmd_->add_flag("--no-gitignore", no_gitignore_, "scan files .gitignore excludes too");
  // Bounded: the MiB were shifted into bytes (a huge value wrapped to 0 and skipped every
  // file: "no secrets found", exit 0) and a scan takes at most 4 GiB in one piece.
  cmd_->add_option("--max-file-size", max_file_mib_, "skip files larger than this (MiB)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{4095}))
      ->capture_default_str();
  // Bounded: each thread gets a scratch and a result vector up front (4000000000 aborted on
  // std::bad_alloc, exit 134 instead of a usage error).
  cmd_->add_option("--threads", threads_, "scanning threads (default: one per core)")
      ->check(CLI::Range(0u, 256u));
}

std::optional<int> ScanCommand::Run() {
  if (!cmd_->parsed()) return std::nullopt;
  auto fail = [](const std::string& msg) {
    std::cerr << "arcana scan: " << msg << "\n";
    return 2;
  };
  auto format = ParseReportFormat(format_);
  if (!format) return fail("--format must be table, json or sarif");
  ScanRequest req;
  req.tree.paths = paths_.empty() ? std::vector<std::string>{"."} : paths_;
  req.tree.max_file_bytes = max_file_mib_ << 20;
  req.tree.use_gitignore = !no_gitignore_;
  req.tree.threads = threads_;
  req.git = git_;
  req.git_opts.branch = branch_;
  if (!since_.empty()) {
    auto since = ParseSince(since_);
    if (!since) return fail("--since: expected YYYY-MM-DD, ISO 8601 or epoch seconds");
    req.git_opts.since = *since;
  }
  if (!git_ && (!branch_.empty() || !since_.empty())) return fail("--branch/--since need --git");
  req.rules_file = rules_;
  req.baseline_file = baseline_;

  ScanProgress progress;
  // The progress line ends (its thread joined) before the report is printed.
  Result<ScanRun> run = [&] {
    ProgressLine line(progress);
    return RunScan(req, &progress);
  }();
  if (!run.ok()) return fail(run.status().message());
  // Skipped files are not clean files: say so, or a binary, oversized or unreadable file
  // passes the gate unremarked.
  if (uint64_t skipped = progress.skipped.load(); skipped != 0) {
    std::cerr << "arcana scan: " << skipped << (skipped == 1 ? " file" : " files")
              << " not scanned (binary, larger than --max-file-size, symbolic links, or "
                 "unreadable files and directories)\n";
  }
  if (uint64_t n = progress.ignore_files_unread.load(); n != 0) {
    std::cerr << "arcana scan: " << n << " ignore " << (n == 1 ? "file" : "files") << " over "
              << (kMaxIgnoreFileBytes >> 20) << " MiB not read: their patterns were not applied\n";
  }
  // History the clone does not hold was not scanned: say so rather than pass it as clean.
  if (uint64_t n = progress.shallow.load(); n != 0) {
    std::cerr << "arcana scan: shallow clone: the history before " << n
              << (n == 1 ? " commit" : " commits")
              << " is not in the repository and was not scanned (git fetch --unshallow)\n";
  }

  std::ofstream file;
  if (!output_.empty()) {
    file.open(output_, std::ios::trunc);
    if (!file) return fail("cannot write " + output_);
  }
  std::ostream& os = output_.empty() ? std::cout : file;
  switch (*format) {
    case ReportFormat::kTable:
      WriteTable(os, run->findings);
      break;
    case ReportFormat::kJson:
      WriteJson(os, run->findings);
      break;
    case ReportFormat::kSarif:
      WriteSarif(os, run->findings, run->engine->rules(), kToolVersion);
      break;
  }
  os.flush();
  if (!os) return fail("write failed");
  return run->findings.empty() ? 0 : 1;
}

}  // namespace arcana::scan
