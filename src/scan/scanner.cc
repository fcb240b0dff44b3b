#include "scan/scanner.h"

#include <algorithm>

#include "scan/report.h"

namespace arcana::scan {

Result<ScanRun> RunScan(const ScanRequest& req, ScanProgress* progress) {
  RuleSet rules;
  if (req.rules_file.empty()) {
    rules = BuiltinRuleSet();
  } else {
    auto loaded = LoadGitleaksFile(req.rules_file);
    if (!loaded.ok()) return loaded.status();
    rules = std::move(*loaded);
  }
  std::set<std::string> baseline;
  if (!req.baseline_file.empty()) {
    auto b = LoadBaseline(req.baseline_file);
    if (!b.ok()) return b.status();
    baseline = std::move(*b);
  }
  auto engine = Engine::Create(std::move(rules));
  if (!engine.ok()) return engine.status();
  ScanRun run;
  run.engine = std::move(*engine);
  Status st;
  if (req.git) {
    GitScanOptions g = req.git_opts;
    g.repo = req.tree.paths.empty() ? "." : req.tree.paths.front();
    g.max_file_bytes = req.tree.max_file_bytes;
    g.threads = req.tree.threads;
    st = ScanGitHistory(*run.engine, g, progress, &run.findings);
  } else {
    st = ScanTree(*run.engine, req.tree, progress, &run.findings);
  }
  if (!st.ok()) return st;
  if (!baseline.empty()) {
    std::erase_if(run.findings,
                  [&](const Finding& f) { return baseline.count(f.Fingerprint()) != 0; });
  }
  return run;
}

}  // namespace arcana::scan
