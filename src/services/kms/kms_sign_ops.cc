// Signatures and MACs: Sign, Verify, GetPublicKey, GenerateMac, VerifyMac.
#include "crypto/aead.h"
#include "crypto/asymmetric.h"
#include "crypto/hash.h"
#include "crypto/key_import.h"
#include "domain/kms/rules.h"
#include "domain/kms/specs.h"
#include "services/kms/kms_encode.h"
#include "services/kms/kms_service.h"

namespace arcana::services::kms {

namespace dk = domain::kms;

namespace {

Result<dk::SigningParams> SigningFor(const Key& key, const std::string& algorithm) {
  auto algs = dk::SigningAlgorithmsFor(key.key_spec, key.key_usage);
  auto params = dk::SigningParamsOf(algorithm);
  if (!params || std::find(algs.begin(), algs.end(), algorithm) == algs.end()) {
    return dk::IncompatibleAlgorithm(algorithm, key.key_spec);
  }
  return *params;
}

Result<bool> MessageIsDigest(const json::Input& in) {
  std::string type = in.Str("MessageType").value_or("RAW");
  if (type == "EXTERNAL_MU") {
    return Status(ErrorCode::kValidation, "MessageType EXTERNAL_MU is only valid for ML-DSA keys.");
  }
  return type == "DIGEST";
}

Result<std::string> MacAlgorithmFor(const Key& key, const std::string& algorithm) {
  auto algs = dk::MacAlgorithmsFor(key.key_spec, key.key_usage);
  if (std::find(algs.begin(), algs.end(), algorithm) == algs.end()) {
    return dk::IncompatibleAlgorithm(algorithm, key.key_spec);
  }
  return algorithm;
}

}  // namespace

Result<crypto::PKey> KmsService::CurrentPrivateKey(const Key& key) {
  ARCANA_ASSIGN_OR_RETURN(std::string pkcs8, ring_.Material(key, key.current_material()->id));
  auto pkey = crypto::LoadPrivateKey(pkcs8);
  crypto::SecureWipe(pkcs8);
  if (!pkey.ok()) return Status(ErrorCode::kKmsInternal, "key material of " + key.arn + " is corrupt");
  return pkey;
}

Result<std::string> KmsService::Sign(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(CheckGrantTokens(in, ctx));
  ARCANA_ASSIGN_OR_RETURN(std::string message, BlobOf(in, "Message"));
  ARCANA_ASSIGN_OR_RETURN(bool digest, MessageIsDigest(in));
  std::string alg = in.Str("SigningAlgorithm").value_or("");
  ARCANA_ASSIGN_OR_RETURN(Key key, KeyFor(in, "KeyId", ctx));
  ARCANA_RETURN_IF_ERROR(dk::CheckUsable(key));
  ARCANA_RETURN_IF_ERROR(dk::CheckKeyUsage(key, "SIGN_VERIFY", "Sign"));
  ARCANA_ASSIGN_OR_RETURN(auto params, SigningFor(key, alg));
  ARCANA_RETURN_IF_ERROR(dk::CheckMessageType(alg, digest));
  if (digest) ARCANA_RETURN_IF_ERROR(dk::CheckDigestLength(alg, message.size()));
  ARCANA_RETURN_IF_ERROR(CheckDryRun(in));
  ARCANA_ASSIGN_OR_RETURN(auto pkey, CurrentPrivateKey(key));
  ARCANA_ASSIGN_OR_RETURN(std::string sig, crypto::SignMessage(pkey.get(), params.scheme,
                                                               params.hash, message, digest));
  NoteUse(ctx, key, "Sign");
  return Body([&](json::Writer& w) {
    json::KV(w, "KeyId", key.arn);
    WriteBlob(w, "Signature", sig);
    json::KV(w, "SigningAlgorithm", alg);
  });
}

Result<std::string> KmsService::Verify(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(CheckGrantTokens(in, ctx));
  ARCANA_ASSIGN_OR_RETURN(std::string message, BlobOf(in, "Message"));
  ARCANA_ASSIGN_OR_RETURN(std::string signature, BlobOf(in, "Signature"));
  ARCANA_ASSIGN_OR_RETURN(bool digest, MessageIsDigest(in));
  std::string alg = in.Str("SigningAlgorithm").value_or("");
  ARCANA_ASSIGN_OR_RETURN(Key key, KeyFor(in, "KeyId", ctx));
  ARCANA_RETURN_IF_ERROR(dk::CheckUsable(key));
  ARCANA_RETURN_IF_ERROR(dk::CheckKeyUsage(key, "SIGN_VERIFY", "Verify"));
  ARCANA_ASSIGN_OR_RETURN(auto params, SigningFor(key, alg));
  ARCANA_RETURN_IF_ERROR(dk::CheckMessageType(alg, digest));
  if (digest) ARCANA_RETURN_IF_ERROR(dk::CheckDigestLength(alg, message.size()));
  ARCANA_RETURN_IF_ERROR(CheckDryRun(in));
  ARCANA_ASSIGN_OR_RETURN(auto pkey, CurrentPrivateKey(key));
  ARCANA_ASSIGN_OR_RETURN(bool valid, crypto::VerifySignature(pkey.get(), params.scheme,
                                                              params.hash, message, digest,
                                                              signature));
  if (!valid) return Status(ErrorCode::kKmsInvalidSignature, "");
  NoteUse(ctx, key, "Verify");
  return Body([&](json::Writer& w) {
    json::KV(w, "KeyId", key.arn);
    w.Key("SignatureValid");
    w.Bool(true);
    json::KV(w, "SigningAlgorithm", alg);
  });
}

Result<std::string> KmsService::GetPublicKey(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(CheckGrantTokens(in, ctx));
  ARCANA_ASSIGN_OR_RETURN(Key key, KeyFor(in, "KeyId", ctx));
  ARCANA_RETURN_IF_ERROR(dk::CheckUsable(key));
  if (!dk::IsAsymmetricSpec(key.key_spec)) {
    return Status(ErrorCode::kUnsupportedOperation,
                  key.arn + " key usage is " + key.key_usage + " and key spec " + key.key_spec +
                      ": GetPublicKey needs an asymmetric key.");
  }
  ARCANA_ASSIGN_OR_RETURN(auto pkey, CurrentPrivateKey(key));
  ARCANA_ASSIGN_OR_RETURN(std::string spki, crypto::ExportPublicKey(pkey.get()));
  return Body([&](json::Writer& w) {
    json::KV(w, "KeyId", key.arn);
    WriteBlob(w, "PublicKey", spki);
    if (dk::HasCustomerMasterKeySpec(key.key_spec)) {
      json::KV(w, "CustomerMasterKeySpec", key.key_spec);
    }
    json::KV(w, "KeySpec", key.key_spec);
    json::KV(w, "KeyUsage", key.key_usage);
    WriteAlgorithmLists(w, key);
  });
}

Result<std::string> KmsService::DeriveSharedSecret(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(CheckGrantTokens(in, ctx));
  if (in.Has("Recipient")) {
    return Status(ErrorCode::kUnsupportedOperation, "Recipient (Nitro Enclaves) is not supported.");
  }
  ARCANA_ASSIGN_OR_RETURN(std::string peer_der, BlobOf(in, "PublicKey"));
  std::string alg = in.Str("KeyAgreementAlgorithm").value_or("");
  ARCANA_ASSIGN_OR_RETURN(Key key, KeyFor(in, "KeyId", ctx));
  ARCANA_RETURN_IF_ERROR(dk::CheckUsable(key));
  ARCANA_RETURN_IF_ERROR(dk::CheckKeyUsage(key, "KEY_AGREEMENT", "DeriveSharedSecret"));
  auto algs = dk::KeyAgreementAlgorithmsFor(key.key_spec, key.key_usage);
  if (std::find(algs.begin(), algs.end(), alg) == algs.end()) {
    return dk::IncompatibleAlgorithm(alg, key.key_spec);
  }
  auto peer = crypto::LoadPublicKey(peer_der);
  if (!peer.ok()) {
    // A ValidationException without any message, as AWS answers bytes that are no public key
    // (LocalStack's AWS-validated test_derive_shared_secret recording).
    return Status(ErrorCode::kValidation, "");
  }
  ARCANA_RETURN_IF_ERROR(CheckDryRun(in));
  ARCANA_ASSIGN_OR_RETURN(auto ours, CurrentPrivateKey(key));
  auto secret = crypto::EcdhSharedSecret(ours.get(), peer->get());
  if (!secret.ok()) {
    return Status(ErrorCode::kValidation,
                  "The PublicKey is not a valid public key of the KMS key's curve " +
                      key.key_spec + ".");
  }
  NoteUse(ctx, key, "DeriveSharedSecret");
  std::string body = Body([&](json::Writer& w) {
    json::KV(w, "KeyId", key.arn);
    WriteBlob(w, "SharedSecret", *secret);
    json::KV(w, "KeyAgreementAlgorithm", alg);
    json::KV(w, "KeyOrigin", key.origin);
  });
  crypto::SecureWipe(*secret);
  return body;
}

Result<std::string> KmsService::MacOf(const Key& key, const std::string& alg,
                                      const std::string& message) {
  ARCANA_ASSIGN_OR_RETURN(std::string secret, ring_.Material(key, key.current_material()->id));
  auto mac = crypto::Hmac(*dk::MacHash(alg), secret, message);
  crypto::SecureWipe(secret);
  if (!mac.ok()) return Status(ErrorCode::kKmsInternal, "MAC computation failed");
  return mac;
}

Result<std::string> KmsService::GenerateMac(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(CheckGrantTokens(in, ctx));
  ARCANA_ASSIGN_OR_RETURN(std::string message, BlobOf(in, "Message"));
  std::string alg = in.Str("MacAlgorithm").value_or("");
  ARCANA_ASSIGN_OR_RETURN(Key key, KeyFor(in, "KeyId", ctx));
  ARCANA_RETURN_IF_ERROR(dk::CheckUsable(key));
  ARCANA_RETURN_IF_ERROR(dk::CheckKeyUsage(key, "GENERATE_VERIFY_MAC", "GenerateMac"));
  ARCANA_RETURN_IF_ERROR(MacAlgorithmFor(key, alg).status());
  ARCANA_RETURN_IF_ERROR(CheckDryRun(in));
  ARCANA_ASSIGN_OR_RETURN(std::string mac, MacOf(key, alg, message));
  NoteUse(ctx, key, "GenerateMac");
  return Body([&](json::Writer& w) {
    WriteBlob(w, "Mac", mac);
    json::KV(w, "MacAlgorithm", alg);
    json::KV(w, "KeyId", key.arn);
  });
}

Result<std::string> KmsService::VerifyMac(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(CheckGrantTokens(in, ctx));
  ARCANA_ASSIGN_OR_RETURN(std::string message, BlobOf(in, "Message"));
  ARCANA_ASSIGN_OR_RETURN(std::string given, BlobOf(in, "Mac"));
  std::string alg = in.Str("MacAlgorithm").value_or("");
  ARCANA_ASSIGN_OR_RETURN(Key key, KeyFor(in, "KeyId", ctx));
  ARCANA_RETURN_IF_ERROR(dk::CheckUsable(key));
  ARCANA_RETURN_IF_ERROR(dk::CheckKeyUsage(key, "GENERATE_VERIFY_MAC", "VerifyMac"));
  ARCANA_RETURN_IF_ERROR(MacAlgorithmFor(key, alg).status());
  ARCANA_RETURN_IF_ERROR(CheckDryRun(in));
  ARCANA_ASSIGN_OR_RETURN(std::string mac, MacOf(key, alg, message));
  // A mismatch is an error, never MacValid=false.
  if (!crypto::ConstantTimeEquals(mac, given)) return Status(ErrorCode::kKmsInvalidMac, "");
  NoteUse(ctx, key, "VerifyMac");
  return Body([&](json::Writer& w) {
    json::KV(w, "KeyId", key.arn);
    w.Key("MacValid");
    w.Bool(true);
    json::KV(w, "MacAlgorithm", alg);
  });
}

}  // namespace arcana::services::kms
