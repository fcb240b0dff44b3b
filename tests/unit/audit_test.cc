// The audit trail: redaction (allow-list), the record shape, the chained files and signed
// digests (and that verify catches each kind of tampering), group commit, fail-closed.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>

#include <future>

#include <condition_variable>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "audit/audit_event.h"
#include "audit/chain.h"
#include "audit/digest_signer.h"
#include "audit/file_trail.h"
#include "audit/lookup_keys.h"
#include "audit/redaction.h"
#include "audit/trail_query.h"
#include "audit/trail_reader.h"
#include "audit/trail_verify.h"
#include "audit/write_ahead_log.h"
#include "cli/audit_commands.h"
#include "common/json.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"

namespace arcana::audit {
namespace {

namespace fs = std::filesystem;

std::string Redact(const char* json) {
  rapidjson::Document d;
  d.Parse(json);
  return RedactedJson(d);
}

TEST(AuditRedaction, KeepsMetadataAndHidesEverythingElse) {
  std::string r = Redact(
      R"({"SecretId":"prod/db","SecretString":"hunter2","ClientRequestToken":"t-1",)"
      R"("Tags":[{"Key":"team","Value":"core"}],"Unmodelled":"x","RecoveryWindowInDays":7})");
  EXPECT_NE(r.find(R"("secretId":"prod/db")"), std::string::npos) << r;
  EXPECT_NE(r.find(R"("tags":[{"key":"team","value":"core"}])"), std::string::npos) << r;
  EXPECT_NE(r.find(R"("recoveryWindowInDays":7)"), std::string::npos) << r;
  EXPECT_EQ(r.find("hunter2"), std::string::npos) << r;
  EXPECT_NE(r.find(R"("unmodelled":"HIDDEN_DUE_TO_SECURITY_REASONS")"), std::string::npos) << r;
}

TEST(AuditRedaction, LambdaEnvironmentValuesAreHiddenWhateverTheirNames) {
  // Environment.Variables' keys are the caller's names: one named like a kept member (Name,
  // Description, Role) must not carry its value into the record.
  std::string r = Redact(
      R"({"FunctionName":"f","Description":"kept","Environment":{"Variables":)"
      R"({"Name":"s3cret1","Description":"s3cret2","Role":"s3cret3","DB":"s3cret4"}}})");
  EXPECT_NE(r.find(R"("functionName":"f")"), std::string::npos) << r;
  EXPECT_NE(r.find(R"("description":"kept")"), std::string::npos) << r;
  EXPECT_NE(r.find(R"("Name":"HIDDEN_DUE_TO_SECURITY_REASONS")"), std::string::npos) << r;
  EXPECT_EQ(r.find("s3cret"), std::string::npos) << r;
}

TEST(AuditRedaction, EventTargetHttpHeadersAndQueryValuesAreHiddenWhateverTheirNames) {
  // PutTargets' HttpParameters: header and query-string names are the caller's; an API key
  // sent in a header named like a kept member (Name, Type, Version) must not be recorded.
  std::string r = Redact(
      R"({"Rule":"r","Targets":[{"Id":"t","Arn":"https://h/x","HttpParameters":{)"
      R"("HeaderParameters":{"Name":"s3cret1","Type":"s3cret2","X-Api-Key":"s3cret3"},)"
      R"("QueryStringParameters":{"Version":"s3cret4","token":"s3cret5"}}}]})");
  EXPECT_NE(r.find(R"("Version":"HIDDEN_DUE_TO_SECURITY_REASONS")"), std::string::npos) << r;
  EXPECT_EQ(r.find("s3cret"), std::string::npos) << r;
}

TEST(AuditRedaction, AnErrorMessageNeverCarriesAValueTheParametersHide) {
  // A validation error quoting the header value it refused: the record's errorMessage loses
  // the value (hidden subtree) and any other hidden one, and keeps the kept ones (names).
  rapidjson::Document d;
  d.Parse(R"({"Name":"rule-1","Targets":[{"Id":"t","HttpParameters":{"HeaderParameters":)"
          R"({"Authorization":"Bearer LEAKtoken"}}}],"SecretString":"ab"})");
  const std::string m = RedactedMessage(
      "2 validation errors detected: Value 'Bearer LEAKtoken' at 'targets.1.member.x' failed "
      "to satisfy constraint; Value 'ab' at 'secretString' failed; rule 'rule-1' a ab",
      d);
  EXPECT_EQ(m.find("LEAK"), std::string::npos) << m;
  EXPECT_NE(m.find("Value 'HIDDEN_DUE_TO_SECURITY_REASONS' at 'targets.1.member.x'"),
            std::string::npos)
      << m;
  // A short hidden value goes only where it stands quoted: the words around stay whole.
  EXPECT_NE(m.find("Value 'HIDDEN_DUE_TO_SECURITY_REASONS' at 'secretString'"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("rule 'rule-1' a ab"), std::string::npos) << m;
}

TEST(AuditRedaction, IamAndStsNamesAreKeptTheirSecretsAreNot) {
  // CreateAccessKey's and AssumeRole's answers: the key id and names are metadata (CloudTrail
  // records them); the secret key and the session token are not.
  std::string r = Redact(
      R"({"AccessKey":{"UserName":"alice","AccessKeyId":"AKIAEXAMPLE0000001",)"
      R"("SecretAccessKey":"wJalrXUtnFEMI","Status":"Active"},)"
      R"("Credentials":{"AccessKeyId":"ASIAEXAMPLE0000001","SessionToken":"FwoGZXIvYXdz"},)"
      R"("RoleArn":"arn:aws:iam::111122223333:role/r","RoleSessionName":"s"})");
  for (const char* kept : {R"("userName":"alice")", R"("accessKeyId":"AKIAEXAMPLE0000001")",
                           R"("accessKeyId":"ASIAEXAMPLE0000001")", R"("roleSessionName":"s")",
                           R"("roleArn":"arn:aws:iam::111122223333:role/r")"}) {
    EXPECT_NE(r.find(kept), std::string::npos) << kept << " not in " << r;
  }
  EXPECT_EQ(r.find("wJalrXUtnFEMI"), std::string::npos) << r;
  EXPECT_EQ(r.find("FwoGZXIvYXdz"), std::string::npos) << r;
  EXPECT_FALSE(IsSafeMember("SecretAccessKey"));
  EXPECT_FALSE(IsSafeMember("SessionToken"));
}

TEST(AuditRedaction, MemberNamesAsCloudTrailWritesThemMapKeysAsGiven) {
  // CloudTrail writes a structure member's name with its first letter in lower case unless
  // the first two are capitals ("secretId"; KMS's "AWSAccountId" and "ARN" as they are: AWS
  // KMS's CloudTrail CreateKey example); a map's keys are the caller's and stay as sent, and
  // a list's items (Tags of every service but Lambda) are structures.
  std::string r = Redact(
      R"({"KeyId":"k","EncryptionContext":{"Department":"HR","tenant":"a"},)"
      R"("KeyMetadata":{"KeyId":"k2","Arn":"arn:k"},)"
      R"("VersionIdsToStages":{"V-1":["AWSCURRENT"]},"Tags":{"Team":"core"}})");
  for (const char* kept : {R"("keyId":"k")", R"("encryptionContext":{"Department":"HR","tenant":"a"})",
                           R"("keyMetadata":{"keyId":"k2","arn":"arn:k"})",
                           R"("versionIdsToStages":{"V-1":)",
                           R"("tags":{"Team":"core"})"}) {
    EXPECT_NE(r.find(kept), std::string::npos) << kept << " not in " << r;
  }
  EXPECT_EQ(CloudTrailName("SecretId"), "secretId");
  EXPECT_EQ(CloudTrailName("ARN"), "ARN");
  EXPECT_EQ(CloudTrailName("AWSAccountId"), "AWSAccountId");
  EXPECT_EQ(CloudTrailName("KeyId"), "keyId");
  EXPECT_EQ(CloudTrailName("X"), "x");
  // Timestamps as CloudTrail writes them in responseElements (KMS's CreateKey example).
  std::string dated = Redact(R"({"KeyMetadata":{"CreationDate":1660171107.25,"KeyId":"k"}})");
  EXPECT_NE(dated.find(R"("creationDate":"Aug 10, 2022, 10:38:27 PM")"), std::string::npos)
      << dated;
  EXPECT_NE(Redact(R"({"DeletionDate":1700000000})").find(R"("deletionDate":"Nov 14, 2023, 10:13:20 PM")"),
            std::string::npos);
  EXPECT_EQ(CloudTrailName(""), "");
}

TEST(AuditRedaction, NestedValuesOfEveryServiceAreHidden) {
  // SSM GetParameters answer, KMS Decrypt answer, SM batch answer, random password.
  std::string r = Redact(
      R"({"Parameters":[{"Name":"/a","Type":"SecureString","Value":"s3cr3t","Version":3}],)"
      R"("Plaintext":"cGxhaW4=","CiphertextBlob":"Y2lwaA==","KeyId":"arn:aws:kms:k",)"
      R"("SecretValues":[{"ARN":"arn:s","SecretString":"v1","SecretBinary":"djI="}],)"
      R"("RandomPassword":"pw","PrivateKeyPlaintext":"pk"})");
  for (const char* secret : {"s3cr3t", "cGxhaW4=", "Y2lwaA==", "v1", "djI=", "\"pw\"", "\"pk\""}) {
    EXPECT_EQ(r.find(secret), std::string::npos) << secret << " in " << r;
  }
  EXPECT_NE(r.find(R"("name":"/a")"), std::string::npos) << r;
  EXPECT_NE(r.find(R"("version":3)"), std::string::npos) << r;
  EXPECT_NE(r.find(R"("ARN":"arn:s")"), std::string::npos) << r;
  EXPECT_EQ(Redact("[1]"), "");  // not an object: null in the record
}

TEST(AuditRedaction, ReadOnlyClassification) {
  EXPECT_TRUE(IsReadOnlyOperation("GetSecretValue"));
  EXPECT_TRUE(IsReadOnlyOperation("BatchGetSecretValue"));
  EXPECT_TRUE(IsReadOnlyOperation("Decrypt"));
  EXPECT_FALSE(IsReadOnlyOperation("PutSecretValue"));
  EXPECT_FALSE(IsReadOnlyOperation("ScheduleKeyDeletion"));
  EXPECT_TRUE(IsReadOnlyOperation("AssumeRole"));  // as CloudTrail records it
  EXPECT_TRUE(IsReadOnlyOperation("AssumeRoleWithWebIdentity"));
  EXPECT_TRUE(IsReadOnlyOperation("GetSessionToken"));
  EXPECT_FALSE(IsReadOnlyOperation("CreateRole"));
}

TEST(AuditEventShape, CarriesTheCloudTrailFields) {
  AuditEvent e;
  e.time_ms = 1700000000123;
  e.event_source = "kms.amazonaws.com";
  e.event_name = "Decrypt";
  e.identity.type = "Root";
  e.identity.arn = "arn:aws:iam::123456789012:root";
  e.request_parameters = R"({"keyId":"k"})";
  e.error_code = "AccessDeniedException";
  e.error_message = "no";
  e.event_id = NewEventId();
  e.resources.push_back({kKmsKeyType, "arn:aws:kms:us-east-1:123456789012:key/k", "123456789012"});
  rapidjson::Document d;
  ASSERT_TRUE(json::ParseBounded(EventJson(e), &d).ok());
  EXPECT_STREQ(d["eventVersion"].GetString(), "1.11");
  EXPECT_STREQ(d["eventTime"].GetString(), "2023-11-14T22:13:20Z");
  EXPECT_STREQ(d["eventType"].GetString(), "AwsApiCall");
  EXPECT_STREQ(d["userIdentity"]["type"].GetString(), "Root");
  EXPECT_STREQ(d["requestParameters"]["keyId"].GetString(), "k");
  EXPECT_TRUE(d["responseElements"].IsNull());
  EXPECT_STREQ(d["resources"][0]["ARN"].GetString(), "arn:aws:kms:us-east-1:123456789012:key/k");
  EXPECT_EQ(d["eventID"].GetStringLength(), 36u);
  EXPECT_TRUE(d["managementEvent"].GetBool());
}

TEST(AuditEventShape, EventTimeIsUtcToTheSecondWhicheverSecondCameBefore) {
  // The text of the last second is kept per thread: a change of second, forward or back,
  // must show, and the milliseconds never do.
  EXPECT_EQ(IsoTime(1700000000123), "2023-11-14T22:13:20Z");
  EXPECT_EQ(IsoTime(1700000000999), "2023-11-14T22:13:20Z");
  EXPECT_EQ(IsoTime(1700000001000), "2023-11-14T22:13:21Z");
  EXPECT_EQ(IsoTime(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(IsoTime(1700000000500), "2023-11-14T22:13:20Z");
  EXPECT_EQ(IsoTime(-1), "1969-12-31T23:59:59Z");
  std::string other;
  std::thread([&other] { other = IsoTime(951782400000); }).join();
  EXPECT_EQ(other, "2000-02-29T00:00:00Z");
  EXPECT_EQ(IsoTime(1700000000500), "2023-11-14T22:13:20Z");
}

TEST(AuditEd25519, SignsAndVerifies) {
  std::string seed(32, 's');
  auto pub = crypto::Ed25519PublicKey(seed);
  auto sig = crypto::Ed25519Sign(seed, "message");
  ASSERT_TRUE(pub.ok() && sig.ok());
  EXPECT_TRUE(crypto::Ed25519Verify(*pub, "message", *sig));
  EXPECT_FALSE(crypto::Ed25519Verify(*pub, "messagE", *sig));
  EXPECT_FALSE(crypto::Ed25519Verify(*pub, "message", sig->substr(1)));
}

class AuditFileTrailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("arcana-audit-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<FileTrail> Open(bool fail_closed = true, uint64_t max_bytes = 1 << 20,
                                  uint64_t wal_bytes = FileTrailOptions{}.wal_bytes) {
    FileTrailOptions o;
    o.dir = dir_.string();
    o.node = "n1";
    o.fail_closed = fail_closed;
    o.max_file_bytes = max_bytes;
    o.wal_bytes = wal_bytes;
    auto t = FileTrail::Open(o, &signer_);
    EXPECT_TRUE(t.ok()) << t.status().message();
    return t.ok() ? std::move(*t) : nullptr;
  }
  static std::string Event(int i) {
    AuditEvent e;
    e.time_ms = 1700000000000 + i * 1000;
    e.event_source = "secretsmanager.amazonaws.com";
    e.event_name = i % 2 ? "GetSecretValue" : "PutSecretValue";
    e.event_id = NewEventId();
    e.resources.push_back({kSecretType, "arn:aws:secretsmanager:r:1:secret:s" + std::to_string(i) + "-abcdef", "1"});
    return EventJson(e);
  }
  // Writes n records and closes (which signs a digest).
  void WriteAndClose(int n, uint64_t max_bytes = 1 << 20) {
    auto t = Open(true, max_bytes);
    for (int i = 0; i < n; ++i) ASSERT_TRUE(t->Write(Event(i)).ok());
    t->Close();
  }
  VerifyResult Verify() {
    auto nodes = ListNodes(dir_.string());
    EXPECT_TRUE(nodes.ok());
    EXPECT_EQ(nodes->size(), 1u);
    return VerifyNode(nodes->front(), *signer_.PublicKey());
  }
  std::vector<std::string> Lines(const fs::path& p) {
    std::ifstream in(p);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
  void Rewrite(const fs::path& p, const std::vector<std::string>& lines) {
    std::ofstream out(p, std::ios::trunc);
    for (const auto& l : lines) out << l << "\n";
  }
  fs::path RecordFile(uint32_t n = 1) { return dir_ / RecordFileName("n1", n); }

  fs::path dir_;
  crypto::RootKey root_ = crypto::RootKey::FromBytes(std::string(32, 'r'));
  RootDerivedSigner signer_{root_, nullptr};
};

TEST_F(AuditFileTrailTest, ChainAndDigestVerify) {
  WriteAndClose(5);
  auto r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.records, 5u);
  EXPECT_EQ(r.digests, 1u);
  EXPECT_EQ(r.unsigned_tail, 0u);
  // Reopening resumes the chain and the digests.
  WriteAndClose(3);
  r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.records, 8u);
  EXPECT_EQ(r.digests, 2u);
}

TEST_F(AuditFileTrailTest, RotatesBySizeAndTheChainSpansFiles) {
  WriteAndClose(20, 2000);
  EXPECT_TRUE(fs::exists(RecordFile(2)));
  auto r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.records, 20u);
  EXPECT_GE(r.digests, 2u);  // one at each rotation, one at close
}

TEST_F(AuditFileTrailTest, VerifyCatchesAlteredRecord) {
  WriteAndClose(5);
  auto lines = Lines(RecordFile());
  lines[1].replace(lines[1].find("GetSecretValue"), 14, "GetSecretValuf");
  Rewrite(RecordFile(), lines);
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("sequence 3"), std::string::npos) << r.problem;
  EXPECT_NE(r.problem.find("altered"), std::string::npos) << r.problem;
}

TEST_F(AuditFileTrailTest, VerifyCatchesAlteredLastRecordThroughTheDigest) {
  WriteAndClose(5);
  auto lines = Lines(RecordFile());
  lines[4].replace(lines[4].find("PutSecretValue"), 14, "PutSecretValuf");  // record 5: i = 4
  Rewrite(RecordFile(), lines);
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("record 5 is not the one signed"), std::string::npos) << r.problem;
}

