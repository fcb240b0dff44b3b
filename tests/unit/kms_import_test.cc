// Key import and key agreement: AES key wrap with padding (RFC 5649 test vectors),
// RSA_AES_KEY_WRAP and RSAES-OAEP import tokens through the KeyRing (token bound to its key,
// expiring after 24 h), imported material ids, private key spec checks, ECDH symmetry,
// the lazy expiry of imported material and multi-Region material sharing (also of imported
// material: each region its own import and expiry, one shared sealed row).
#include <gtest/gtest.h>

#include "hex_testing.h"

#include <filesystem>

#include "crypto/asymmetric.h"
#include "crypto/hash.h"
#include "crypto/key_import.h"
#include "crypto/random.h"
#include "domain/kms/rules.h"
#include "services/kms/key_ring.h"
#include "storage/sqlite/sqlite_stores.h"

namespace arcana {
namespace {

namespace dk = domain::kms;
using services::kms::Key;
using services::kms::KeyRing;

using arcana::testing::Unhex;

TEST(AesKeyWrapPad, KnownAnswersAndRoundTrips) {
  // RFC 5649's own vectors use a 192-bit KEK; these two (RFC 5649's plaintexts under a
  // 256-bit KEK) were computed with pyca/cryptography's aes_key_wrap_with_padding, an
  // independent implementation: the byte format must match what other tools write.
  const std::string kek =
      Unhex("1e8aedb6f4e8bb0918f3b4fa5f5a6b7d1e8aedb6f4e8bb0918f3b4fa5f5a6b7d");
  EXPECT_EQ(crypto::HexEncode(
                *crypto::AesKeyWrapPad(kek, Unhex("c37b7e6492584340bed12207808941155068f738"))),
            "b9573d6e06c6c0f6362e922c4b5b63e13108b2116e46201cbbb0ac8288a37456");
  EXPECT_EQ(crypto::HexEncode(*crypto::AesKeyWrapPad(kek, Unhex("466f7250617369"))),
            "6c023a752b6f3a786875b1cde0c26c76");
  for (size_t n : {1u, 7u, 8u, 9u, 32u, 65u, 1218u}) {
    std::string plain = crypto::RandomBytes(n);
    auto wrapped = crypto::AesKeyWrapPad(kek, plain);
    ASSERT_TRUE(wrapped.ok()) << n;
    EXPECT_EQ(wrapped->size(), ((n + 7) / 8) * 8 + 8) << n;
    auto back = crypto::AesKeyUnwrapPad(kek, *wrapped);
    ASSERT_TRUE(back.ok()) << n;
    EXPECT_EQ(*back, plain);
    std::string tampered = *wrapped;
    tampered[tampered.size() / 2] ^= 1;
    EXPECT_FALSE(crypto::AesKeyUnwrapPad(kek, tampered).ok());
  }
  EXPECT_FALSE(crypto::AesKeyUnwrapPad(std::string(32, 'x'), "short").ok());
  EXPECT_FALSE(crypto::AesKeyWrapPad(std::string(16, 'x'), "material").ok());
}

TEST(EcdhSharedSecret, BothSidesAgreeAndCurvesMustMatch) {
  for (auto spec : {crypto::AsymmetricSpec::kP256, crypto::AsymmetricSpec::kP384,
                    crypto::AsymmetricSpec::kP521}) {
    auto a = crypto::LoadPrivateKey(*crypto::GenerateKeyPair(spec));
    auto b = crypto::LoadPrivateKey(*crypto::GenerateKeyPair(spec));
    auto a_pub = crypto::LoadPublicKey(*crypto::ExportPublicKey(a->get()));
    auto b_pub = crypto::LoadPublicKey(*crypto::ExportPublicKey(b->get()));
    auto ab = crypto::EcdhSharedSecret(a->get(), b_pub->get());
    auto ba = crypto::EcdhSharedSecret(b->get(), a_pub->get());
    ASSERT_TRUE(ab.ok() && ba.ok());
    EXPECT_EQ(*ab, *ba);
    EXPECT_EQ(ab->size(), spec == crypto::AsymmetricSpec::kP256   ? 32u
                          : spec == crypto::AsymmetricSpec::kP384 ? 48u
                                                                  : 66u);
  }
  auto p256 = crypto::LoadPrivateKey(*crypto::GenerateKeyPair(crypto::AsymmetricSpec::kP256));
  auto p384 = crypto::LoadPrivateKey(*crypto::GenerateKeyPair(crypto::AsymmetricSpec::kP384));
  auto rsa = crypto::LoadPrivateKey(*crypto::GenerateKeyPair(crypto::AsymmetricSpec::kRsa2048));
  EXPECT_EQ(crypto::EcdhSharedSecret(p256->get(), p384->get()).status().code(),
            ErrorCode::kValidation);
  EXPECT_EQ(crypto::EcdhSharedSecret(p256->get(), rsa->get()).status().code(),
            ErrorCode::kValidation);
}

TEST(PrivateKeyIsOfSpec, ChecksTypeSizeAndCurve) {
  auto p256 = *crypto::GenerateKeyPair(crypto::AsymmetricSpec::kP256);
  auto k1 = *crypto::GenerateKeyPair(crypto::AsymmetricSpec::kSecp256k1);
  auto rsa = *crypto::GenerateKeyPair(crypto::AsymmetricSpec::kRsa2048);
  EXPECT_TRUE(crypto::PrivateKeyIsOfSpec(p256, crypto::AsymmetricSpec::kP256));
  EXPECT_FALSE(crypto::PrivateKeyIsOfSpec(p256, crypto::AsymmetricSpec::kP384));
  EXPECT_FALSE(crypto::PrivateKeyIsOfSpec(p256, crypto::AsymmetricSpec::kSecp256k1));
  EXPECT_TRUE(crypto::PrivateKeyIsOfSpec(k1, crypto::AsymmetricSpec::kSecp256k1));
  EXPECT_TRUE(crypto::PrivateKeyIsOfSpec(rsa, crypto::AsymmetricSpec::kRsa2048));
  EXPECT_FALSE(crypto::PrivateKeyIsOfSpec(rsa, crypto::AsymmetricSpec::kRsa3072));
  EXPECT_FALSE(crypto::PrivateKeyIsOfSpec(rsa, crypto::AsymmetricSpec::kP256));
  EXPECT_FALSE(crypto::PrivateKeyIsOfSpec(std::string(32, 'x'), crypto::AsymmetricSpec::kP256));
}

class KeyImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("kms-import-" + crypto::NewUuidV4());
    std::filesystem::create_directories(dir_);
    auto s = storage::sqlite::OpenSqliteStores((dir_ / "arcana.db").string());
    ASSERT_TRUE(s.ok()) << s.status().message();
    stores_ = std::move(*s);
    ring_ = std::make_unique<KeyRing>(stores_->kms(), root_);
  }
  void TearDown() override {
    ring_.reset();
    stores_.reset();
    std::filesystem::remove_all(dir_);
  }
  Key ExternalKey(const std::string& region = "us-east-1") {
    Key k;
    k.account = "123456789012";
    k.region = region;
    k.key_id = dk::NewKeyId(false);
    k.arn = dk::KeyArn(k.region, k.account, k.key_id);
    k.key_spec = "SYMMETRIC_DEFAULT";
    k.key_usage = "ENCRYPT_DECRYPT";
    k.origin = dk::kOriginExternal;
    k.key_state = dk::kStatePendingImport;
    return k;
  }
  crypto::RootKey root_ = crypto::RootKey::FromBytes(std::string(32, '\x42'));
  std::filesystem::path dir_;
  std::unique_ptr<storage::Stores> stores_;
  std::unique_ptr<KeyRing> ring_;
};

