// Rotation functions: the registration rules (domain/rotation/function_spec.h) and the exec
// invoker (rotation/function_invoker.h): stdin event, environment, exit status, the log and
// its redaction.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "domain/rotation/function_spec.h"
#include "rotation/function_invoker.h"
#include "rotation/function_uids.h"

namespace arcana::rotation {
namespace {

namespace rot = domain::rotation;

TEST(RotationFunctionSpec, LambdaArns) {
  auto a = rot::ParseLambdaArn("arn:aws:lambda:eu-west-1:123456789012:function:my-rot_1");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->region, "eu-west-1");
  EXPECT_EQ(a->account, "123456789012");
  EXPECT_EQ(a->name, "my-rot_1");
  EXPECT_EQ(rot::LambdaArnOf(a->region, a->account, a->name),
            "arn:aws:lambda:eu-west-1:123456789012:function:my-rot_1");
  for (const char* bad : {"arn:aws:lambda:eu-west-1:123456789012:function:f:PROD",
                          "arn:aws:lambda:eu-west-1:12345:function:f",
                          "arn:aws:lambda::123456789012:function:f",
                          "arn:aws:lambda:../x-1:123456789012:function:f",
                          "arn:aws:lambda:us-east:123456789012:function:f",
                          "arn:aws:s3:eu-west-1:123456789012:function:f",
                          "arn:aws:lambda:eu-west-1:123456789012:layer:f", "f"}) {
    EXPECT_FALSE(rot::ParseLambdaArn(bad).has_value()) << bad;
  }
}

TEST(RotationFunctionSpec, TargetsNamesEnvTimeouts) {
  EXPECT_TRUE(rot::ValidateTarget("url", "http://127.0.0.1:8080/x").ok());
  EXPECT_TRUE(rot::ValidateTarget("url", "http://127.1.2.3/x").ok());
  // A name that only looks like a loopback address resolves anywhere: https is required.
  EXPECT_FALSE(rot::ValidateTarget("url", "http://127.evil.example/x").ok());
  EXPECT_FALSE(rot::ValidateTarget("url", "http://127.0.0.1.nip.io/x").ok());
  EXPECT_TRUE(rot::ValidateTarget("url", "http://localhost/").ok());
  EXPECT_TRUE(rot::ValidateTarget("url", "https://rot.example.com/x").ok());
  EXPECT_FALSE(rot::ValidateTarget("url", "http://rot.example.com/x").ok());  // credentials in clear
  EXPECT_FALSE(rot::ValidateTarget("url", "ftp://127.0.0.1/").ok());
  EXPECT_TRUE(rot::ValidateTarget("exec", "/usr/local/bin/rotate").ok());
  EXPECT_FALSE(rot::ValidateTarget("exec", "rotate").ok());
  EXPECT_FALSE(rot::ValidateFunctionName("").ok());
  EXPECT_FALSE(rot::ValidateFunctionName("a/b").ok());
  EXPECT_FALSE(rot::ValidateFunctionName(std::string(65, 'a')).ok());
  EXPECT_TRUE(rot::ValidateRegion("ap-southeast-2").ok());
  EXPECT_TRUE(rot::ValidateRegion("us-gov-west-1").ok());
  for (const char* bad : {"", "us", "-1", "us--east-1", "US-EAST-1", "us-east-1a", "../us-1"}) {
    EXPECT_FALSE(rot::ValidateRegion(bad).ok()) << bad;
  }
  EXPECT_TRUE(rot::ValidateTimeout(900).ok());
  EXPECT_FALSE(rot::ValidateTimeout(0).ok());
  EXPECT_FALSE(rot::ValidateTimeout(901).ok());
  EXPECT_TRUE(rot::ValidateEnv({{"DB_HOST", "x"}}).ok());
  EXPECT_FALSE(rot::ValidateEnv({{"AWS_SESSION_TOKEN", "x"}}).ok());  // Arcana sets it
  EXPECT_FALSE(rot::ValidateEnv({{"1X", "x"}}).ok());
  EXPECT_FALSE(rot::ValidateEnv({{"X", std::string(5000, 'v')}}).ok());
  auto kv = rot::ParseEnvAssignment("A=b=c");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->first, "A");
  EXPECT_EQ(kv->second, "b=c");
  EXPECT_FALSE(rot::ParseEnvAssignment("=x").ok());
  rot::EnvVars env{{"A", "1"}, {"B", "two \"quoted\""}};
  EXPECT_EQ(rot::DecodeEnv(rot::EncodeEnv(env)), env);
  EXPECT_TRUE(rot::DecodeEnv("not json").empty());
}

