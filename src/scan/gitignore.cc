#include "scan/gitignore.h"

#include <algorithm>
#include <cstdint>

namespace arcana::scan {

namespace {

constexpr size_t kMaxPatternBytes = 1024;

// Matches one character class at p[0] == '['; returns the index after ']' and sets *hit.
size_t MatchClass(std::string_view p, char c, bool* hit) {
  size_t i = 1;
  bool negate = false;
  if (i < p.size() && (p[i] == '!' || p[i] == '^')) {
    negate = true;
    ++i;
  }
  bool found = false;
  bool first = true;
  while (i < p.size() && (first || p[i] != ']')) {
    first = false;
    char lo = p[i];
    if (lo == '\\' && i + 1 < p.size()) lo = p[++i];
    char hi = lo;
    if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
      hi = p[i + 2];
      i += 2;
    }
    if (c >= lo && c <= hi) found = true;
    ++i;
  }
  if (i >= p.size()) return std::string_view::npos;  // unterminated: not a class
  *hit = (found != negate) && c != '/';
  return i + 1;
}

// The matcher behind GlobMatch. A plain backtracking matcher tries every split of the path
// at every `*`, which is exponential in the number of stars: one hostile .gitignore line such
// as `*a*a*a*a*a*a*a*a*a*a*a*a*b` held `arcana scan` of a repository for minutes per file
// name. Each (pattern position, path position) state is judged once instead (a failure is
// remembered; a success ends the whole match), which bounds a match by |pattern| x |path|
// states. Patterns with fewer than two stars cannot blow up and need no table.
class Glob {
 public:
  Glob(std::string_view p, std::string_view s) : p_(p), s_(s) {
    if (std::count(p.begin(), p.end(), '*') >= 2) failed_.assign((p.size() + 1) * (s.size() + 1), 0);
  }

  bool Match(size_t pi, size_t si) {
    if (failed_.empty()) return Run(pi, si);
    uint8_t& known = failed_[pi * (s_.size() + 1) + si];
    if (known != 0) return false;
    bool hit = Run(pi, si);
    if (!hit) known = 1;
    return hit;
  }

 private:
  // Matches p_[pi..] against s_[si..]; recursion only at stars (its depth is bounded by the
  // pattern's length, which Parse bounds).
  bool Run(size_t pi, size_t si) {
    std::string_view p = p_.substr(pi), s = s_.substr(si);
    auto at = [&](std::string_view rest_p, std::string_view rest_s) {
      return Match(p_.size() - rest_p.size(), s_.size() - rest_s.size());
    };
    while (!p.empty()) {
      if (p.substr(0, 2) == "**") {
        std::string_view rest = p.substr(2);
        if (rest.empty()) return true;  // trailing "**": everything below
        if (rest.front() == '/') {
          rest.remove_prefix(1);
          // "**/" matches zero or more whole directories.
          if (at(rest, s)) return true;
          for (size_t i = 0; i < s.size(); ++i) {
            if (s[i] == '/' && at(rest, s.substr(i + 1))) return true;
          }
          return false;
        }
        p = p.substr(1);  // "**x" behaves as "*x"
        continue;
      }
      char c = p.front();
      if (c == '*') {
        std::string_view rest = p.substr(1);
        for (size_t i = 0; i <= s.size(); ++i) {
          if (at(rest, s.substr(i))) return true;
          if (i < s.size() && s[i] == '/') return false;
        }
        return false;
      }
      if (s.empty()) return false;
      if (c == '?') {
        if (s.front() == '/') return false;
      } else if (c == '[') {
        bool hit = false;
        size_t next = MatchClass(p, s.front(), &hit);
        if (next != std::string_view::npos) {
          if (!hit) return false;
          p = p.substr(next);
          s = s.substr(1);
          continue;
        }
        if (s.front() != '[') return false;
      } else {
        if (c == '\\' && p.size() > 1) {
          p = p.substr(1);
          c = p.front();
        }
        if (s.front() != c) return false;
      }
      p = p.substr(1);
      s = s.substr(1);
    }
    return s.empty();
  }

  std::string_view p_, s_;
  std::vector<uint8_t> failed_;  // per state: 1 = known not to match
};

}  // namespace

bool GlobMatch(std::string_view p, std::string_view s) { return Glob(p, s).Match(0, 0); }

IgnoreRules IgnoreRules::Parse(std::string_view text, std::string base) {
  IgnoreRules r;
  r.base_ = std::move(base);
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // Trailing spaces are dropped unless escaped.
    while (!line.empty() && line.back() == ' ' &&
           !(line.size() >= 2 && line[line.size() - 2] == '\\')) {
      line.remove_suffix(1);
    }
    if (line.empty() || line.front() == '#') continue;
    // A pattern longer than any sane path is not one: skipping it keeps a hostile line from
    // sizing the matcher's table (and its recursion) at will.
    if (line.size() > kMaxPatternBytes) continue;
    Pattern pat;
    if (line.front() == '!') {
      pat.negate = true;
      line.remove_prefix(1);
    } else if (line.front() == '\\' && line.size() > 1 && (line[1] == '!' || line[1] == '#')) {
      line.remove_prefix(1);
    }
    if (!line.empty() && line.back() == '/') {
      pat.dir_only = true;
      line.remove_suffix(1);
    }
    if (line.empty()) continue;
    pat.anchored = line.find('/') != std::string_view::npos;
    if (line.front() == '/') line.remove_prefix(1);
    pat.glob = std::string(line);
    r.patterns_.push_back(std::move(pat));
  }
  return r;
}

int IgnoreRules::Judge(std::string_view rel, bool is_dir) const {
  if (!base_.empty()) {
    if (rel.size() <= base_.size() || rel.substr(0, base_.size()) != base_ ||
        rel[base_.size()] != '/') {
      return 0;
    }
    rel.remove_prefix(base_.size() + 1);
  }
  auto slash = rel.rfind('/');
  std::string_view name = slash == std::string_view::npos ? rel : rel.substr(slash + 1);
  for (auto it = patterns_.rbegin(); it != patterns_.rend(); ++it) {
    if (it->dir_only && !is_dir) continue;
    if (GlobMatch(it->glob, it->anchored ? rel : name)) return it->negate ? -1 : 1;
  }
  return 0;
}

bool IsIgnored(const std::vector<const IgnoreRules*>& stack, std::string_view rel, bool is_dir) {
  for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
    int j = (*it)->Judge(rel, is_dir);
    if (j != 0) return j > 0;
  }
  return false;
}

}  // namespace arcana::scan