TEST_F(KeyImportTest, EveryWrappingAlgorithmUnwrapsWithItsToken) {
  Key key = ExternalKey();
  const std::string material = crypto::RandomBytes(32);
  for (std::string alg : {"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1",
                          "RSA_AES_KEY_WRAP_SHA_256"}) {
    auto params = ring_->NewImportParameters(key, alg, "RSA_2048", 1000);
    ASSERT_TRUE(params.ok()) << alg;
    EXPECT_EQ(params->valid_to_ms, 1000 + int64_t{24} * 3600 * 1000);
    auto pub = crypto::LoadPublicKey(params->public_key);
    ASSERT_TRUE(pub.ok());
    const auto hash = alg.ends_with("SHA_1") ? crypto::HashAlg::kSha1 : crypto::HashAlg::kSha256;
    auto wrapped = alg.starts_with("RSAES") ? crypto::RsaOaepEncrypt(pub->get(), hash, material)
                                            : crypto::RsaAesKeyWrap(pub->get(), hash, material);
    ASSERT_TRUE(wrapped.ok()) << alg;
    auto got = ring_->UnwrapImportedMaterial(key, params->token, *wrapped, 2000);
    ASSERT_TRUE(got.ok()) << alg << ": " << got.status().message();
    EXPECT_EQ(*got, material);
    // The token is bound to its key, its lifetime and its bytes.
    Key other = ExternalKey();
    EXPECT_EQ(ring_->UnwrapImportedMaterial(other, params->token, *wrapped, 2000).status().code(),
              ErrorCode::kInvalidImportToken);
    EXPECT_EQ(ring_->UnwrapImportedMaterial(key, params->token, *wrapped, params->valid_to_ms)
                  .status()
                  .code(),
              ErrorCode::kExpiredImportToken);
    std::string bad = params->token;
    bad[bad.size() / 2] ^= 1;
    EXPECT_EQ(ring_->UnwrapImportedMaterial(key, bad, *wrapped, 2000).status().code(),
              ErrorCode::kInvalidImportToken);
    std::string garbled = *wrapped;
    garbled[3] ^= 1;
    EXPECT_EQ(ring_->UnwrapImportedMaterial(key, params->token, garbled, 2000).status().code(),
              ErrorCode::kInvalidCiphertext);
    // A blob of a size the algorithm cannot produce: refused as such, before decrypting.
    for (std::string_view cut : {std::string_view(*wrapped).substr(0, 10),
                                 std::string_view(*wrapped).substr(0, 256)}) {
      if (cut.size() == wrapped->size()) continue;
      auto r = ring_->UnwrapImportedMaterial(key, params->token, cut, 2000);
      EXPECT_EQ(r.status().code(), ErrorCode::kValidation) << alg << " " << cut.size();
      EXPECT_EQ(r.status().message(), "Invalid encrypted key size.");
    }
  }
  EXPECT_EQ(ring_->NewImportParameters(key, "RSAES_OAEP_SHA_256", "SM2", 1).status().code(),
            ErrorCode::kUnsupportedOperation);
}