TEST(RotationFunctionSpec, SessionPolicyNamesOnlyTheSecret) {
  std::string doc = rot::RotationSessionPolicy("arn:aws:secretsmanager:us-east-1:1:secret:a-x", "us-east-1");
  EXPECT_NE(doc.find(R"("Resource":"arn:aws:secretsmanager:us-east-1:1:secret:a-x")"), std::string::npos);
  EXPECT_NE(doc.find("secretsmanager.us-east-1.amazonaws.com"), std::string::npos);
  EXPECT_EQ(doc.find("DeleteSecret"), std::string::npos);
}

TEST(RotationFunctionSpec, MasterSecretsAreReadableOnlyWhenRegistered) {
  std::string doc = rot::RotationSessionPolicy("arn:aws:secretsmanager:us-east-1:1:secret:a-x",
                                               "us-east-1");
  EXPECT_EQ(doc.find("master"), std::string::npos);
  rot::EnvVars env = {{"STAGE", "x"},
                      {rot::kMasterSecretsVar,
                       "arn:aws:secretsmanager:us-east-1:1:secret:master-*,not-an-arn"}};
  auto masters = rot::MasterSecretsOf(env);
  ASSERT_EQ(masters, std::vector<std::string>{"arn:aws:secretsmanager:us-east-1:1:secret:master-*"});
  doc = rot::RotationSessionPolicy("arn:aws:secretsmanager:us-east-1:1:secret:a-x", "us-east-1",
                                   masters);
  EXPECT_NE(doc.find(R"({"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":)"
                     R"(["arn:aws:secretsmanager:us-east-1:1:secret:master-*"]})"),
            std::string::npos);
  // Only --master-secret sets it; --env cannot grant reads.
  EXPECT_FALSE(rot::ValidateEnv({{rot::kMasterSecretsVar, "arn:aws:secretsmanager:x"}}).ok());
  EXPECT_TRUE(rot::ValidateMasterSecretArn("arn:aws:secretsmanager:us-east-1:1:secret:m-AbCdEf").ok());
  EXPECT_FALSE(rot::ValidateMasterSecretArn("*").ok());
  EXPECT_FALSE(rot::ValidateMasterSecretArn("arn:aws:secretsmanager:a,arn:aws:secretsmanager:b").ok());
}

TEST(RotationFunctionSpec, ManagedRotatorArns) {
  auto m = rot::ParseManagedRotatorArn(
      "arn:aws:lambda:us-east-1:123456789012:function:arcana:postgresql-single-user");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->name, "postgresql-single-user");
  EXPECT_EQ(m->account, "123456789012");
  EXPECT_EQ(m->region, "us-east-1");
  EXPECT_FALSE(rot::ParseLambdaArn(
      "arn:aws:lambda:us-east-1:123456789012:function:arcana:postgresql-single-user"));
  EXPECT_FALSE(rot::ParseManagedRotatorArn("arn:aws:lambda:us-east-1:123456789012:function:arcana:"));
  EXPECT_FALSE(rot::ParseManagedRotatorArn("arn:aws:lambda:us-east-1:123456789012:function:arcana"));
  EXPECT_FALSE(rot::ParseManagedRotatorArn("arn:aws:lambda:us-east-1:1234:function:arcana:x"));
  EXPECT_FALSE(rot::ParseManagedRotatorArn(
      "arn:aws:lambda:us-east-1:123456789012:function:arcana:a:b"));
}

