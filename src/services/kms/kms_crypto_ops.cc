// The encryption data plane: Encrypt, Decrypt, ReEncrypt, GenerateDataKey(+WithoutPlaintext),
// GenerateDataKeyPair(+WithoutPlaintext), GenerateRandom.
#include "crypto/aead.h"
#include "crypto/asymmetric.h"
#include "crypto/kms_ciphertext.h"
#include "crypto/random.h"
#include "domain/kms/rules.h"
#include "domain/kms/specs.h"
#include "services/kms/kms_access.h"
#include "services/kms/kms_encode.h"
#include "services/kms/kms_service.h"
#include "storage/no_wait.h"

namespace arcana::services::kms {

namespace dk = domain::kms;

namespace {

Status CheckAlgorithm(const Key& key, const std::string& algorithm) {
  auto algs = dk::EncryptionAlgorithmsFor(key.key_spec, key.key_usage);
  if (std::find(algs.begin(), algs.end(), algorithm) == algs.end()) {
    return dk::IncompatibleAlgorithm(algorithm, key.key_spec);
  }
  return Status::Ok();
}

// AWS's answer when the KeyId given to Decrypt (or ReEncrypt's SourceKeyId) is not the
// key that can decrypt the ciphertext: another key, or a key of another type or usage.
Status IncorrectKey() {
  return Status(ErrorCode::kIncorrectKey,
                "The key ID in the request does not identify a CMK that can perform this "
                "operation.");
}

Status CheckSymmetricEncryptKey(const Key& key, std::string_view op) {
  ARCANA_RETURN_IF_ERROR(dk::CheckUsable(key));
  ARCANA_RETURN_IF_ERROR(dk::CheckKeyUsage(key, "ENCRYPT_DECRYPT", op));
  if (!dk::IsSymmetricSpec(key.key_spec)) {
    return Status(ErrorCode::kInvalidKeyUsage,
                  key.arn + " key spec " + key.key_spec + " is not valid for " + std::string(op) +
                      ": a symmetric encryption key is required.");
  }
  return Status::Ok();
}

// What DoEncrypt requires of its key before any work: usable, ENCRYPT_DECRYPT, and an
// algorithm the key takes.
Status CheckEncryptKey(const Key& key, const std::string& algorithm, std::string_view op) {
  ARCANA_RETURN_IF_ERROR(dk::CheckUsable(key));
  ARCANA_RETURN_IF_ERROR(dk::CheckKeyUsage(key, "ENCRYPT_DECRYPT", op));
  return CheckAlgorithm(key, algorithm);
}

// Decrypt's and ReEncrypt's DryRun with DryRunModifiers IGNORE_CIPHERTEXT: "AWS KMS performs
// only authorization validation without ciphertext validation", and CiphertextBlob "is
// required in all cases except when DryRun is true and DryRunModifiers is set to
// IGNORE_CIPHERTEXT" (API reference). The modifier means nothing without DryRun.
bool IgnoresCiphertext(const json::Input& in) {
  if (!in.Bool("DryRun").value_or(false)) return false;
  const auto modifiers = in.StrList("DryRunModifiers").value_or(std::vector<std::string>{});
  return std::find(modifiers.begin(), modifiers.end(), "IGNORE_CIPHERTEXT") != modifiers.end();
}

}  // namespace

Status KmsService::CheckDecryptKeyOnly(const In& in, const char* member, const CallContext& ctx,
                                       const std::string& algorithm, std::string_view op) {
  // Without the ciphertext, only the request can name the key to authorize. AWS documents no
  // answer for its absence; this is the ValidationException of a missing parameter.
  auto ref = in.Str(member);
  if (!ref) {
    return Status(ErrorCode::kValidation,
                  std::string(member) +
                      " is required when DryRunModifiers includes IGNORE_CIPHERTEXT.");
  }
  ARCANA_ASSIGN_OR_RETURN(Key key, ResolveKey(*ref, ctx, /*allow_alias=*/true,
                                              /*create_aws_managed=*/true));
  return CheckEncryptKey(key, algorithm, op);
}

std::optional<bool> KmsService::ReEncryptsOnSameKey(const In& in, std::string_view blob,
                                                    const CallContext& to_ctx,
                                                    const CallContext& from_ctx) {
  auto dest_ref = in.Str("DestinationKeyId");
  if (!dest_ref) return std::nullopt;
  // Resolution only (no authorization, no AWS managed key created): a key that does not
  // resolve fails the call later, in the handler's own order.
  auto dest = ResolveKeyToAuthorize(*dest_ref, to_ctx, /*allow_alias=*/true);
  if (!dest.ok()) return std::nullopt;
  if (auto src_ref = in.Str("SourceKeyId")) {
    auto src = ResolveKeyToAuthorize(*src_ref, from_ctx, /*allow_alias=*/true);
    if (!src.ok()) return std::nullopt;
    return src->arn == dest->arn;
  }
  // A symmetric ciphertext names its key by key id (which no other key of any account or
  // Region shares but a related multi-Region key, whose ARN differs: ReEncrypt decrypts in
  // the caller's Region, where the destination key is too).
  crypto::KmsCiphertextHeader h;
  if (!crypto::ParseKmsCiphertextHeader(blob, &h)) return std::nullopt;
  return h.key_id == dest->key_id;
}

Result<KmsService::EncryptOut> KmsService::DoEncrypt(const Key& key, const std::string& algorithm,
                                                     const crypto::EncryptionContext& ec,
                                                     std::string_view plaintext,
                                                     std::string_view operation) {
  ARCANA_RETURN_IF_ERROR(CheckEncryptKey(key, algorithm, operation));
  ARCANA_RETURN_IF_ERROR(dk::CheckRsaPlaintextSize(key.key_spec, algorithm, plaintext.size()));
  EncryptOut out;
  out.key = key;
  out.algorithm = algorithm;
  if (dk::IsSymmetricSpec(key.key_spec)) {
    ARCANA_ASSIGN_OR_RETURN(out.blob, ring_.Encrypt(key, ec, plaintext));
    out.material_id = key.current_material()->id;
    return out;
  }
  // RSA work (parsing the private key, above all) is too long for an I/O thread's inline
  // attempt (storage/no_wait.h): there, this voids the attempt and a worker runs the call.
  ARCANA_RETURN_IF_ERROR(storage::NoWaitScope::Check());
  ARCANA_ASSIGN_OR_RETURN(std::string pkcs8, ring_.Material(key, key.current_material()->id));
  auto pkey = crypto::LoadPrivateKey(pkcs8);
  crypto::SecureWipe(pkcs8);
  if (!pkey.ok()) return Status(ErrorCode::kKmsInternal, "key material of " + key.arn + " is corrupt");
  ARCANA_ASSIGN_OR_RETURN(out.blob,
                          crypto::RsaOaepEncrypt(pkey->get(), *dk::OaepHash(algorithm), plaintext));
  return out;
}

Result<KmsService::DecryptOut> KmsService::DoDecrypt(const CallContext& ctx, std::string_view blob,
                                                     const std::optional<std::string>& key_ref,
                                                     const std::string& algorithm,
                                                     const crypto::EncryptionContext& ec,
                                                     std::string_view operation) {
  std::optional<Key> named;
  if (key_ref) {
    ARCANA_ASSIGN_OR_RETURN(named, ResolveKey(*key_ref, ctx, /*allow_alias=*/true,
                                              /*create_aws_managed=*/true));
  }
  DecryptOut out;
  out.algorithm = algorithm;
  if (algorithm != "SYMMETRIC_DEFAULT") {
    if (!named) {
      return Status(ErrorCode::kValidation,
                    "KeyId is required to decrypt with the " + algorithm + " algorithm.");
    }
    ARCANA_RETURN_IF_ERROR(dk::CheckUsable(*named));
    ARCANA_RETURN_IF_ERROR(dk::CheckKeyUsage(*named, "ENCRYPT_DECRYPT", operation));
    ARCANA_RETURN_IF_ERROR(CheckAlgorithm(*named, algorithm));
    ARCANA_RETURN_IF_ERROR(storage::NoWaitScope::Check());  // RSA: as in DoEncrypt
    ARCANA_ASSIGN_OR_RETURN(std::string pkcs8,
                            ring_.Material(*named, named->current_material()->id));
    auto pkey = crypto::LoadPrivateKey(pkcs8);
    crypto::SecureWipe(pkcs8);
    if (!pkey.ok()) return Status(ErrorCode::kKmsInternal, "key material is corrupt");
    auto plain = crypto::RsaOaepDecrypt(pkey->get(), *dk::OaepHash(algorithm), blob);
    if (!plain.ok()) return Status(ErrorCode::kInvalidCiphertext, "");
    out.key = std::move(*named);
    out.plaintext = std::move(plain).value();
    return out;
  }
  if (named) {
    // A symmetric ciphertext names its key; any other key (including one of another
    // type or usage, which could not have made it) is IncorrectKeyException on AWS.
    if (!dk::IsSymmetricSpec(named->key_spec) || named->key_usage != "ENCRYPT_DECRYPT") {
      return IncorrectKey();
    }
    crypto::KmsCiphertextHeader h;
    if (crypto::ParseKmsCiphertextHeader(blob, &h) && h.key_id != named->key_id) {
      return IncorrectKey();
    }
  }
  // A key named by ARN may be another account's (ResolveKeyToAuthorize): the ciphertext is
  // opened in the named key's account.
  storage::Scope scope = named ? storage::Scope{named->account, named->region} : ScopeOf(ctx);
  if (!named) {
    // The ciphertext names its key: the caller must be allowed on that key before it is
    // used. A key id the caller's account does not hold may be another account's key
    // (KeyRing::OtherAccountKeyOf): named by its ARN, it resolves there when its key policy
    // lets the caller use it, as on AWS. A key that does not resolve is left to Decrypt,
    // which answers the exact error.
    crypto::KmsCiphertextHeader h;
    if (crypto::ParseKmsCiphertextHeader(blob, &h)) {
      auto k = ResolveKey(h.key_id, ctx, /*allow_alias=*/false, /*create_aws_managed=*/false);
      if (!k.ok() && k.status().code() == ErrorCode::kKmsNotFound) {
        ARCANA_ASSIGN_OR_RETURN(auto other, ring_.OtherAccountKeyOf(ScopeOf(ctx), blob));
        if (other) k = ResolveKey(*other, ctx, /*allow_alias=*/false, /*create_aws_managed=*/false);
      }
      if (!k.ok() && k.status().code() == ErrorCode::kAccessDenied) return k.status();
      if (k.ok()) scope = storage::Scope{k->account, k->region};
    }
  }
  ARCANA_ASSIGN_OR_RETURN(auto d, ring_.Decrypt(scope, blob, ec, ctx.now_ms));
  out.key = std::move(d.key);
  ctx.Touch(audit::kKmsKeyType, out.key.arn);
  out.plaintext = std::move(d.plaintext);
  out.material_id = std::move(d.material_id);
  return out;
}

Result<std::string> KmsService::Encrypt(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(CheckGrantTokens(in, ctx));
  ARCANA_ASSIGN_OR_RETURN(std::string plaintext, BlobOf(in, "Plaintext"));
  ARCANA_ASSIGN_OR_RETURN(auto ec, ContextOf(in, "EncryptionContext"));
  ARCANA_ASSIGN_OR_RETURN(Key key, KeyFor(in, "KeyId", ctx));
  std::string alg = in.Str("EncryptionAlgorithm").value_or("SYMMETRIC_DEFAULT");
  auto out = DoEncrypt(key, alg, ec, plaintext, "Encrypt");
  crypto::SecureWipe(plaintext);
  if (!out.ok()) return out.status();
  ARCANA_RETURN_IF_ERROR(CheckDryRun(in));
  NoteUse(ctx, out->key, "Encrypt");
  return Body([&](json::Writer& w) {
    WriteBlob(w, "CiphertextBlob", out->blob);
    json::KV(w, "KeyId", out->key.arn);
    json::KV(w, "EncryptionAlgorithm", out->algorithm);
  });
}

Result<std::string> KmsService::Decrypt(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(CheckGrantTokens(in, ctx));
  if (in.Has("Recipient")) {
    return Status(ErrorCode::kUnsupportedOperation, "Recipient (Nitro Enclaves) is not supported.");
  }
  if (IgnoresCiphertext(in)) {
    ARCANA_RETURN_IF_ERROR(ContextOf(in, "EncryptionContext").status());
    const std::string alg = in.Str("EncryptionAlgorithm").value_or("SYMMETRIC_DEFAULT");
    ARCANA_RETURN_IF_ERROR(CheckDecryptKeyOnly(in, "KeyId", ctx, alg, "Decrypt"));
    return CheckDryRun(in);  // DryRunOperationException: DryRun is set
  }
  ARCANA_ASSIGN_OR_RETURN(std::string blob, BlobOf(in, "CiphertextBlob"));
  ARCANA_ASSIGN_OR_RETURN(auto ec, ContextOf(in, "EncryptionContext"));
  std::string alg = in.Str("EncryptionAlgorithm").value_or("SYMMETRIC_DEFAULT");
  ARCANA_ASSIGN_OR_RETURN(auto out, DoDecrypt(ctx, blob, in.Str("KeyId"), alg, ec, "Decrypt"));
  Status dry = CheckDryRun(in);
  if (!dry.ok()) {
    crypto::SecureWipe(out.plaintext);
    return dry;
  }
  NoteUse(ctx, out.key, "Decrypt");
  std::string body = Body([&](json::Writer& w) {
    json::KV(w, "KeyId", out.key.arn);
    WriteBlob(w, "Plaintext", out.plaintext);
    json::KV(w, "EncryptionAlgorithm", out.algorithm);
    if (!out.material_id.empty()) json::KV(w, "KeyMaterialId", out.material_id);
  });
  crypto::SecureWipe(out.plaintext);
  return body;
}

Result<std::string> KmsService::ReEncrypt(const In& in, const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(CheckGrantTokens(in, ctx));
  const bool ignore_ciphertext = IgnoresCiphertext(in);
  std::string blob;
  if (!ignore_ciphertext) {
    ARCANA_ASSIGN_OR_RETURN(blob, BlobOf(in, "CiphertextBlob"));
  }
  ARCANA_ASSIGN_OR_RETURN(auto src_ec, ContextOf(in, "SourceEncryptionContext"));
  ARCANA_ASSIGN_OR_RETURN(auto dst_ec, ContextOf(in, "DestinationEncryptionContext"));
  std::string src_alg = in.Str("SourceEncryptionAlgorithm").value_or("SYMMETRIC_DEFAULT");
  std::string dst_alg = in.Str("DestinationEncryptionAlgorithm").value_or("SYMMETRIC_DEFAULT");
  // ReEncrypt is two permissions: kms:ReEncryptTo on the destination key and
  // kms:ReEncryptFrom on the source key.
  CallContext to_ctx = ctx, from_ctx = ctx;
  to_ctx.action = "kms:ReEncryptTo";
  from_ctx.action = "kms:ReEncryptFrom";
  // Each check sees its own end's encryption context: ReEncryptFrom authorizes decrypting
  // the source ciphertext under SourceEncryptionContext (grant constraints and
  // kms:EncryptionContext:* conditions on the source key apply to it), ReEncryptTo the
  // encryption under DestinationEncryptionContext (Call's keys already carry that one).
  if (ctx.request_keys) {
    auth::policy::ContextKeys to_keys = *ctx.request_keys;
    auth::policy::ContextKeys from_keys = KmsRequestKeys("ReEncrypt", in, ReEncryptEnd::kSource);
    // Both checks see kms:ReEncryptOnSameKey: whether the destination key is the key the
    // ciphertext was encrypted under (developer guide; it applies to kms:ReEncryptFrom and
    // kms:ReEncryptTo alike). Left out only when the source key cannot be known, and then
    // the call fails anyway (no key to decrypt with).
    if (auto same = ReEncryptsOnSameKey(in, blob, to_ctx, from_ctx)) {
      to_keys.Set("kms:ReEncryptOnSameKey", *same ? "true" : "false");
      from_keys.Set("kms:ReEncryptOnSameKey", *same ? "true" : "false");
    }
    to_ctx.request_keys = std::make_shared<const auth::policy::ContextKeys>(std::move(to_keys));
    from_ctx.request_keys =
        std::make_shared<const auth::policy::ContextKeys>(std::move(from_keys));
  }
  ARCANA_ASSIGN_OR_RETURN(Key dest, KeyFor(in, "DestinationKeyId", to_ctx));
  if (ignore_ciphertext) {
    ARCANA_RETURN_IF_ERROR(CheckDecryptKeyOnly(in, "SourceKeyId", from_ctx, src_alg, "ReEncrypt"));
    ARCANA_RETURN_IF_ERROR(CheckEncryptKey(dest, dst_alg, "ReEncrypt"));
    return CheckDryRun(in);  // DryRunOperationException: DryRun is set
  }
  ARCANA_ASSIGN_OR_RETURN(auto src, DoDecrypt(from_ctx, blob, in.Str("SourceKeyId"), src_alg,
                                              src_ec, "ReEncrypt"));
  auto out = DoEncrypt(dest, dst_alg, dst_ec, src.plaintext, "ReEncrypt");
  crypto::SecureWipe(src.plaintext);
  if (!out.ok()) return out.status();
  ARCANA_RETURN_IF_ERROR(CheckDryRun(in));
  // AWS records a ReEncrypt on both keys, each on its own (one key may serve both ends).
  NoteUse(ctx, src.key, "ReEncrypt");
  NoteUse(ctx, out->key, "ReEncrypt");
  return Body([&](json::Writer& w) {
    WriteBlob(w, "CiphertextBlob", out->blob);
    json::KV(w, "SourceKeyId", src.key.arn);
    json::KV(w, "KeyId", out->key.arn);
    json::KV(w, "SourceEncryptionAlgorithm", src.algorithm);
    json::KV(w, "DestinationEncryptionAlgorithm", out->algorithm);
    if (!src.material_id.empty()) json::KV(w, "SourceKeyMaterialId", src.material_id);
    if (!out->material_id.empty()) json::KV(w, "DestinationKeyMaterialId", out->material_id);
  });
}

Result<std::string> KmsService::GenerateDataKeyCommon(const In& in, const CallContext& ctx,
                                                      bool with_plaintext) {
  ARCANA_RETURN_IF_ERROR(CheckGrantTokens(in, ctx));
  if (in.Has("Recipient")) {
    return Status(ErrorCode::kUnsupportedOperation, "Recipient (Nitro Enclaves) is not supported.");
  }
  auto spec = in.Str("KeySpec");
  auto n = in.Int("NumberOfBytes");
  if (spec.has_value() == n.has_value()) {
    return Status(ErrorCode::kValidation, "Please specify either number of bytes or key spec.");
  }
  size_t bytes = spec ? (*spec == "AES_128" ? 16 : 32) : static_cast<size_t>(*n);
  ARCANA_ASSIGN_OR_RETURN(auto ec, ContextOf(in, "EncryptionContext"));
  ARCANA_ASSIGN_OR_RETURN(Key key, KeyFor(in, "KeyId", ctx));
  ARCANA_RETURN_IF_ERROR(CheckSymmetricEncryptKey(
      key, with_plaintext ? "GenerateDataKey" : "GenerateDataKeyWithoutPlaintext"));
  ARCANA_RETURN_IF_ERROR(CheckDryRun(in));
  std::string plaintext = crypto::RandomBytes(bytes);
  auto blob = ring_.Encrypt(key, ec, plaintext);
  if (!blob.ok()) {
    crypto::SecureWipe(plaintext);
    return blob.status();
  }
  NoteUse(ctx, key, with_plaintext ? "GenerateDataKey" : "GenerateDataKeyWithoutPlaintext");
  std::string body = Body([&](json::Writer& w) {
    WriteBlob(w, "CiphertextBlob", *blob);
    if (with_plaintext) WriteBlob(w, "Plaintext", plaintext);
    json::KV(w, "KeyId", key.arn);
    json::KV(w, "KeyMaterialId", key.current_material()->id);
  });
  crypto::SecureWipe(plaintext);
  return body;
}

Result<std::string> KmsService::GenerateDataKey(const In& in, const CallContext& ctx) {
  return GenerateDataKeyCommon(in, ctx, true);
}
Result<std::string> KmsService::GenerateDataKeyWithoutPlaintext(const In& in,
                                                                const CallContext& ctx) {
  return GenerateDataKeyCommon(in, ctx, false);
}

Result<std::string> KmsService::GenerateDataKeyPairCommon(const In& in, const CallContext& ctx,
                                                          bool with_plaintext) {
  ARCANA_RETURN_IF_ERROR(CheckGrantTokens(in, ctx));
  if (in.Has("Recipient")) {
    return Status(ErrorCode::kUnsupportedOperation, "Recipient (Nitro Enclaves) is not supported.");
  }
  std::string pair_spec = in.Str("KeyPairSpec").value_or("");
  auto spec = dk::AsymmetricSpecOf(pair_spec);
  if (!spec) {
    return Status(ErrorCode::kUnsupportedOperation,
                  "KeyPairSpec " + pair_spec + " is not supported by this server.");
  }
  ARCANA_ASSIGN_OR_RETURN(auto ec, ContextOf(in, "EncryptionContext"));
  ARCANA_ASSIGN_OR_RETURN(Key key, KeyFor(in, "KeyId", ctx));
  ARCANA_RETURN_IF_ERROR(CheckSymmetricEncryptKey(
      key, with_plaintext ? "GenerateDataKeyPair" : "GenerateDataKeyPairWithoutPlaintext"));
  ARCANA_RETURN_IF_ERROR(CheckDryRun(in));
  ARCANA_ASSIGN_OR_RETURN(std::string pkcs8, crypto::GenerateKeyPair(*spec));
  auto pkey = crypto::LoadPrivateKey(pkcs8);
  if (!pkey.ok()) {
    crypto::SecureWipe(pkcs8);
    return Status(ErrorCode::kKmsInternal, "key pair generation failed");
  }
  auto pub = crypto::ExportPublicKey(pkey->get());
  auto blob = ring_.Encrypt(key, ec, pkcs8);
  if (!pub.ok() || !blob.ok()) {
    crypto::SecureWipe(pkcs8);
    return Status(ErrorCode::kKmsInternal, "key pair generation failed");
  }
  NoteUse(ctx, key,
          with_plaintext ? "GenerateDataKeyPair" : "GenerateDataKeyPairWithoutPlaintext");
  std::string body = Body([&](json::Writer& w) {
    WriteBlob(w, "PrivateKeyCiphertextBlob", *blob);
    if (with_plaintext) WriteBlob(w, "PrivateKeyPlaintext", pkcs8);
    WriteBlob(w, "PublicKey", *pub);
    json::KV(w, "KeyId", key.arn);
    json::KV(w, "KeyPairSpec", pair_spec);
    json::KV(w, "KeyMaterialId", key.current_material()->id);
  });
  crypto::SecureWipe(pkcs8);
  return body;
}

Result<std::string> KmsService::GenerateDataKeyPair(const In& in, const CallContext& ctx) {
  return GenerateDataKeyPairCommon(in, ctx, true);
}
Result<std::string> KmsService::GenerateDataKeyPairWithoutPlaintext(const In& in,
                                                                    const CallContext& ctx) {
  return GenerateDataKeyPairCommon(in, ctx, false);
}

Result<std::string> KmsService::GenerateRandom(const In& in, const CallContext& ctx) {
  if (auto store = in.Str("CustomKeyStoreId")) return NoSuchCustomKeyStore(*store);
  if (in.Has("Recipient")) {
    return Status(ErrorCode::kUnsupportedOperation, "Recipient (Nitro Enclaves) is not supported.");
  }
  auto n = in.Int("NumberOfBytes");
  // The model leaves NumberOfBytes optional; AWS rejects its absence in these words.
  if (!n) return Status(ErrorCode::kValidation, "NumberOfBytes is required.");
  std::string bytes = crypto::RandomBytes(static_cast<size_t>(*n));
  std::string body = Body([&](json::Writer& w) { WriteBlob(w, "Plaintext", bytes); });
  crypto::SecureWipe(bytes);
  return body;
}

}  // namespace arcana::services::kms