TEST_F(KeyImportTest, MaterialIdIsStablePerKeyAndMaterial) {
  Key a = ExternalKey(), b = ExternalKey();
  const std::string m1 = crypto::RandomBytes(32), m2 = crypto::RandomBytes(32);
  auto id = ring_->ImportedMaterialId(a, m1);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->size(), 64u);
  EXPECT_EQ(*id, *ring_->ImportedMaterialId(a, m1));
  EXPECT_NE(*id, *ring_->ImportedMaterialId(a, m2));
  EXPECT_NE(*id, *ring_->ImportedMaterialId(b, m1));
}

TEST(ImportedMaterialExpiry, LazyAndScheduled) {
  Key k;
  k.origin = dk::kOriginExternal;
  k.key_state = dk::kStateEnabled;
  dk::KeyMaterialInfo m{"m1", 1, ""};
  m.imported = true;
  m.valid_to_ms = 5000;
  k.materials.push_back(m);
  EXPECT_EQ(dk::NextMaintenanceMs(k), 5000);
  EXPECT_FALSE(dk::ApplyMaterialExpiry(k, 4999));
  EXPECT_EQ(k.key_state, dk::kStateEnabled);
  EXPECT_TRUE(dk::ApplyMaterialExpiry(k, 5000));
  EXPECT_EQ(k.key_state, dk::kStatePendingImport);
  EXPECT_FALSE(k.materials[0].imported);
  EXPECT_FALSE(dk::NextMaintenanceMs(k).has_value());
  // A key pending deletion stays pending deletion.
  k.materials[0].imported = true;
  k.key_state = dk::kStatePendingDeletion;
  EXPECT_TRUE(dk::ApplyMaterialExpiry(k, 6000));
  EXPECT_EQ(k.key_state, dk::kStatePendingDeletion);
}

