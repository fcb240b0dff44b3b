#include "migrate/unified_diff.h"

#include <algorithm>
#include <vector>

namespace arcana::migrate {

namespace {

constexpr size_t kContext = 3;
constexpr size_t kMaxLinesForLcs = 4000;

std::vector<std::string_view> Lines(std::string_view s) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    if (nl == std::string_view::npos) nl = s.size();
    out.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

struct Op {
  char kind;  // ' ', '-', '+'
  size_t a, b;  // line indices in before / after
};

std::vector<Op> Script(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
  std::vector<Op> ops;
  // Common prefix and suffix first: edits are local, so the LCS table stays small.
  size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
  size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre &&
         a[a.size() - 1 - suf] == b[b.size() - 1 - suf]) {
    ++suf;
  }
  for (size_t i = 0; i < pre; ++i) ops.push_back({' ', i, i});
  size_t n = a.size() - pre - suf, m = b.size() - pre - suf;
  if (n > kMaxLinesForLcs || m > kMaxLinesForLcs) {
    for (size_t i = 0; i < n; ++i) ops.push_back({'-', pre + i, pre});
    for (size_t j = 0; j < m; ++j) ops.push_back({'+', pre + n, pre + j});
  } else {
    std::vector<std::vector<uint32_t>> L(n + 1, std::vector<uint32_t>(m + 1));
    for (size_t i = n; i-- > 0;) {
      for (size_t j = m; j-- > 0;) {
        L[i][j] = a[pre + i] == b[pre + j] ? L[i + 1][j + 1] + 1 : std::max(L[i + 1][j], L[i][j + 1]);
      }
    }
    size_t i = 0, j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[pre + i] == b[pre + j]) {
        ops.push_back({' ', pre + i++, pre + j++});
      } else if (i < n && (j == m || L[i + 1][j] >= L[i][j + 1])) {
        ops.push_back({'-', pre + i++, pre + j});  // removals first, as diff -u prints them
      } else {
        ops.push_back({'+', pre + i, pre + j++});
      }
    }
  }
  for (size_t k = 0; k < suf; ++k) ops.push_back({' ', a.size() - suf + k, b.size() - suf + k});
  return ops;
}

}  // namespace

std::string UnifiedDiff(std::string_view before, std::string_view after, const std::string& label) {
  if (before == after) return "";
  auto a = Lines(before), b = Lines(after);
  auto ops = Script(a, b);
  std::string out = "--- a/" + label + "\n+++ b/" + label + "\n";
  size_t k = 0;
  while (k < ops.size()) {
    while (k < ops.size() && ops[k].kind == ' ') ++k;
    if (k == ops.size()) break;
    size_t start = k >= kContext ? k - kContext : 0;
    size_t end = k;
    // Extend while the next change is within 2*context of this one.
    for (;;) {
      while (end < ops.size() && ops[end].kind != ' ') ++end;
      size_t next = end;
      while (next < ops.size() && ops[next].kind == ' ') ++next;
      if (next < ops.size() && next - end <= 2 * kContext) {
        end = next;
        continue;
      }
      end = std::min(ops.size(), end + kContext);
      break;
    }
    size_t a_start = ops[start].a, b_start = ops[start].b, a_len = 0, b_len = 0;
    std::string body;
    for (size_t i = start; i < end; ++i) {
      const Op& o = ops[i];
      if (o.kind != '+') ++a_len;
      if (o.kind != '-') ++b_len;
      body += o.kind;
      body += std::string(o.kind == '+' ? b[o.b] : a[o.a]);
      body += '\n';
    }
    out += "@@ -" + std::to_string(a_len == 0 ? a_start : a_start + 1) + "," +
           std::to_string(a_len) + " +" + std::to_string(b_len == 0 ? b_start : b_start + 1) +
           "," + std::to_string(b_len) + " @@\n" + body;
    k = end;
  }
  return out;
}

}  // namespace arcana::migrate
