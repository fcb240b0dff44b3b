// .gitignore semantics for the tree walk: one IgnoreRules per .gitignore file (its patterns
// relative to the directory holding it), evaluated root first so that a deeper file and a
// later line win, as in git. Supports comments, `!` negation, trailing `/` (directories only),
// anchoring by a `/` inside the pattern, `*`, `?`, `[...]` and `**` (leading, trailing and
// between slashes). A directory that is ignored is not entered, so nothing under it can be
// re-included (git's rule too).
// Thread-safety: immutable after Parse.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace arcana::scan {

// Shell-style glob match of a path (`*` and `?` never cross '/', `**` does).
bool GlobMatch(std::string_view pattern, std::string_view path);

class IgnoreRules {
 public:
  // `base` is the directory of the .gitignore, relative to the scan root ("" for the root).
  static IgnoreRules Parse(std::string_view text, std::string base);

  // How the patterns judge `rel` (relative to the scan root): +1 ignored, -1 re-included by a
  // negation, 0 no pattern applies.
  int Judge(std::string_view rel, bool is_dir) const;

 private:
  struct Pattern {
    std::string glob;
    bool negate = false;
    bool dir_only = false;
    bool anchored = false;  // matched against the path from base, not just the basename
  };
  std::string base_;
  std::vector<Pattern> patterns_;
};

// True when the stack (root first) ignores `rel`.
bool IsIgnored(const std::vector<const IgnoreRules*>& stack, std::string_view rel, bool is_dir);

}  // namespace arcana::scan
