// The matching engine of `arcana scan`: one Vectorscan (Hyperscan) database holds every
// rule's regex plus every rule keyword (literal, caseless), so one pass over a fragment finds
// the keywords present and the candidate match ends of all rules at once. Each candidate is
// then confirmed, and its capture groups extracted, by RE2 over the candidate's line (or the
// lines before it for multi-line rules such as PEM keys). A regex Vectorscan cannot compile
// exactly is compiled in its prefilter mode (a superset that RE2 narrows); one it cannot
// compile at all is run by RE2 alone, and only on fragments that contain one of its keywords.
//
// Thread-safety: an Engine is immutable after Create and shared by all scanning threads;
// each thread needs its own Scratch (NewScratch).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "scan/finding.h"
#include "scan/rule_set.h"

namespace arcana::scan {

// What is being scanned, for paths, allowlists and --git metadata.
struct Fragment {
  std::string_view data;
  std::string path;
  // --git: the commit and, for each line of `data` (0-based), its line number in the file.
  std::string commit, author, email, date;
  std::vector<uint32_t> line_numbers;
  // Outside --git: lines of `data` are numbered from line_base + 1 (stdin chunks).
  size_t line_base = 0;
};

struct EngineStats {
  size_t rules = 0;
  size_t vectorscan_exact = 0;      // compiled exactly
  size_t vectorscan_prefilter = 0;  // compiled as a prefilter, confirmed by RE2
  size_t re2_only = 0;              // run by RE2 over fragments holding a keyword
};

class Engine {
 public:
  class Scratch;  // per-thread Vectorscan scratch and match buffers
  struct ScratchDeleter {
    void operator()(Scratch* s) const;
  };
  using ScratchPtr = std::unique_ptr<Scratch, ScratchDeleter>;

  // Compiles the rule set. Errors: kInternalFailure when Vectorscan cannot allocate.
  static Result<std::unique_ptr<Engine>> Create(RuleSet rules);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  ScratchPtr NewScratch() const;
  // Appends the findings in `fragment` to *out, ordered by offset. Inline `arcana:allow`
  // (or `gitleaks:allow`) on a line drops what starts on it; allowlists and validators apply.
  void Scan(Scratch& scratch, const Fragment& fragment, std::vector<Finding>* out) const;

  const RuleSet& rules() const { return rules_; }
  const EngineStats& stats() const { return stats_; }

 private:
  struct Impl;
  explicit Engine(RuleSet rules);

  RuleSet rules_;
  EngineStats stats_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace arcana::scan