TEST_F(AuditFileTrailTest, VerifyCatchesRemovedReorderedAndInsertedRecords) {
  WriteAndClose(5);
  auto lines = Lines(RecordFile());
  auto removed = lines;
  removed.erase(removed.begin() + 2);
  Rewrite(RecordFile(), removed);
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("records 3..3 are missing"), std::string::npos) << r.problem;

  auto reordered = lines;
  std::swap(reordered[1], reordered[2]);
  Rewrite(RecordFile(), reordered);
  r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("missing"), std::string::npos) << r.problem;  // 3 came before 2

  auto inserted = lines;
  inserted.insert(inserted.begin() + 3, lines[2]);
  Rewrite(RecordFile(), inserted);
  r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("reordered or inserted"), std::string::npos) << r.problem;

  auto truncated = lines;
  truncated.pop_back();
  Rewrite(RecordFile(), truncated);
  r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("records removed"), std::string::npos) << r.problem;
}

TEST_F(AuditFileTrailTest, VerifyCatchesDigestGapsAndForgedDigests) {
  WriteAndClose(2);
  WriteAndClose(2);
  WriteAndClose(2);
  fs::path digests = dir_ / DigestFileName("n1");
  auto lines = Lines(digests);
  ASSERT_EQ(lines.size(), 3u);
  auto gap = lines;
  gap.erase(gap.begin() + 1);
  Rewrite(digests, gap);
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("digest gap"), std::string::npos) << r.problem;

  auto forged = lines;
  forged[2].replace(forged[2].find("\"lastSequence\":6"), 16, "\"lastSequence\":5");
  Rewrite(digests, forged);
  r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("bad signature"), std::string::npos) << r.problem;
}

