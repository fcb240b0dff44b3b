#include "scan/engine.h"

#include <hs.h>
#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <set>

namespace arcana::scan {

namespace {

constexpr unsigned kKeywordBase = 1u << 20;  // Vectorscan ids at or above: keywords
// Confirmation window around a candidate end, within its line: long lines (minified code)
// would otherwise make every candidate cost the whole line.
constexpr size_t kBack = 8192;
constexpr size_t kAhead = 1024;
// How far back a multi-line match (a PEM key) may start.
constexpr size_t kMultiLineBack = 16384;

std::string EscapeLiteral(std::string_view lit) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : lit) {
    if (std::isalnum(c)) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Whether a match may cross a line end: a repeated \s, [\s\S], \n or the s flag (a \s
// inside a negated class does not count).
bool MaySpanLines(const std::string& regex) {
  for (const char* p : {"\\s*", "\\s+", "\\s{", "\\S]", "\\n", "(?s"}) {
    if (regex.find(p) != std::string::npos) return true;
  }
  return false;
}

size_t LineStart(std::string_view d, size_t pos) {
  if (pos == 0) return 0;
  const void* p = memrchr(d.data(), '\n', pos);
  return p == nullptr ? 0 : static_cast<size_t>(static_cast<const char*>(p) - d.data()) + 1;
}

size_t LineEnd(std::string_view d, size_t pos) {
  if (pos >= d.size()) return d.size();
  const void* p = std::memchr(d.data() + pos, '\n', d.size() - pos);
  return p == nullptr ? d.size() : static_cast<size_t>(static_cast<const char*>(p) - d.data());
}

bool IsQuote(char c) { return c == '"' || c == '\'' || c == '`'; }

bool HasDigit(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// A match may hold another finding's value besides its own (a Slack token in the query of a
// database URL): reports redact a match of its own value only, so that other value reached
// the JSON and SARIF reports in plaintext. Masks, in each match, the bytes of every other
// finding's value ("*****"), leaving the match's own value for the report's redaction.
// `kept` is sorted by value offset; the values inside one match are few (a match spans at
// most a window), so this is linear in the findings.
void MaskOtherValues(std::vector<Finding>* kept) {
  size_t max_len = 0;
  for (const auto& f : *kept) max_len = std::max(max_len, f.secret.size());
  for (size_t i = 0; i < kept->size(); ++i) {
    Finding& f = (*kept)[i];
    if (f.secret.empty() || f.match.empty()) continue;
    const size_t ms = f.match_offset, me = ms + f.match.size();
    const size_t own0 = f.offset, own1 = f.offset + f.secret.size();
    std::vector<std::pair<size_t, size_t>> mask;  // absolute ranges, outside the own value
    auto first = std::lower_bound(kept->begin(), kept->end(), ms > max_len ? ms - max_len : 0,
                                  [](const Finding& x, size_t off) { return x.offset < off; });
    for (auto it = first; it != kept->end() && it->offset < me; ++it) {
      if (&*it == &f || it->secret.empty()) continue;
      size_t a = std::max(it->offset, ms), b = std::min(it->offset + it->secret.size(), me);
      if (a >= b) continue;
      // The part inside the own value is redacted with it; mask what lies on either side.
      if (a < own0) mask.emplace_back(a, std::min(b, own0));
      if (b > own1) mask.emplace_back(std::max(a, own1), b);
    }
    if (mask.empty()) continue;
    std::sort(mask.begin(), mask.end());
    std::string out;
    size_t pos = ms;
    for (const auto& [a, b] : mask) {
      if (b <= pos) continue;
      const size_t from = std::max(a, pos);
      out.append(f.match, pos - ms, from - pos);
      out += "*****";
      pos = b;
    }
    out.append(f.match, pos - ms, std::string::npos);
    f.match = std::move(out);
  }
}

}  // namespace

struct Engine::Impl {
  hs_database_t* db = nullptr;
  hs_scratch_t* proto = nullptr;
  std::vector<std::string> keywords;                // distinct, lowercase
  std::vector<std::vector<size_t>> rule_keywords;   // per rule: indices into keywords
  std::vector<bool> multi_line;                     // per rule
  std::vector<size_t> re2_only;                     // rules run by RE2 alone
  std::vector<size_t> path_only;                    // rules with a path and no regex

  ~Impl() {
    if (proto != nullptr) hs_free_scratch(proto);
    if (db != nullptr) hs_free_database(db);
  }
};

class Engine::Scratch {
 public:
  ~Scratch() {
    if (hs != nullptr) hs_free_scratch(hs);
  }
  hs_scratch_t* hs = nullptr;
  std::string_view data;
  std::vector<char> keyword_seen;
  std::vector<uint64_t> covered_until;  // per rule: candidates ending before are covered
  struct Candidate {
    uint32_t rule;
    uint64_t end;
  };
  std::vector<Candidate> candidates;
};

Engine::Engine(RuleSet rules) : rules_(std::move(rules)), impl_(std::make_unique<Impl>()) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::Create(RuleSet rules) {
  std::unique_ptr<Engine> e(new Engine(std::move(rules)));
  Impl& im = *e->impl_;
  const auto& rs = e->rules_.rules;
  e->stats_.rules = rs.size();
  im.rule_keywords.resize(rs.size());
  im.multi_line.resize(rs.size());

  std::vector<std::string> exprs;
  std::vector<unsigned> flags, ids;
  std::vector<size_t> expr_rule;  // expression index -> rule index (or SIZE_MAX: keyword)
  for (size_t i = 0; i < rs.size(); ++i) {
    const Rule& r = rs[i];
    for (const auto& k : r.keywords) {
      auto it = std::find(im.keywords.begin(), im.keywords.end(), k);
      if (it == im.keywords.end()) {
        im.keywords.push_back(k);
        it = im.keywords.end() - 1;
      }
      im.rule_keywords[i].push_back(static_cast<size_t>(it - im.keywords.begin()));
    }
    if (!r.re) {
      im.path_only.push_back(i);
      continue;
    }
    im.multi_line[i] = MaySpanLines(r.regex);
    // Refused outright (syntax Vectorscan lacks): try the prefilter mode, else RE2 alone.
    const std::string& pattern = r.vectorscan.empty() ? r.regex : r.vectorscan;
    unsigned f = HS_FLAG_MULTILINE;
    hs_expr_info_t* info = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_expression_info(pattern.c_str(), f, &info, &err) != HS_SUCCESS) {
      hs_free_compile_error(err);
      err = nullptr;
      f |= HS_FLAG_PREFILTER;
      if (hs_expression_info(pattern.c_str(), f, &info, &err) != HS_SUCCESS) {
        hs_free_compile_error(err);
        im.re2_only.push_back(i);
        continue;
      }
    }
    free(info);
    exprs.push_back(pattern);
    flags.push_back(f);
    ids.push_back(static_cast<unsigned>(i));
    expr_rule.push_back(i);
  }
  for (size_t k = 0; k < im.keywords.size(); ++k) {
    exprs.push_back(EscapeLiteral(im.keywords[k]));
    flags.push_back(HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH);
    ids.push_back(kKeywordBase + static_cast<unsigned>(k));
    expr_rule.push_back(SIZE_MAX);
  }
  // Compile; an expression the whole-database compile refuses (too large, ...) is retried as
  // a prefilter, then handed to RE2.
  while (!exprs.empty()) {
    std::vector<const char*> ptrs;
    for (const auto& x : exprs) ptrs.push_back(x.c_str());
    hs_compile_error_t* err = nullptr;
    if (hs_compile_multi(ptrs.data(), flags.data(), ids.data(),
                         static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &im.db,
                         &err) == HS_SUCCESS) {
      break;
    }
    int bad = err->expression;
    std::string msg = err->message;
    hs_free_compile_error(err);
    if (bad < 0 || expr_rule[static_cast<size_t>(bad)] == SIZE_MAX) {
      return Status(ErrorCode::kInternalFailure, "vectorscan: " + msg);
    }
    size_t b = static_cast<size_t>(bad);
    if ((flags[b] & HS_FLAG_PREFILTER) == 0) {
      flags[b] |= HS_FLAG_PREFILTER;
      continue;
    }
    im.re2_only.push_back(expr_rule[b]);
    exprs.erase(exprs.begin() + bad);
    flags.erase(flags.begin() + bad);
    ids.erase(ids.begin() + bad);
    expr_rule.erase(expr_rule.begin() + bad);
  }
  for (size_t x = 0; x < exprs.size(); ++x) {
    if (expr_rule[x] == SIZE_MAX) continue;
    ((flags[x] & HS_FLAG_PREFILTER) ? e->stats_.vectorscan_prefilter : e->stats_.vectorscan_exact)++;
  }
  e->stats_.re2_only = im.re2_only.size();
  if (im.db != nullptr && hs_alloc_scratch(im.db, &im.proto) != HS_SUCCESS) {
    return Status(ErrorCode::kInternalFailure, "vectorscan: cannot allocate scratch space");
  }
  return e;
}

void Engine::ScratchDeleter::operator()(Scratch* s) const { delete s; }

Engine::ScratchPtr Engine::NewScratch() const {
  ScratchPtr s(new Scratch());
  if (impl_->proto != nullptr && hs_clone_scratch(impl_->proto, &s->hs) != HS_SUCCESS) {
    throw std::bad_alloc();
  }
  s->keyword_seen.resize(impl_->keywords.size());
  s->covered_until.resize(rules_.rules.size());
  return s;
}

namespace {

int OnMatch(unsigned id, unsigned long long /*from*/, unsigned long long to, unsigned /*flags*/,
            void* ctx) {
  auto* s = static_cast<Engine::Scratch*>(ctx);
  if (id >= kKeywordBase) {
    s->keyword_seen[id - kKeywordBase] = 1;
    return 0;
  }
  if (to <= s->covered_until[id]) return 0;
  size_t last = to == 0 ? 0 : to - 1;
  size_t le = LineEnd(s->data, last);
  s->covered_until[id] = std::min<size_t>(le, to + kAhead);
  s->candidates.push_back({id, to});
  return 0;
}

}  // namespace

void Engine::Scan(Scratch& s, const Fragment& frag, std::vector<Finding>* out) const {
  const Impl& im = *impl_;
  const auto& rs = rules_.rules;
  std::string_view d = frag.data;
  s.data = d;
  std::fill(s.keyword_seen.begin(), s.keyword_seen.end(), 0);
  std::fill(s.covered_until.begin(), s.covered_until.end(), 0);
  s.candidates.clear();
  if (im.db != nullptr && !d.empty()) {
    hs_scan(im.db, d.data(), static_cast<unsigned>(d.size()), 0, s.hs, OnMatch, &s);
  }

  std::vector<Finding> found;
  std::set<std::pair<size_t, size_t>> seen;  // (rule, secret offset)
  auto keywords_ok = [&](size_t ri) {
    const auto& ks = im.rule_keywords[ri];
    if (ks.empty()) return true;
    return std::any_of(ks.begin(), ks.end(), [&](size_t k) { return s.keyword_seen[k] != 0; });
  };

  // Confirms every RE2 match of rule ri inside d[ws, we); `touch` drops matches ending before it.
  //
  // A match that yields no finding (a placeholder, low entropy, allowed) must not hide a valid
  // match starting inside it: a placeholder PEM block whose body is too short to end at its own
  // END starts a match that runs to a real key's END, and going on past that end never tried
  // the real key's BEGIN. So after a rejected match the search resumes just after its start.
  // Re-reading a rejected match costs its length again; nested rejections (many BEGINs before
  // one far END) would make that quadratic, so the extra reading is capped at the window's own
  // length: a window is read at most about twice, and past the cap the search goes on past the
  // rejected match as before.
  auto confirm = [&](size_t ri, size_t ws, size_t we, size_t touch) {
    const Rule& r = rs[ri];
    const int ngroups = r.re->NumberOfCapturingGroups();
    std::vector<re2::StringPiece> g(static_cast<size_t>(ngroups) + 1);
    size_t pos = ws;
    bool any = false;
    size_t reread_budget = we - ws;
    while (pos <= we &&
           r.re->Match(d.substr(0, we), pos, we, RE2::UNANCHORED, g.data(), ngroups + 1)) {
      size_t mstart = static_cast<size_t>(g[0].data() - d.data());
      size_t mend = mstart + g[0].size();
      const size_t past = g[0].empty() ? mend + 1 : mend;
      pos = past;
      if (mend < touch) continue;
      any = true;
      // Until this match yields a finding, the search resumes just after its start.
      const size_t extra = past - (mstart + 1);
      const bool reread = extra <= reread_budget;
      if (reread) {
        reread_budget -= extra;
        pos = mstart + 1;
      }
      std::string_view secret(g[0].data(), g[0].size());
      if (ngroups > 0) {
        if (r.secret_group > 0) {
          secret = std::string_view(g[r.secret_group].data(), g[r.secret_group].size());
        } else {
          for (int i = 1; i <= ngroups; ++i) {
            if (!g[i].empty()) {
              secret = std::string_view(g[i].data(), g[i].size());
              break;
            }
          }
        }
      }
      if (secret.empty() || secret.data() == nullptr) continue;
      size_t soff = static_cast<size_t>(secret.data() - d.data());
      if (!seen.insert({ri, soff}).second) continue;
      if (r.entropy > 0 && ShannonEntropy(secret) <= r.entropy) continue;
      // gitleaks: a generic rule's secret must hold a digit (built-ins validate their own).
      if (!r.validator && r.id.rfind("generic", 0) == 0 && !HasDigit(secret)) continue;
      size_t ls = LineStart(d, soff);
      size_t le = LineEnd(d, soff);
      std::string_view line = d.substr(ls, le - ls);
      MatchContext ctx;
      ctx.path = frag.path;
      ctx.commit = frag.commit;
      ctx.line = line.size() > 4 * kBack ? d.substr(std::max(ls, soff - std::min(soff, kBack)),
                                                    std::min<size_t>(2 * kBack, le - ls))
                                         : line;
      ctx.match = std::string_view(g[0].data(), g[0].size());
      ctx.secret = secret;
      if (soff > 0 && IsQuote(d[soff - 1])) ctx.quote = d.substr(soff - 1, 1);
      if (ctx.line.find("arcana:allow") != std::string_view::npos ||
          ctx.line.find("gitleaks:allow") != std::string_view::npos) {
        continue;
      }
      if (r.validator && !r.validator(ctx)) continue;
      bool allowed = false;
      for (const auto& a : r.allowlists) allowed = allowed || AllowlistAllows(a, ctx);
      for (const auto& a : rules_.global_allowlists) allowed = allowed || AllowlistAllows(a, ctx);
      if (allowed) continue;
      Finding f;
      f.rule_id = r.id;
      f.description = r.description;
      f.tags = r.tags;
      f.file = frag.path;
      f.offset = soff;
      f.column = soff - ls + 1;
      f.secret = std::string(secret);
      f.match = std::string(ctx.match);
      f.match_offset = static_cast<size_t>(ctx.match.data() - d.data());
      f.entropy = ShannonEntropy(secret);
      f.commit = frag.commit;
      f.author = frag.author;
      f.email = frag.email;
      f.date = frag.date;
      found.push_back(std::move(f));
      if (reread) {
        reread_budget += extra;
        pos = past;
      }
    }
    return any;
  };

  // A multi-line rule's candidate that its own line does not confirm is confirmed in a window
  // reaching kMultiLineBack before it. Confirming each such window on its own read the same
  // 16 KiB again for every candidate: a text of many "-----END ... PRIVATE KEY" lines (fake or
  // unmatched PEM armour) scanned at 1 MB/s. Overlapping windows of one rule are merged
  // instead, and each merged window is confirmed once: every byte is read by RE2 about once
  // per rule. Candidates arrive ordered by their end, so a rule's windows start in order too.
  struct Pending {
    size_t ws = 0, we = 0, touch = 0;
    bool open = false;
  };
  std::vector<Pending> pending(rs.size());
  auto flush = [&](size_t ri) {
    Pending& p = pending[ri];
    if (p.open) confirm(ri, p.ws, p.we, p.touch);
    p.open = false;
  };
  for (const auto& c : s.candidates) {
    const Rule& r = rs[c.rule];
    if (!keywords_ok(c.rule)) continue;
    if (r.path && !RE2::PartialMatch(frag.path, *r.path)) continue;
    size_t last = c.end == 0 ? 0 : c.end - 1;
    size_t ls = LineStart(d, last);
    size_t le = LineEnd(d, last);
    size_t ws = std::max(ls, c.end > kBack ? static_cast<size_t>(c.end) - kBack : 0);
    size_t we = std::min<size_t>(le, c.end + kAhead);
    if (!confirm(c.rule, ws, we, 0) && im.multi_line[c.rule]) {
      size_t back = c.end > kMultiLineBack ? c.end - kMultiLineBack : 0;
      size_t mws = LineStart(d, back);
      Pending& p = pending[c.rule];
      if (p.open && mws <= p.we) {
        p.we = std::max(p.we, we);
      } else {
        flush(c.rule);
        p = Pending{mws, we, ls, true};
      }
    }
  }
  for (size_t ri = 0; ri < pending.size(); ++ri) flush(ri);
  for (size_t ri : im.re2_only) {
    if (!keywords_ok(ri)) continue;
    if (rs[ri].path && !RE2::PartialMatch(frag.path, *rs[ri].path)) continue;
    confirm(ri, 0, d.size(), 0);
  }
  for (size_t ri : im.path_only) {
    if (!RE2::PartialMatch(frag.path, *rs[ri].path)) continue;
    Finding f;
    f.rule_id = rs[ri].id;
    f.description = rs[ri].description;
    f.tags = rs[ri].tags;
    f.file = frag.path;
    f.commit = frag.commit;
    f.author = frag.author;
    f.email = frag.email;
    f.date = frag.date;
    found.push_back(std::move(f));
  }

  // A generic rule's finding gives way to a specific rule's finding on the same bytes.
  // Each generic finding is checked against the specific ones sorted by start, with the
  // furthest end among those starting before each point: O(n log n). (Comparing every pair
  // made a file of many findings quadratic: 3 MB of alternating generic and Slack lines took
  // 20 s, a 10 MiB one minutes, per file.)
  auto generic = [](const Finding& f) { return f.rule_id.rfind("generic", 0) == 0; };
  std::vector<std::pair<size_t, size_t>> specific;  // (start, end) of each specific secret
  for (const auto& f : found) {
    if (!generic(f) && !f.secret.empty()) specific.emplace_back(f.offset, f.offset + f.secret.size());
  }
  std::sort(specific.begin(), specific.end());
  std::vector<size_t> max_end(specific.size());  // max end over specific[0..k]
  for (size_t k = 0; k < specific.size(); ++k) {
    max_end[k] = std::max(specific[k].second, k == 0 ? 0 : max_end[k - 1]);
  }
  std::vector<bool> drop(found.size());
  for (size_t i = 0; i < found.size(); ++i) {
    if (!generic(found[i]) || found[i].secret.empty()) continue;
    size_t a0 = found[i].offset, a1 = a0 + found[i].secret.size();
    // The specific secrets starting before a1: one of them overlaps when its end passes a0.
    size_t n_before = static_cast<size_t>(
        std::lower_bound(specific.begin(), specific.end(), std::make_pair(a1, size_t{0})) -
        specific.begin());
    if (n_before > 0 && max_end[n_before - 1] > a0) drop[i] = true;
  }
  std::vector<Finding> kept;
  for (size_t i = 0; i < found.size(); ++i) {
    if (!drop[i]) kept.push_back(std::move(found[i]));
  }
  std::stable_sort(kept.begin(), kept.end(),
                   [](const Finding& a, const Finding& b) { return a.offset < b.offset; });
  MaskOtherValues(&kept);
  // Line numbers in one forward pass over the fragment.
  size_t line = 0, pos = 0;
  auto advance = [&](size_t to) {
    while (pos < to) {
      const void* p = std::memchr(d.data() + pos, '\n', to - pos);
      if (p == nullptr) {
        pos = to;
        break;
      }
      ++line;
      pos = static_cast<size_t>(static_cast<const char*>(p) - d.data()) + 1;
    }
  };
  auto number = [&](size_t l) -> size_t {
    if (frag.line_numbers.empty()) return frag.line_base + l + 1;
    return l < frag.line_numbers.size() ? frag.line_numbers[l] : frag.line_numbers.back();
  };
  for (auto& f : kept) {
    if (f.secret.empty()) {  // path-only
      f.line = f.end_line = 1;
      f.column = f.end_column = 1;
      out->push_back(std::move(f));
      continue;
    }
    advance(f.offset);
    f.line = number(line);
    size_t save_line = line, save_pos = pos;
    advance(f.offset + f.secret.size() - 1);
    f.end_line = number(line);
    f.end_column = f.offset + f.secret.size() - 1 - LineStart(d, f.offset + f.secret.size() - 1) + 1;
    line = save_line;
    pos = save_pos;
    out->push_back(std::move(f));
  }
}

}  // namespace arcana::scan
