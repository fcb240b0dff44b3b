// LoadConfig's store and root-of-trust options: --store / ARCANA_STORE / TOML `store` (flag
// over environment over file), the defaults derived from --data-dir, and --root-key-file.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/config.h"

namespace arcana::config {
namespace {

// Runs LoadConfig on argv (program name added), with the ARCANA_* variables given set.
class ConfigTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const auto& n : set_) ::unsetenv(n.c_str());
    if (!toml_.empty()) std::filesystem::remove(toml_);
  }
  void Env(const std::string& name, const std::string& value) {
    ::setenv(name.c_str(), value.c_str(), 1);
    set_.push_back(name);
  }
  std::string Toml(const std::string& text) {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    toml_ = (std::filesystem::temp_directory_path() /
             ("arcana-cfg-" + std::to_string(::getpid()) + "-" + name + ".toml"))
                .string();
    std::ofstream(toml_) << text;
    return toml_;
  }
  Result<Config> Load(std::vector<std::string> args) {
    args.insert(args.begin(), "arcanad");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    bool exit_now = false;
    return LoadConfig(static_cast<int>(argv.size()), argv.data(), &exit_now);
  }
  std::vector<std::string> set_;
  std::string toml_;
};

TEST_F(ConfigTest, DefaultsFollowTheDataDir) {
  auto c = Load({"--data-dir", "/var/lib/arcana"});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->store, "");
  EXPECT_EQ(EffectiveStore(*c), "sqlite:/var/lib/arcana");
  EXPECT_EQ(EffectiveRootKeyFile(*c), "/var/lib/arcana/root.key");
}

// `--store sqlite:DIR` is `--data-dir DIR`: the key file and other node-local files follow it
// unless a data dir is given too (else a restart with --data-dir DIR would find no key).
TEST_F(ConfigTest, SqliteStoreIsTheDataDirUnlessOneIsGiven) {
  auto c = Load({"--store", "sqlite:/srv/arcana"});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->data_dir, "/srv/arcana");
  EXPECT_EQ(EffectiveRootKeyFile(*c), "/srv/arcana/root.key");
  auto both = Load({"--store", "sqlite:/srv/arcana", "--data-dir", "/var/local"});
  ASSERT_TRUE(both.ok()) << both.status().message();
  EXPECT_EQ(both->data_dir, "/var/local");
  auto pg = Load({"--store", "postgresql://db/arcana"});
  ASSERT_TRUE(pg.ok()) << pg.status().message();
  EXPECT_EQ(pg->data_dir, Config{}.data_dir);
}

TEST_F(ConfigTest, StoreAndRootKeyFileFromFlags) {
  auto c = Load({"--store", "postgresql://arcana:pw@db:5432/arcana", "--root-key-file",
                 "/etc/arcana/root.key"});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(EffectiveStore(*c), "postgresql://arcana:pw@db:5432/arcana");
  EXPECT_EQ(EffectiveRootKeyFile(*c), "/etc/arcana/root.key");
}

TEST_F(ConfigTest, EnvironmentGivesStoreAndRootKeyFile) {
  Env("ARCANA_STORE", "postgres://db/arcana");
  Env("ARCANA_ROOT_KEY_FILE", "/run/secrets/root.key");
  auto c = Load({});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(EffectiveStore(*c), "postgres://db/arcana");
  EXPECT_EQ(EffectiveRootKeyFile(*c), "/run/secrets/root.key");
}

// The default region becomes the region of ARNs (unsigned calls, dev mode without a scope):
// it must have a credential scope's region shape.
TEST_F(ConfigTest, DefaultRegionMustBeARegionName) {
  auto c = Load({"--default-region", "eu-central-1"});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->default_region, "eu-central-1");
  for (const char* bad : {"us-east-1:123456789012:secret:dev-", "local", "us-east-1*"}) {
    auto r = Load({"--default-region", bad});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("--default-region"), std::string::npos);
  }
}

TEST_F(ConfigTest, FlagBeatsEnvironmentBeatsToml) {
  std::string file = Toml("store = \"sqlite:/from/toml\"\nroot_key_file = \"/toml/root.key\"\n");
  auto from_toml = Load({"--config", file});
  ASSERT_TRUE(from_toml.ok()) << from_toml.status().message();
  EXPECT_EQ(from_toml->store, "sqlite:/from/toml");
  EXPECT_EQ(from_toml->root_key_file, "/toml/root.key");

  Env("ARCANA_STORE", "sqlite:/from/env");
  auto from_env = Load({"--config", file});
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(from_env->store, "sqlite:/from/env");

  auto from_flag = Load({"--config", file, "--store", "sqlite:/from/flag"});
  ASSERT_TRUE(from_flag.ok());
  EXPECT_EQ(from_flag->store, "sqlite:/from/flag");
}

TEST(SplitListen, AddressesAndLocalhostOnly) {
  std::string host;
  unsigned short port = 0;
  ASSERT_TRUE(SplitListen("localhost:7770", &host, &port).ok());
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 7770);
  ASSERT_TRUE(SplitListen("[::1]:80", &host, &port).ok());
  EXPECT_EQ(host, "::1");
  ASSERT_TRUE(SplitListen("0.0.0.0:443", &host, &port).ok());
  EXPECT_EQ(host, "0.0.0.0");
  // A name the listener cannot bind is refused here, before any store is opened.
  EXPECT_FALSE(SplitListen("myhost:7770", &host, &port).ok());
  EXPECT_FALSE(SplitListen("127.0.0.1:x", &host, &port).ok());
}

}  // namespace
}  // namespace arcana::config