// Retention: files older than the retention period go, behind a signed retention digest.
class AuditRetentionTest : public AuditFileTrailTest {
 protected:
  // 40 records in files of ~2000 bytes (several files), all last written 10 days ago.
  void WriteOldFiles() {
    WriteAndClose(40, 2000);
    ASSERT_TRUE(fs::exists(RecordFile(4)));
    for (const auto& e : fs::directory_iterator(dir_)) {
      fs::last_write_time(e.path(), fs::file_time_type::clock::now() - std::chrono::hours(240));
    }
  }
  // Opens with the given retention (rotating at 2000 bytes) and waits for its first run.
  std::unique_ptr<FileTrail> OpenWithRetention(std::chrono::hours retention,
                                               std::function<uint64_t()> hold = nullptr) {
    FileTrailOptions o;
    o.dir = dir_.string();
    o.node = "n1";
    o.max_file_bytes = 2000;
    o.retention = retention;
    auto t = FileTrail::Open(o, &signer_);
    EXPECT_TRUE(t.ok()) << t.status().message();
    if (!t.ok()) return nullptr;
    if (hold) (*t)->HoldRecordsFor(std::move(hold));
    // The writer's first tick, about a second after Open, runs retention: wait for the
    // oldest file to go, or long enough to know it stays.
    const uint32_t oldest = OldestFile();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1600);
    while (OldestFile() == oldest && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // Files go one after the other, microseconds apart: let the removal finish.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return std::move(*t);
  }
  uint32_t OldestFile() {
    auto nodes = ListNodes(dir_.string());
    return nodes.ok() && !nodes->empty() && !nodes->front().numbers.empty()
               ? nodes->front().numbers.front() : 0;
  }
};

TEST_F(AuditRetentionTest, OldFilesGoBehindASignedRetentionDigestAndVerifyStillPasses) {
  WriteOldFiles();
  auto before = ListNodes(dir_.string());
  ASSERT_TRUE(before.ok());
  const uint32_t newest = before->front().numbers.back();
  auto t = OpenWithRetention(std::chrono::hours(24));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(OldestFile(), newest);  // every file but the open one went
  for (int i = 40; i < 45; ++i) ASSERT_TRUE(t->Write(Event(i)).ok());
  t.reset();  // closes, and releases the node's lock
  auto r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_GT(r.pruned_through, 0u);
  EXPECT_LT(r.records, 45u);
  const auto digests = Lines(dir_ / DigestFileName("n1"));
  size_t retention_digests = 0;
  for (const auto& d : digests) {
    retention_digests += d.find("\"prunedThroughSequence\"") != std::string::npos;
  }
  EXPECT_EQ(retention_digests, 1u);
  // Reopened: the chain resumes after the kept records.
  WriteAndClose(3, 2000);
  r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
}