TEST_F(KeyImportTest, ReplicaOpensTheSharedMaterialOfItsPrimary) {
  Key primary;
  primary.account = "123456789012";
  primary.region = "us-east-1";
  primary.key_id = dk::NewKeyId(true);
  primary.arn = dk::KeyArn(primary.region, primary.account, primary.key_id);
  primary.key_spec = "SYMMETRIC_DEFAULT";
  primary.key_usage = "ENCRYPT_DECRYPT";
  primary.multi_region = true;
  primary.primary_region = primary.region;
  ASSERT_TRUE(ring_->CreateKey(primary, 1000).ok());
  auto blob = ring_->Encrypt(primary, {{"k", "v"}}, "hello");
  ASSERT_TRUE(blob.ok());
  Key replica = primary;
  replica.revision = 0;
  replica.region = "eu-west-1";
  replica.arn = dk::KeyArn(replica.region, replica.account, replica.key_id);
  ASSERT_TRUE(ring_->CreateReplica(primary, replica).ok());
  KeyRing fresh(stores_->kms(), root_);  // nothing cached: the material comes from its row
  auto plain = fresh.Decrypt({replica.account, "eu-west-1"}, *blob, {{"k", "v"}}, 2000);
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  EXPECT_EQ(plain->plaintext, "hello");
  EXPECT_EQ(plain->key.region, "eu-west-1");
  auto related = fresh.RelatedKeys(replica);
  ASSERT_TRUE(related.ok());
  EXPECT_EQ(related->size(), 2u);
  // A second replica in the same region is refused.
  Key again = replica;
  again.revision = 0;
  auto stored_primary = *stores_->kms().GetKmsKey({primary.account, primary.region}, primary.key_id);
  EXPECT_EQ(ring_->CreateReplica(*stored_primary, again).code(), ErrorCode::kAlreadyExists);
}


// Multi-Region keys with imported material: one sealed row per material, held by each region
// on its own.
TEST(MultiRegionImportedMaterial, RowsGoOnlyWhenNoRegionHoldsThem) {
  auto key_in = [](const std::string& region, bool imported) {
    Key k;
    k.region = region;
    dk::KeyMaterialInfo m{"m1", 1, ""};
    m.imported = imported;
    k.materials.push_back(m);
    dk::KeyMaterialInfo other{"m2", 2, ""};
    k.materials.push_back(other);
    return k;
  };
  std::vector<Key> related{key_in("eu-west-1", false), key_in("us-east-1", true)};
  EXPECT_EQ(dk::UnheldMaterials(related, {"m1", "m2", "m2"}), std::vector<std::string>{"m2"});
  EXPECT_EQ(dk::RegionLackingImport(related, "m1"), "eu-west-1");
  EXPECT_EQ(dk::RegionLackingImport(related, "gone"), "eu-west-1");
  related[0].materials[0].imported = true;
  EXPECT_EQ(dk::RegionLackingImport(related, "m1"), std::nullopt);
  related[0].materials[0].imported = false;
  related[1].materials[0].imported = false;
  EXPECT_EQ(dk::UnheldMaterials(related, {"m1"}), std::vector<std::string>{"m1"});
}

TEST(MultiRegionImportedMaterial, PromotePendingMaterialMakesItCurrent) {
  Key k;
  k.materials.push_back({"m1", 1, ""});
  EXPECT_FALSE(dk::PromotePendingMaterial(k, 50));
  dk::KeyMaterialInfo next{"m2", 2, ""};
  next.pending_rotation = true;
  next.imported = true;
  k.materials.insert(k.materials.begin(), next);
  ASSERT_EQ(k.current_material()->id, "m1");
  EXPECT_TRUE(dk::PromotePendingMaterial(k, 50));
  ASSERT_EQ(k.current_material()->id, "m2");
  EXPECT_EQ(k.current_material()->rotation_type, "ON_DEMAND");
  EXPECT_EQ(k.current_material()->created_ms, 50);
  EXPECT_TRUE(k.current_material()->imported);
}