class ExecInvoker : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("arcana-invoker-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  storage::RotationFunction Script(const std::string& body) {
    std::string path = (dir_ / "fn.sh").string();
    std::ofstream(path) << "#!/bin/sh\n" << body;
    ::chmod(path.c_str(), 0700);
    return {"123456789012", "us-east-1", "fn", "exec", path, "", R"({"STAGE":"blue"})", 5, 0};
  }
  std::string Log() {
    std::ifstream in(dir_ / "logs" / "123456789012-us-east-1-fn.log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::filesystem::path dir_;
};

TEST_F(ExecInvoker, EventOnStdinEnvironmentAndRedactedLog) {
  FunctionInvoker inv((dir_ / "logs").string());
  Invocation call;
  call.event_json = R"({"SecretId":"arn","ClientRequestToken":"t","Step":"setSecret"})";
  call.runtime_env = {{"AWS_SECRET_ACCESS_KEY", "TOPSECRETKEY"}, {"AWS_REGION", "us-east-1"}};
  call.redact = {"TOPSECRETKEY"};
  call.step = "setSecret";
  auto f = Script("read ev; echo \"got $ev\"; echo \"key=$AWS_SECRET_ACCESS_KEY $STAGE $AWS_REGION\" >&2\n");
  ASSERT_TRUE(inv.Invoke(f, call).ok());
  std::string log = Log();
  EXPECT_NE(log.find("step=setSecret ok"), std::string::npos) << log;
  EXPECT_NE(log.find(R"(got {"SecretId":"arn","ClientRequestToken":"t","Step":"setSecret"})"),
            std::string::npos) << log;
  EXPECT_NE(log.find("key=*** blue us-east-1"), std::string::npos) << log;
  EXPECT_EQ(log.find("TOPSECRETKEY"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "logs" / "123456789012-us-east-1-fn.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ExecInvoker, FailuresSayHowNotWhat) {
  FunctionInvoker inv((dir_ / "logs").string());
  Invocation call;
  call.step = "testSecret";
  Status st = inv.Invoke(Script("echo 'the password is hunter2'; exit 3\n"), call);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "function fn exited with status 3");
  st = inv.Invoke(Script("kill -9 $$\n"), call);
  EXPECT_EQ(st.message(), "function fn was killed by signal 9");
  auto missing = Script("");
  missing.target = (dir_ / "nope").string();
  EXPECT_EQ(inv.Invoke(missing, call).message(), "function fn exited with status 127");
  EXPECT_NE(Log().find("step=testSecret failed: function fn exited with status 3"),
            std::string::npos);
}

// A stopping node does not wait for a function blocked on it (its timeout here: 5 s).
TEST_F(ExecInvoker, ACancelledInvocationIsKilledWithinASecond) {
  FunctionInvoker inv((dir_ / "logs").string());
  Invocation call;
  call.step = "setSecret";
  const auto start = std::chrono::steady_clock::now();
  call.cancelled = [start] { return std::chrono::steady_clock::now() - start > std::chrono::milliseconds(200); };
  Status st = inv.Invoke(Script("sleep 30\n"), call);
  EXPECT_EQ(st.message(), "function fn was stopped: the node is stopping");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

// A function gets stdin, stdout and stderr only: not a descriptor arcanad opened without
// O_CLOEXEC (its files, a store connection), whoever the function runs as.
TEST_F(ExecInvoker, AFunctionInheritsNoOtherDescriptor) {
  FunctionInvoker inv((dir_ / "logs").string());
  int file = ::open((dir_ / "arcanad-file").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(file, 0);
  int leaked = ::fcntl(file, F_DUPFD, 100);  // no CLOEXEC
  ::close(file);
  ASSERT_GE(leaked, 100);
  Invocation call;
  call.step = "setSecret";
  Status st = inv.Invoke(Script("ls /proc/self/fd | tr '\\n' ' '\n"), call);
  ::close(leaked);
  ASSERT_TRUE(st.ok()) << st.message();
  // ls's own listing descriptor is the one above 2.
  const std::string log = Log();
  EXPECT_NE(log.find("0 1 2 3 \n"), std::string::npos) << log;
  EXPECT_EQ(log.find(" " + std::to_string(leaked) + " "), std::string::npos) << log;
}

// A run ends when its process does, with what it wrote: a process it left running that holds
// the output pipe (here a background sleep) is not waited for (it made every such run last
// until its timeout and then fail as timed out).
TEST_F(ExecInvoker, ARunEndsWithItsProcessNotWithWhatItLeftRunning) {
  FunctionInvoker inv((dir_ / "logs").string());
  Invocation call;
  call.step = "setSecret";
  const auto start = std::chrono::steady_clock::now();
  Status st = inv.Invoke(Script("sleep 30 &\necho before-exit\n"), call);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_NE(Log().find("before-exit"), std::string::npos) << Log();
}

// As Lambda: a Python handler's invocation ends when it returns, with its answer, whatever
// thread it left running (the interpreter's exit waited for it: the run reached its timeout
// and failed, the answer reported as an unhandled error).
TEST_F(ExecInvoker, APythonHandlersAnswerDoesNotWaitForTheThreadsItLeft) {
  FunctionInvoker inv((dir_ / "logs").string());
  std::filesystem::create_directories(dir_ / "code");
  std::ofstream(dir_ / "code" / "lambda_function.py")
      << "import threading, time\n"
         "def lambda_handler(event, context):\n"
         "    threading.Thread(target=time.sleep, args=(30,)).start()\n"
         "    print('before-return', flush=False)\n"
         "    return {'ok': 1}\n";
  storage::RotationFunction f{"123456789012", "us-east-1", "fn", "python",
                              (dir_ / "code").string(), "lambda_function.lambda_handler", "{}",
                              5, 0};
  Invocation call;
  call.step = "invoke";
  call.event_json = "{}";
  InvokeOutcome out;
  const auto start = std::chrono::steady_clock::now();
  Status st = inv.Run(f, call, &out);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_FALSE(out.function_error);
  EXPECT_EQ(out.payload, R"({"ok": 1})");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_NE(out.log.find("before-return"), std::string::npos) << out.log;
}

TEST(FunctionUids, Ranges) {
  auto r = ParseFunctionUids("1879048192-1879113727");
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->first, 1879048192u);
  EXPECT_EQ((*r)->last, 1879113727u);
  r = ParseFunctionUids("none");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  r = ParseFunctionUids("70000-70000");
  ASSERT_TRUE(r.ok() && r->has_value());
  for (const char* bad : {"", "5", "-5", "5-", "a-b", "5-x", "0-10", "10-5", "60000-65534",
                          "65535-70000", "1-4294967295", "1 -2", "+1-2"}) {
    EXPECT_EQ(ParseFunctionUids(bad).status().code(), ErrorCode::kInvalidParameter) << bad;
  }
  EXPECT_EQ(ParseFunctionUids("10-5").status().message(),
            "'10-5' is not a range of user ids FIRST-LAST or none: FIRST must be at least 1 "
            "and at most LAST");
}

// Each lease is an id no other lease holds, also of another pool (another arcanad) on the
// same lock folder; a lease's end frees its id (and removes its lock file).
TEST(FunctionUids, LeasesAreExclusiveAndEndWithTheirRun) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("arcana-uids-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const UidRange two{1879113726, 1879113727};
  FunctionUidPool pool(two, 65534, dir.string());
  FunctionUidPool other(two, 65534, dir.string());
  ASSERT_TRUE(pool.Prepare().ok());
  EXPECT_EQ(std::filesystem::status(dir).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
  {
    auto a = pool.Acquire();
    auto b = other.Acquire();
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_NE((*a)->uid(), (*b)->uid());
    EXPECT_EQ((*a)->gid(), 65534u);
    for (const auto* lease : {a->get(), b->get()}) {
      EXPECT_TRUE(lease->uid() == two.first || lease->uid() == two.last);
      EXPECT_TRUE(std::filesystem::exists(dir / std::to_string(lease->uid())));
    }
    auto c = pool.Acquire();
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().message(), "no function user id free in 1879113726-1879113727");
    const uid_t freed = (*a)->uid();
    a->reset();
    EXPECT_FALSE(std::filesystem::exists(dir / std::to_string(freed)));
    auto d = other.Acquire();
    ASSERT_TRUE(d.ok());
    EXPECT_EQ((*d)->uid(), freed);
  }
  // A lock file an earlier holder left (killed during a run) is taken over.
  std::ofstream(dir / std::to_string(two.first)).put('x');
  {
    auto e = pool.Acquire();
    auto f = pool.Acquire();
    ASSERT_TRUE(e.ok() && f.ok());
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace arcana::rotation