TEST_F(AuditRetentionTest, TheChainGoesOnWhenRetentionLeftNoRecordInAnyFile) {
  WriteOldFiles();
  auto before = ListNodes(dir_.string());
  ASSERT_TRUE(before.ok());
  // A rotation just before the node went idle left the newest file empty.
  std::ofstream(RecordFile(before->front().numbers.back() + 1)).close();
  OpenWithRetention(std::chrono::hours(24)).reset();
  auto r = Verify();
  ASSERT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.records, 0u);
  EXPECT_EQ(r.pruned_through, 40u);
  WriteAndClose(3, 2000);
  r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.records, 3u);
  const auto lines = Lines(RecordFile(before->front().numbers.back() + 1));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(SequenceOf(lines.front()), 41u);  // not 1: the chain did not start over
}

TEST_F(AuditRetentionTest, RemovalBeyondTheRetentionDigestIsStillCaught) {
  WriteOldFiles();
  // Keep copies of the files retention will remove.
  const fs::path saved = dir_.string() + "-saved";
  fs::remove_all(saved);
  fs::create_directories(saved);
  for (const auto& e : fs::directory_iterator(dir_)) {
    if (ParseRecordFileName(e.path().filename().string())) fs::copy(e.path(), saved / e.path().filename());
  }
  auto t = OpenWithRetention(std::chrono::hours(24));
  ASSERT_NE(t, nullptr);
  const uint32_t kept = OldestFile();
  ASSERT_GE(kept, 3u);
  // Enough records after retention for rotation to close the kept file.
  for (int i = 40; i < 80; ++i) ASSERT_TRUE(t->Write(Event(i)).ok());
  t->Close();
  ASSERT_TRUE(Verify().ok);
  // A removal that stopped part-way (the newest of the removed files back) still verifies...
  fs::copy(saved / RecordFileName("n1", kept - 1), RecordFile(kept - 1));
  auto r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  // ...but not with a gap before the records the retention digest anchors.
  fs::remove(RecordFile(kept - 1));
  fs::copy(saved / RecordFileName("n1", kept - 2), RecordFile(kept - 2));
  r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("missing (removed)"), std::string::npos) << r.problem;
  fs::remove(RecordFile(kept - 2));
  // The oldest kept file removed too: nothing vouches for that.
  fs::remove(RecordFile(kept));
  r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("missing (removed)"), std::string::npos) << r.problem;
  fs::remove_all(saved);
}

TEST_F(AuditRetentionTest, AForgedRetentionDigestFailsItsSignature) {
  WriteOldFiles();
  auto t = OpenWithRetention(std::chrono::hours(24));
  ASSERT_NE(t, nullptr);
  t->Close();
  const fs::path digests = dir_ / DigestFileName("n1");
  auto lines = Lines(digests);
  for (auto& l : lines) {
    const size_t at = l.find("\"prunedThroughSequence\":");
    if (at == std::string::npos) continue;
    l.insert(at + std::string("\"prunedThroughSequence\":").size(), "1");  // a larger number
  }
  Rewrite(digests, lines);
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("bad signature"), std::string::npos) << r.problem;
}

TEST_F(AuditRetentionTest, RecentFilesAndHeldRecordsStay) {
  WriteOldFiles();
  {
    auto t = OpenWithRetention(std::chrono::hours(24 * 30));  // older than 10 days only
    ASSERT_NE(t, nullptr);
  }
  EXPECT_EQ(OldestFile(), 1u);
  {
    // Old enough, but the store's index has none of the records yet.
    auto t = OpenWithRetention(std::chrono::hours(24), [] { return uint64_t{0}; });
    ASSERT_NE(t, nullptr);
  }
  EXPECT_EQ(OldestFile(), 1u);
  auto r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.pruned_through, 0u);
  EXPECT_EQ(r.records, 40u);
  for (const auto& d : Lines(dir_ / DigestFileName("n1"))) {
    EXPECT_EQ(d.find("pruned"), std::string::npos) << d;  // no retention digest was written
  }
  // The index has the first file's records and one more: only the first file goes.
  const uint64_t first_file_last = SequenceOf(Lines(RecordFile(1)).back());
  {
    auto t = OpenWithRetention(std::chrono::hours(24),
                               [first_file_last] { return first_file_last + 1; });
    ASSERT_NE(t, nullptr);
  }
  EXPECT_EQ(OldestFile(), 2u);
  r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.pruned_through, first_file_last);
}

TEST_F(AuditFileTrailTest, GroupCommitSharesBatchesAcrossThreads) {
  auto t = Open();
  std::vector<std::thread> threads;
  for (int k = 0; k < 8; ++k) {
    threads.emplace_back([&t, k] {
      for (int i = 0; i < 25; ++i) EXPECT_TRUE(t->Write(Event(k * 100 + i)).ok());
    });
  }
  for (auto& th : threads) th.join();
  uint64_t batches = t->batches();
  t->Close();
  auto r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.records, 200u);
  EXPECT_LE(batches, 200u);
}

TEST_F(AuditFileTrailTest, PeriodicDigestsAreWrittenUnderSteadyLoad) {
  // The writer never finds its queue empty for a whole tick: digests must come anyway.
  for (uint64_t wal : {uint64_t{0}, FileTrailOptions{}.wal_bytes}) {
    fs::remove_all(dir_);
    FileTrailOptions o;
    o.dir = dir_.string();
    o.node = "n1";
    o.wal_bytes = wal;
    o.digest_interval = std::chrono::seconds(1);
    o.max_file_bytes = uint64_t{1} << 40;  // no rotation, whose digest would pass for a tick's
    auto t = FileTrail::Open(o, &signer_);
    ASSERT_TRUE(t.ok());
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int k = 0; k < 4; ++k) {
      writers.emplace_back([&, k] {
        for (int i = 0; !stop; ++i) ASSERT_TRUE((*t)->Write(Event(k * 100000 + i)).ok());
      });
    }
    const fs::path digests = dir_ / DigestFileName("n1");
    // A digest is due each second and the writer ticks each second: well within 5 s (a
    // writer that ticked only when idle took ~10 s here, whenever its queue happened to stay
    // empty for a whole tick).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!(fs::exists(digests) && fs::file_size(digests) > 0) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(fs::exists(digests) && fs::file_size(digests) > 0) << "wal bytes " << wal;
    stop = true;
    for (auto& w : writers) w.join();
    (*t)->Close();
    auto r = Verify();
    EXPECT_TRUE(r.ok) << r.problem;
  }
}

TEST_F(AuditFileTrailTest, FailClosedRefusesWhatCannotBeMadeDurable) {
  fs::create_directories(dir_);
  fs::create_symlink("/dev/full", RecordFile());  // every write: ENOSPC
  {
    auto t = Open(/*fail_closed=*/true);
    Status st = t->Write(Event(1));
    EXPECT_EQ(st.code(), ErrorCode::kServiceUnavailable);
    EXPECT_FALSE(t->Healthy());
  }
  {
    auto t = Open(/*fail_closed=*/false);
    EXPECT_TRUE(t->Write(Event(2)).ok());  // fail-open: queued, the loss is logged
    t->Close();
  }
}

