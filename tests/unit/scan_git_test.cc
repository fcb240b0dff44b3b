// `arcana scan --git`: a secret added in one commit and removed in the next is found in history
// (with commit, author, date, path and line) though the work tree is clean; --since and
// --branch narrow the walk. The repository is made with the git CLI in a temp dir.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "scan/builtin_rules.h"
#include "scan/git_history.h"
#include "scan/rule_set.h"
#include "scan/tree_scan.h"

namespace arcana::scan {
namespace {

namespace fs = std::filesystem;

class GitHistory : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "arcana-scang-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    key_ = "gl" "pat-" "Hq8Xv2Lm4Np6Rt9Wy1Ab";
    Git("init -q -b main");
    Write("app.env", "NAME=app\nDEBUG=1\n");
    Commit("2023-01-01T00:00:00Z", "first");
    Write("app.env", "NAME=app\nDEBUG=1\nGITLAB_TOKEN=" + key_ + "\n");
    Commit("2023-06-01T00:00:00Z", "add token");
    first_secret_commit_ = RevParse("HEAD");
    Write("app.env", "NAME=app\nDEBUG=1\n");
    Commit("2023-07-01T00:00:00Z", "remove token");
    auto e = Engine::Create(BuiltinRuleSet());
    ASSERT_TRUE(e.ok());
    engine_ = std::move(*e);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Git(const std::string& args) {
    std::string cmd = "cd '" + dir_.string() + "' && git -c user.name='Dev One' "
                      "-c user.email=dev@example.com " + args + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  void Write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / rel) << text; }
  void Commit(const std::string& date, const std::string& msg) {
    Git("add -A");
    Git("-c core.hooksPath=/dev/null commit -q --date=" + date + " -m '" + msg + "'");
    std::string cmd = "cd '" + dir_.string() + "' && GIT_COMMITTER_DATE=" + date +
                      " git -c user.name='Dev One' -c user.email=dev@example.com commit -q "
                      "--amend --no-edit --date=" + date + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  std::string RevParse(const std::string& rev) {
    std::string out = (dir_ / ".rev").string();
    std::string cmd = "cd '" + dir_.string() + "' && git rev-parse " + rev + " > " + out;
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    std::string s;
    std::ifstream(out) >> s;
    fs::remove(out);
    return s;
  }
  std::vector<Finding> History(GitScanOptions opts) {
    opts.repo = dir_.string();
    ScanProgress progress;
    std::vector<Finding> out;
    Status st = ScanGitHistory(*engine_, opts, &progress, &out);
    EXPECT_TRUE(st.ok()) << st.message();
    return out;
  }

  fs::path dir_;
  std::string key_, first_secret_commit_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(GitHistory, SecretAddedThenRemovedIsFoundInHistoryOnly) {
  TreeScanOptions tree;
  tree.paths = {dir_.string()};
  ScanProgress progress;
  std::vector<Finding> now;
  ASSERT_TRUE(ScanTree(*engine_, tree, &progress, &now).ok());
  EXPECT_TRUE(now.empty());

  auto found = History({});
  ASSERT_EQ(found.size(), 1u);
  const Finding& f = found[0];
  EXPECT_EQ(f.rule_id, "gitlab-token");
  EXPECT_EQ(f.file, "app.env");
  EXPECT_EQ(f.line, 3u);
  EXPECT_EQ(f.column, 14u);
  EXPECT_EQ(f.commit, first_secret_commit_);
  EXPECT_EQ(f.author, "Dev One");
  EXPECT_EQ(f.email, "dev@example.com");
  EXPECT_EQ(f.date, "2023-06-01T00:00:00Z");
  EXPECT_EQ(f.secret, key_);
}

TEST_F(GitHistory, SinceAndBranchNarrowTheWalk) {
  GitScanOptions after;
  after.since = *ParseSince("2023-06-15");
  EXPECT_TRUE(History(after).empty());
  GitScanOptions before;
  before.since = *ParseSince("2023-05-01T00:00:00Z");
  EXPECT_EQ(History(before).size(), 1u);
  GitScanOptions branch;
  branch.branch = "HEAD~2";  // the first commit only
  EXPECT_TRUE(History(branch).empty());
  branch.branch = "no-such-branch";
  ScanProgress progress;
  std::vector<Finding> out;
  branch.repo = dir_.string();
  EXPECT_EQ(ScanGitHistory(*engine_, branch, &progress, &out).code(),
            ErrorCode::kInvalidParameter);
  EXPECT_FALSE(ParseSince("yesterday").has_value());
}

// A shallow clone's oldest commit names a parent the clone does not hold: libgit2 1.5's walk
// failed there, and the failure, taken for the walk's end, passed the clone as clean. The
// commits present are scanned (the boundary one against the empty tree) and the boundary is
// counted; a commit missing from a full repository is an error, not a clean history.
TEST_F(GitHistory, AShallowCloneIsScannedToItsBoundaryAndAMissingCommitIsAnError) {
  fs::path shallow = dir_ / "shallow";
  std::string cmd = "git clone -q --depth 2 'file://" + dir_.string() + "' '" + shallow.string() +
                    "' >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  GitScanOptions opts;
  opts.repo = shallow.string();
  ScanProgress progress;
  std::vector<Finding> out;
  Status st = ScanGitHistory(*engine_, opts, &progress, &out);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(out.size(), 1u);  // "add token", the boundary: its whole tree is new to the clone
  EXPECT_EQ(out[0].commit, first_secret_commit_);
  EXPECT_EQ(progress.shallow.load(), 1u);
  EXPECT_EQ(progress.commits.load(), 2u);

  // The first commit's object gone from the full repository: an error.
  std::string first = RevParse("HEAD~2");
  fs::remove(dir_ / ".git" / "objects" / first.substr(0, 2) / first.substr(2));
  GitScanOptions full;
  full.repo = dir_.string();
  ScanProgress p2;
  out.clear();
  EXPECT_FALSE(ScanGitHistory(*engine_, full, &p2, &out).ok());
}

}  // namespace
}  // namespace arcana::scan