TEST_F(KeyImportTest, DeletingOneRegionsImportKeepsTheSharedRow) {
  Key primary = ExternalKey();
  primary.key_id = dk::NewKeyId(true);
  primary.arn = dk::KeyArn(primary.region, primary.account, primary.key_id);
  primary.multi_region = true;
  primary.primary_region = primary.region;
  const std::string material = crypto::RandomBytes(32);
  auto id = ring_->ImportedMaterialId(primary, material);
  ASSERT_TRUE(id.ok());
  dk::KeyMaterialInfo m{*id, 1, ""};
  m.imported = true;
  primary.materials.push_back(m);
  primary.key_state = dk::kStateEnabled;
  auto rec = ring_->SealMaterial(primary, *id, material);
  ASSERT_TRUE(rec.ok());
  ASSERT_TRUE(stores_->kms().PutKmsKey(primary, {*rec}, "CreateKey").ok());
  primary.revision = 1;
  Key replica = primary;
  replica.revision = 0;
  replica.region = "eu-west-1";
  replica.arn = dk::KeyArn(replica.region, replica.account, replica.key_id);
  ASSERT_TRUE(ring_->CreateReplica(primary, replica).ok());
  // The replica knows the material id but holds no import of it.
  ASSERT_EQ(replica.materials.size(), 1u);
  EXPECT_FALSE(replica.materials[0].imported);
  // The replica's import (same id: the id names no region) ...
  auto rid = ring_->ImportedMaterialId(replica, material);
  ASSERT_TRUE(rid.ok());
  EXPECT_EQ(*rid, *id);
  replica.materials[0].imported = true;
  auto rrec = ring_->SealMaterial(replica, *id, material);
  ASSERT_TRUE(rrec.ok());
  replica.materials[0].valid_to_ms = 100;  // the replica's own expiry; the primary's has none
  ASSERT_TRUE(ring_->WriteImportedMaterials({{replica, {*rrec}, {}}}, "ImportKeyMaterial", 2).ok());
  replica.revision++;
  {
    auto blob = ring_->Encrypt(primary, {}, "hello");
    ASSERT_TRUE(blob.ok());
    auto west = ring_->Decrypt({replica.account, "eu-west-1"}, *blob, {}, 99);
    ASSERT_TRUE(west.ok()) << west.status().message();
    EXPECT_EQ(ring_->Decrypt({replica.account, "eu-west-1"}, *blob, {}, 100).status().code(),
              ErrorCode::kKmsInvalidState);
    EXPECT_TRUE(ring_->Decrypt({primary.account, "us-east-1"}, *blob, {}, 100).ok());
  }
  // ... then its deletion: the primary still holds the material, so the row stays.
  replica.materials[0].imported = false;
  ASSERT_TRUE(ring_->WriteImportedMaterials({{replica, {}, {*id}}}, "DeleteImportedKeyMaterial", 3).ok());
  replica.revision++;
  auto row = stores_->kms().GetKeyMaterial(primary.key_id, *id);
  ASSERT_TRUE(row.ok() && row->has_value());
  KeyRing fresh(stores_->kms(), root_);
  auto stored = *stores_->kms().GetKmsKey({primary.account, primary.region}, primary.key_id);
  auto opened = fresh.Material(*stored, *id);
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  EXPECT_EQ(*opened, material);
  // A write at a revision the other region's write moved on conflicts (no racing drop).
  Key stale = *stored;
  stale.materials[0].imported = false;
  stale.revision = 1;  // as created: CreateReplica and the replica's writes moved it on since
  EXPECT_EQ(ring_->WriteImportedMaterials({{stale, {}, {*id}}}, "DeleteImportedKeyMaterial", 4)
                .code(),
            ErrorCode::kWriteConflict);
  // The primary deletes its import while the replica holds one again: the row stays ...
  replica = **stores_->kms().GetKmsKey({replica.account, replica.region}, replica.key_id);
  replica.materials[0].imported = true;
  replica.materials[0].valid_to_ms.reset();
  ASSERT_TRUE(ring_->WriteImportedMaterials({{replica, {}, {}}}, "ImportKeyMaterial", 5).ok());
  stored = *stores_->kms().GetKmsKey({primary.account, primary.region}, primary.key_id);
  stored->materials[0].imported = false;
  ASSERT_TRUE(ring_->WriteImportedMaterials({{*stored, {}, {*id}}}, "DeleteImportedKeyMaterial", 6).ok());
  row = stores_->kms().GetKeyMaterial(primary.key_id, *id);
  ASSERT_TRUE(row.ok() && row->has_value());
  // ... until its last holder, the replica, is purged.
  replica = **stores_->kms().GetKmsKey({replica.account, replica.region}, replica.key_id);
  ASSERT_TRUE(ring_->Purge(replica, 7).ok());
  row = stores_->kms().GetKeyMaterial(primary.key_id, *id);
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(row->has_value());
}

}  // namespace
}  // namespace arcana