TEST_F(AuditFileTrailTest, WriteAsyncAnswersOnceTheRecordIsDurable) {
  auto t = Open();
  std::mutex mu;
  std::condition_variable cv;
  int answered = 0;
  for (int i = 0; i < 50; ++i) {
    t->WriteAsync(Event(i), [&](Status st) {
      EXPECT_TRUE(st.ok()) << st.message();
      // Durable when told: the record is already in the file.
      EXPECT_GE(fs::file_size(RecordFile()), 1u);
      std::lock_guard<std::mutex> l(mu);
      ++answered;
      cv.notify_all();
    });
  }
  {
    std::unique_lock<std::mutex> l(mu);
    ASSERT_TRUE(cv.wait_for(l, std::chrono::seconds(10), [&] { return answered == 50; }));
  }
  t->Close();
  auto r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.records, 50u);
}

TEST_F(AuditFileTrailTest, WriteAsyncReportsWhatCannotBeMadeDurable) {
  fs::create_directories(dir_);
  fs::create_symlink("/dev/full", RecordFile());  // every write: ENOSPC
  auto t = Open(/*fail_closed=*/true);
  std::promise<Status> told;
  t->WriteAsync(Event(1), [&told](Status st) { told.set_value(st); });
  auto answer = told.get_future();
  ASSERT_EQ(answer.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(answer.get().code(), ErrorCode::kServiceUnavailable);
  t->Close();
  // Closed: refused at once, on the calling thread.
  Status late;
  t->WriteAsync(Event(2), [&late](Status st) { late = st; });
  EXPECT_EQ(late.code(), ErrorCode::kServiceUnavailable);
}

TEST_F(AuditFileTrailTest, SecondWriterOfOneNodeIsRefused) {
  auto t = Open();
  FileTrailOptions o;
  o.dir = dir_.string();
  o.node = "n1";
  EXPECT_FALSE(FileTrail::Open(o, nullptr).ok());
}

TEST_F(AuditFileTrailTest, SearchFiltersNewestFirst) {
  WriteAndClose(6);
  TrailQuery q;
  q.event_name = "GetSecretValue";
  bool more = false;
  auto page = SearchTrail(dir_.string(), q, 2, &more);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_TRUE(more);
  EXPECT_EQ((*page)[0].sequence, 6u);
  EXPECT_EQ((*page)[1].sequence, 4u);
  q = TrailQuery{};
  q.resource_name = "s3";
  page = SearchTrail(dir_.string(), q, 10, &more);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].sequence, 4u);
}


// Over several rotated files, a search finds what reading every record would, newest first,
// on its first run and on later ones (which skip the older files whose latest eventTime it
// learned), whatever the page size and filter, and with a file older by number that holds
// later records than a newer one (a node whose clock went back).
TEST_F(AuditFileTrailTest, SearchOverRotatedFilesIsExactAndSkipsOlderFiles) {
  WriteAndClose(40, 1500);  // a handful of records per file
  auto nodes = ListNodes(dir_.string());
  ASSERT_TRUE(nodes.ok());
  ASSERT_GT(nodes->front().record_files.size(), 3u);
  auto all_sequences = [&](const TrailQuery& q) {
    std::vector<uint64_t> out;
    bool more = true;
    TrailQuery page_q = q;
    while (more) {
      auto page = SearchTrail(dir_.string(), page_q, 7, &more);
      EXPECT_TRUE(page.ok());
      if (!page.ok() || page->empty()) break;
      for (const auto& m : *page) out.push_back(m.sequence);
      page_q.has_cursor = true;
      page_q.cursor_ms = page->back().time_ms;
      page_q.cursor_node = page->back().node;
      page_q.cursor_seq = page->back().sequence;
    }
    return out;
  };
  std::vector<uint64_t> expected;
  for (uint64_t s = 40; s >= 1; --s) expected.push_back(s);
  for (int run = 0; run < 2; ++run) {
    EXPECT_EQ(all_sequences(TrailQuery{}), expected) << run;
    bool more = false;
    auto newest = SearchTrail(dir_.string(), TrailQuery{}, 3, &more);
    ASSERT_TRUE(newest.ok());
    ASSERT_EQ(newest->size(), 3u);
    EXPECT_EQ((*newest)[0].sequence, 40u);
    EXPECT_EQ((*newest)[2].sequence, 38u);
    TrailQuery by_name;
    by_name.event_name = "GetSecretValue";
    std::vector<uint64_t> even;
    for (uint64_t s = 40; s >= 1; s -= 2) even.push_back(s);
    EXPECT_EQ(all_sequences(by_name), even) << run;
  }
  // The oldest file's records moved later than every other (its size and time change, so
  // what was learned of it is dropped): they come first.
  const std::string oldest = nodes->front().record_files.front();
  std::vector<std::string> lines = Lines(oldest);
  std::ofstream out(oldest, std::ios::trunc);
  for (auto& l : lines) {
    const size_t at = l.find("\"eventTime\":\"");
    ASSERT_NE(at, std::string::npos);
    l.replace(at + 13, 4, "2099");
    out << l << "\n";
  }
  out.close();
  bool more = false;
  auto first = SearchTrail(dir_.string(), TrailQuery{}, 1, &more);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].time_ms / 1000 / 31557600 + 1970, 2099);
}

// What a ResourceName finds a resource by: its ARN, the ARN's resource part and its names
// after each '/' or ':' of it (and from each '/'), a secret's name without its suffix; never
// a piece of the ARN's account or region; a long value in its indexed (digest) form only.
TEST(AuditLookupKeys, ResourceNamesComeFromTheArnsResourcePart) {
  using V = std::vector<std::string>;
  const std::string secret = "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db-AbCdEf";
  V expected = {secret, "/db-AbCdEf", "app/db", "app/db-AbCdEf", "db-AbCdEf",
                "secret:app/db-AbCdEf"};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ResourceNameKeys(secret), expected);
  EXPECT_EQ(ResourceNameKeys("arn:aws:kms:us-east-1:111122223333:key/k1"),
            (V{"/k1", "arn:aws:kms:us-east-1:111122223333:key/k1", "k1", "key/k1"}));
  EXPECT_EQ(ResourceNameKeys("not-an-arn/x"), (V{"/x", "not-an-arn/x", "x"}));
  EXPECT_TRUE(ResourceNameKeys("").empty());
  rapidjson::Document rec;
  rec.Parse(R"({"eventID":"e1","eventName":"GetSecretValue","eventSource":"s","readOnly":true,
      "userIdentity":{"type":"Root","arn":"arn:aws:iam::1:root","accessKeyId":"AK"},
      "resources":[{"type":"T","ARN":"arn:aws:ssm:r:1:parameter/)" + std::string(600, 'p') +
            R"("}]})");
  ASSERT_FALSE(rec.HasParseError());
  std::vector<std::string> got;
  for (const auto& k : LookupKeysOf(rec)) got.push_back(k.attribute + "=" + k.value);
  for (const std::string& want : std::vector<std::string>{"EventId=e1", "EventName=GetSecretValue", "EventSource=s",
                                 "ReadOnly=true", "Username=root", "AccessKeyId=AK",
                                 "ResourceType=T", "ResourceName=" + IndexValue(std::string(600, 'p'))}) {
    EXPECT_NE(std::find(got.begin(), got.end(), want), got.end()) << want;
  }
  for (const auto& g : got) EXPECT_LE(g.size(), 600u) << g;  // long values as digests
}

// ---------------------------------------------------------------- the write-ahead log

class AuditWriteAheadLogTest : public AuditFileTrailTest {
 protected:
  std::unique_ptr<FileTrail> OpenWithLog(uint64_t wal_bytes, uint64_t max_bytes = 1 << 20) {
    return Open(/*fail_closed=*/true, max_bytes, wal_bytes);
  }
  // What a power loss can do to the record file: its last `lost` lines never reached the disk.
  void LoseLastLines(size_t lost, uint32_t file = 1) {
    auto lines = Lines(RecordFile(file));
    ASSERT_GE(lines.size(), lost);
    lines.resize(lines.size() - lost);
    Rewrite(RecordFile(file), lines);
  }
  fs::path Wal() { return dir_ / "n1.wal"; }
};

TEST_F(AuditWriteAheadLogTest, RecordsTheFileLostAreRecoveredAtOpen) {
  {
    auto t = OpenWithLog(1 << 20);
    for (int i = 0; i < 6; ++i) ASSERT_TRUE(t->Write(Event(i)).ok());
    t->Close();
  }
  EXPECT_EQ(fs::file_size(Wal()), 1u << 20);  // preallocated
  const auto before = Lines(RecordFile());
  LoseLastLines(3);
  {
    auto t = OpenWithLog(1 << 20);
    EXPECT_EQ(Lines(RecordFile()), before);  // restored as written, in order
    ASSERT_TRUE(t->Write(Event(7)).ok());    // and the chain goes on from them
    t->Close();
  }
  auto r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.records, 7u);
}

TEST_F(AuditWriteAheadLogTest, ABatchLargerThanTheLogEmptiesIt) {
  // Records made durable without the log: its older frames must not read as the node's
  // newest records (verify takes a file record newer than the log's newest for inserted).
  auto t = OpenWithLog(4096);
  ASSERT_TRUE(t->Write(Event(1)).ok());
  auto frames = WriteAheadLog::ReadFrames(Wal().string());
  ASSERT_TRUE(frames.ok());
  ASSERT_EQ(frames->size(), 1u);
  AuditEvent big;
  big.event_name = "PutSecretValue";
  big.error_message = std::string(kMaxTextField, 'm');
  big.user_agent = std::string(kMaxTextField, 'u');
  for (int i = 0; i < 4; ++i) {
    big.resources.push_back({kSecretType, "arn:" + std::string(1000, 'a' + i), "1"});
  }
  ASSERT_GT(EventJson(big).size(), 4096u);
  ASSERT_TRUE(t->Write(EventJson(big)).ok());
  frames = WriteAheadLog::ReadFrames(Wal().string());
  ASSERT_TRUE(frames.ok());
  EXPECT_TRUE(frames->empty());
  ASSERT_TRUE(t->Write(Event(3)).ok());  // framed again from the start
  frames = WriteAheadLog::ReadFrames(Wal().string());
  ASSERT_TRUE(frames.ok());
  ASSERT_EQ(frames->size(), 1u);
  EXPECT_EQ(frames->front().first_sequence, 3u);
  t->Close();
}

TEST_F(AuditWriteAheadLogTest, AFullLogSyncsTheFileAndStartsOverWithoutLosingRecords) {
  // 4 KiB holds a few records: the log wraps many times.
  {
    auto t = OpenWithLog(4096);
    for (int i = 0; i < 40; ++i) ASSERT_TRUE(t->Write(Event(i)).ok());
    t->Close();
  }
  const auto before = Lines(RecordFile());
  ASSERT_EQ(before.size(), 40u);
  LoseLastLines(1);  // the newest lap holds at least the last record
  {
    auto t = OpenWithLog(4096);
    EXPECT_EQ(Lines(RecordFile()), before);
    t->Close();
  }
  // A record older than the log's lap (synced when the log wrapped) is not in it: a removal
  // by hand is not undone, and verify reports it.
  LoseLastLines(20);
  { OpenWithLog(4096)->Close(); }
  EXPECT_LT(Lines(RecordFile()).size(), 40u);
  EXPECT_FALSE(Verify().ok);
}

TEST_F(AuditWriteAheadLogTest, RotationSyncsTheOldFileAndRecoveryAppendsToTheNewest) {
  {
    auto t = OpenWithLog(1 << 20, 2000);
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(t->Write(Event(i)).ok());
    t->Close();
  }
  uint32_t newest = 1;
  while (fs::exists(RecordFile(newest + 1))) ++newest;
  ASSERT_GT(newest, 1u);
  const auto before = Lines(RecordFile(newest));
  ASSERT_FALSE(before.empty());
  LoseLastLines(before.size(), newest);
  { OpenWithLog(1 << 20, 2000)->Close(); }
  EXPECT_EQ(Lines(RecordFile(newest)), before);
  auto r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.records, 10u);
}

TEST_F(AuditWriteAheadLogTest, AfterAProcessCrashTheFileIsSyncedBeforeTheLogIsWrittenOver) {
  // What kill -9 leaves: the files as the page cache holds them (every record, maybe none
  // on disk yet), the log's frames, and the lock file's open mark. A copy taken while the
  // trail is open is that state.
  const fs::path crashed = dir_.string() + "-crashed";
  fs::remove_all(crashed);
  {
    auto t = OpenWithLog(1 << 20);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(t->Write(Event(i)).ok());
    fs::copy(dir_, crashed, fs::copy_options::recursive);
    t->Close();
  }
  std::vector<std::string> synced;
  size_t frames_at_first_sync = 0;
  FileTrailOptions o;
  o.dir = crashed.string();
  o.node = "n1";
  o.record_file_synced = [&](const std::string& file) {
    if (synced.empty()) {
      auto frames = WriteAheadLog::ReadFrames((crashed / "n1.wal").string());
      frames_at_first_sync = frames.ok() ? frames->size() : 0;
    }
    synced.push_back(file);
  };
  {
    auto t = FileTrail::Open(o, &signer_);
    ASSERT_TRUE(t.ok()) << t.status().message();
    EXPECT_TRUE((*t)->interrupted());
    // Synced at open, while the log still held the frames of records 1-5: before the next
    // batch's frame overwrites them from the log's start.
    ASSERT_EQ(synced, std::vector<std::string>{RecordFileName("n1", 1)});
    EXPECT_EQ(frames_at_first_sync, 5u);
    ASSERT_TRUE((*t)->Write(Event(6)).ok());
    (*t)->Close();
  }
  // Closed in order: the next start is not taken for a crash's.
  synced.clear();
  auto again = FileTrail::Open(o, &signer_);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_FALSE((*again)->interrupted());
  (*again)->Close();
  fs::remove_all(crashed);
}

TEST_F(AuditWriteAheadLogTest, ARecordEditedWhileTheNodeWasDownStopsItsNextOpen) {
  // The log's copy of a record the file holds differs: the open would sign the edit (the
  // record re-chained after it), so it fails naming the record, and changes nothing.
  {
    auto t = OpenWithLog(1 << 20);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(t->Write(Event(i)).ok());
    fs::copy(dir_, dir_.string() + "-killed", fs::copy_options::recursive);  // kill -9
    t->Close();
  }
  fs::remove_all(dir_);
  fs::rename(dir_.string() + "-killed", dir_);
  auto lines = Lines(RecordFile());
  ASSERT_EQ(lines.size(), 5u);
  const std::string from = "\"eventName\":\"GetSecretValue\"";
  lines[3].replace(lines[3].find(from), from.size(), "\"eventName\":\"ListSecrets\"");
  const std::string prev = "\"arcanaPreviousHash\":\"";
  lines[4].replace(lines[4].find(prev) + prev.size(), 64, LineHash(lines[3]));  // re-chained
  Rewrite(RecordFile(), lines);
  const auto wal_before = Lines(Wal());
  FileTrailOptions o;
  o.dir = dir_.string();
  o.node = "n1";
  o.wal_bytes = 1 << 20;
  auto t = FileTrail::Open(o, &signer_);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find(RecordFileName("n1", 1) + ":4 (sequence 4) is not the "
                                      "record node n1's write-ahead log holds"),
            std::string::npos)
      << t.status().message();
  EXPECT_EQ(Lines(RecordFile()), lines);
  EXPECT_TRUE(Lines(Wal()) == wal_before);  // its copies still show the edit
  EXPECT_FALSE(fs::exists(dir_ / "n1.digests.jsonl"));  // nothing signed
}

TEST_F(AuditWriteAheadLogTest, AnOpenRightAfterARotationComparesTheFileBeforeTheNewest) {
  // The rotation left the newest file empty; the log's frames are the previous file's.
  {
    auto t = OpenWithLog(1 << 20, 2000);
    for (int i = 0; !fs::exists(RecordFile(2)); ++i) ASSERT_TRUE(t->Write(Event(i)).ok());
    t->Close();
  }
  ASSERT_EQ(fs::file_size(RecordFile(2)), 0u);
  auto frames = WriteAheadLog::ReadFrames(Wal().string());
  ASSERT_TRUE(frames.ok());
  ASSERT_FALSE(frames->empty());
  { OpenWithLog(1 << 20, 2000)->Close(); }
  // The file the frames describe, edited: refused.
  auto lines = Lines(RecordFile(1));
  lines.back().replace(lines.back().find("secretsmanager"), 14, "secretsmanagex");
  Rewrite(RecordFile(1), lines);
  FileTrailOptions o;
  o.dir = dir_.string();
  o.node = "n1";
  o.max_file_bytes = 2000;
  o.wal_bytes = 1 << 20;
  auto t = FileTrail::Open(o, &signer_);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find(RecordFileName("n1", 1) + ":" +
                                      std::to_string(lines.size()) + " (sequence "),
            std::string::npos)
      << t.status().message();
}

TEST_F(AuditWriteAheadLogTest, TornAndStaleFramesEndTheLog) {
  fs::create_directories(dir_);
  const std::string path = (dir_ / "x.wal").string();
  {
    auto wal = WriteAheadLog::Open(path, 1 << 16);
    ASSERT_TRUE(wal.ok()) << wal.status().message();
    ASSERT_TRUE((*wal)->Append(1, 2, "a\nb\n").ok());
    ASSERT_TRUE((*wal)->Append(3, 1, "c\n").ok());
    ASSERT_TRUE((*wal)->Append(4, 1, "d\n").ok());
    auto frames = (*wal)->Frames();
    ASSERT_TRUE(frames.ok());
    ASSERT_EQ(frames->size(), 3u);
    EXPECT_EQ((*frames)[0].first_sequence, 1u);
    EXPECT_EQ((*frames)[0].count, 2u);
    EXPECT_EQ((*frames)[0].payload, "a\nb\n");
    EXPECT_EQ((*frames)[2].payload, "d\n");
    // The next lap: its first frame is as long as the old first one, so the old second one
    // follows it on disk, with a sequence that does not continue it.
    (*wal)->Rewind();
    ASSERT_TRUE((*wal)->Append(9, 2, "e\nf\n").ok());
    frames = (*wal)->Frames();
    ASSERT_TRUE(frames.ok());
    ASSERT_EQ(frames->size(), 1u);
    EXPECT_EQ((*frames)[0].first_sequence, 9u);
    ASSERT_TRUE((*wal)->Append(11, 1, "g\n").ok());
  }
  // A torn frame (a byte of its payload not written) ends the log before it.
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(2 * kWalFrameHeaderBytes + 4));  // in "g\n"'s frame
    f.put('x');
  }
  auto wal = WriteAheadLog::Open(path, 1 << 16);
  ASSERT_TRUE(wal.ok());
  auto frames = (*wal)->Frames();
  ASSERT_TRUE(frames.ok());
  ASSERT_EQ(frames->size(), 1u);
  EXPECT_EQ((*frames)[0].payload, "e\nf\n");
}

TEST_F(AuditWriteAheadLogTest, FramesOfTheFirstVersionAreStillRead) {
  // A log left by a crash of a version that framed with SHA-256 ("AWL1", 32-byte digest):
  // the upgraded server recovers its records, then writes version-2 frames after them.
  fs::create_directories(dir_);
  const std::string path = (dir_ / "v1.wal").string();
  auto le = [](uint64_t v, int bytes) {
    std::string out;
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return out;
  };
  const std::string payload = "a\nb\n";
  std::string fields = "AWL1" + le(payload.size(), 4) + le(1, 8) + le(2, 4) + le(0, 4);
  std::string frame = fields + crypto::Sha256(fields + payload) + payload;
  {
    std::ofstream f(path, std::ios::binary);
    f << frame << std::string(4096 - frame.size(), '\0');
  }
  auto wal = WriteAheadLog::Open(path, 4096);
  ASSERT_TRUE(wal.ok()) << wal.status().message();
  auto frames = (*wal)->Frames();
  ASSERT_TRUE(frames.ok());
  ASSERT_EQ(frames->size(), 1u);
  EXPECT_EQ((*frames)[0].payload, payload);
  EXPECT_EQ((*frames)[0].count, 2u);
  // A bit flipped in the old frame's payload: its SHA-256 no longer matches.
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(frame.size() - 2));
    f.put('x');
  }
  frames = (*wal)->Frames();
  ASSERT_TRUE(frames.ok());
  EXPECT_TRUE(frames->empty());
}

// The header-size arithmetic where versions meet: version-2 frames written over a version-1
// lap end at a stale version-1 frame (it does not continue their sequence), and a version-2
// frame whose header lies in the file's last 40..55 bytes (shorter than a version-1 header)
// is read, as is a log filled to its last byte.
TEST_F(AuditWriteAheadLogTest, VersionTwoFramesOverAVersionOneLapAndAtTheEndOfTheFile) {
  fs::create_directories(dir_);
  const std::string path = (dir_ / "mixed.wal").string();
  auto le = [](uint64_t v, int bytes) {
    std::string out;
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return out;
  };
  auto v1_frame = [&](uint64_t first, uint32_t count, const std::string& payload) {
    std::string fields = "AWL1" + le(payload.size(), 4) + le(first, 8) + le(count, 4) + le(0, 4);
    return fields + crypto::Sha256(fields + payload) + payload;
  };
  const std::string a = v1_frame(1, 2, "a\nb\n");  // 60 bytes
  const std::string b = v1_frame(3, 1, "c\n");
  {
    std::ofstream f(path, std::ios::binary);
    f << a << b << std::string(4096 - a.size() - b.size(), '\0');
  }
  constexpr uint64_t kSize = 4096;
  auto wal = WriteAheadLog::Open(path, kSize);
  ASSERT_TRUE(wal.ok()) << wal.status().message();
  auto frames = (*wal)->Frames();
  ASSERT_TRUE(frames.ok());
  ASSERT_EQ(frames->size(), 2u);
  EXPECT_EQ((*frames)[1].first_sequence, 3u);
  // The next lap, in version 2: a frame exactly as long as the old first one, so the old
  // second frame (sequence 3) follows it on disk.
  const std::string twenty = "0123456789abcdefghi\n";
  ASSERT_EQ(kWalFrameHeaderBytes + twenty.size(), a.size());
  (*wal)->Rewind();
  ASSERT_TRUE((*wal)->Append(4, 1, twenty).ok());
  frames = (*wal)->Frames();
  ASSERT_TRUE(frames.ok());
  ASSERT_EQ(frames->size(), 1u);
  EXPECT_EQ((*frames)[0].first_sequence, 4u);
  // Filled up to the last 42 bytes, then a 2-byte record there: its header starts within the
  // last 56 bytes (a version-1 header would not fit) and the frame ends at the file's end.
  uint64_t used = a.size();
  uint64_t seq = 5;
  while (kSize - used > 42 + kWalFrameHeaderBytes + 200) {
    const std::string p(199, 'x');
    ASSERT_TRUE((*wal)->Append(seq++, 1, p + "\n").ok());
    used += kWalFrameHeaderBytes + 200;
  }
  const uint64_t pad = kSize - used - 42 - kWalFrameHeaderBytes;
  ASSERT_TRUE((*wal)->Append(seq++, 1, std::string(pad - 1, 'y') + "\n").ok());
  ASSERT_TRUE((*wal)->Fits(2));
  ASSERT_FALSE((*wal)->Fits(3));
  ASSERT_TRUE((*wal)->Append(seq, 1, "z\n").ok());
  frames = WriteAheadLog::ReadFrames(path);
  ASSERT_TRUE(frames.ok());
  ASSERT_FALSE(frames->empty());
  EXPECT_EQ(frames->back().first_sequence, seq);
  EXPECT_EQ(frames->back().payload, "z\n");
  EXPECT_EQ(frames->size(), seq - 3);
}

// `arcana audit tail --follow`'s reading (cli/audit_commands.h): bounded chunks, whole lines.

std::string FollowRecord(uint64_t seq) {
  // A record line's shape (audit/chain.h), padded so that records straddle chunk borders at
  // varying places.
  return R"({"eventName":"E-)" + std::to_string(seq) + R"(","pad":")" +
         std::string(100 + seq % 37, 'p') + R"(","arcanaSequence":)" + std::to_string(seq) +
         R"(,"arcanaPreviousHash":")" + std::string(64, '0') + "\"}";
}

TEST_F(AuditFileTrailTest, FollowReadsAFileLargerThanItsChunkOnceInOrder) {
  fs::create_directories(dir_);
  cli::FollowCursor c;
  c.path = (dir_ / "n1.000001.jsonl").string();
  std::ofstream out(c.path, std::ios::binary);
  uint64_t written = 0;
  size_t bytes = 0;
  while (bytes < cli::kFollowChunkBytes * 5 / 2) {  // 2.5 chunks
    const std::string line = FollowRecord(++written) + "\n";
    out << line;
    bytes += line.size();
  }
  const std::string torn = FollowRecord(written + 1) + "\n";
  out << torn.substr(0, 50) << std::flush;
  std::vector<uint64_t> seen;
  std::vector<std::string> lines;
  auto on_line = [&](std::string_view line) {
    seen.push_back(SequenceOf(line));
    lines.emplace_back(line);
  };
  ASSERT_TRUE(cli::ReadAppended(c, on_line));
  ASSERT_EQ(seen.size(), written);
  for (uint64_t i = 0; i < written; ++i) {
    ASSERT_EQ(seen[i], i + 1);
    ASSERT_EQ(lines[i], FollowRecord(i + 1));
  }
  EXPECT_EQ(c.offset, bytes);  // the torn line waits
  ASSERT_TRUE(cli::ReadAppended(c, on_line));
  EXPECT_EQ(seen.size(), written);  // nothing new: nothing again
  // The torn line completes; more records (again over a chunk) follow.
  out << torn.substr(50);
  const uint64_t before = written + 1;
  for (size_t more = 0; more < cli::kFollowChunkBytes + 1000;) {
    const std::string line = FollowRecord(++written + 1) + "\n";
    out << line;
    more += line.size();
  }
  ++written;
  out << std::flush;
  ASSERT_TRUE(cli::ReadAppended(c, on_line));
  ASSERT_EQ(seen.size(), written);
  for (uint64_t i = before - 1; i < written; ++i) {
    ASSERT_EQ(seen[i], i + 1);
    ASSERT_EQ(lines[i], FollowRecord(i + 1));
  }
  EXPECT_EQ(c.offset, fs::file_size(c.path));
}

TEST_F(AuditFileTrailTest, FollowGetsEveryLineWhereverTheChunksEnd) {
  fs::create_directories(dir_);
  const std::string path = (dir_ / "n1.000001.jsonl").string();
  std::string text;
  for (uint64_t seq = 1; seq <= 100; ++seq) text += FollowRecord(seq) + "\n";
  std::ofstream(path, std::ios::binary) << text;
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{333}, size_t{4096}}) {
    cli::FollowCursor c;
    c.path = path;
    std::vector<std::string> lines;
    ASSERT_TRUE(cli::ReadAppended(c, [&](std::string_view l) { lines.emplace_back(l); }, chunk,
                                  1024));
    ASSERT_EQ(lines.size(), 100u) << chunk;
    for (uint64_t i = 0; i < 100; ++i) ASSERT_EQ(lines[i], FollowRecord(i + 1)) << chunk;
    EXPECT_EQ(c.offset, text.size());
  }
}

TEST_F(AuditFileTrailTest, FollowSkipsALineLongerThanARecordAndKeepsGoing) {
  fs::create_directories(dir_);
  cli::FollowCursor c;
  c.path = (dir_ / "n1.000001.jsonl").string();
  const size_t chunk = 64, max_line = 400;
  std::ofstream out(c.path, std::ios::binary);
  out << FollowRecord(1) << "\n"
      << "not a record\n"  // passed on: the caller skips what is not a record, as before
      << std::string(1000, 'x') << "\n"
      << FollowRecord(2) << "\n"
      << std::string(900, 'y') << std::flush;  // over-long and still being written
  std::vector<std::string> lines;
  auto on_line = [&](std::string_view line) { lines.emplace_back(line); };
  std::ostringstream err;
  auto* old = std::cerr.rdbuf(err.rdbuf());
  const bool ok1 = cli::ReadAppended(c, on_line, chunk, max_line);
  out << std::string(500, 'y') << "\n" << FollowRecord(3) << "\n" << FollowRecord(4).substr(0, 20)
      << std::flush;
  const bool ok2 = cli::ReadAppended(c, on_line, chunk, max_line);
  out << FollowRecord(4).substr(20) << "\n" << std::flush;
  const bool ok3 = cli::ReadAppended(c, on_line, chunk, max_line);
  std::cerr.rdbuf(old);
  ASSERT_TRUE(ok1 && ok2 && ok3);
  EXPECT_EQ(lines, (std::vector<std::string>{FollowRecord(1), "not a record", FollowRecord(2),
                                             FollowRecord(3), FollowRecord(4)}));
  const std::string said = err.str();
  size_t messages = 0;
  for (size_t at = 0; (at = said.find("skipped", at)) != std::string::npos; ++at) ++messages;
  EXPECT_EQ(messages, 2u) << said;
  EXPECT_EQ(c.offset, fs::file_size(c.path));
  EXPECT_FALSE(c.skipping);
}

}  // namespace
}  // namespace arcana::audit
