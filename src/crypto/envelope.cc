#include "crypto/envelope.h"

#include "crypto/aead.h"
#include "crypto/random.h"

namespace arcana::crypto {
namespace {


void PutU16(std::string& out, size_t n) {
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  out.push_back(static_cast<char>(n & 0xff));
}
void PutU32(std::string& out, size_t n) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xff));
}
bool GetU16(std::string_view& in, size_t& n) {
  if (in.size() < 2) return false;
  n = (static_cast<unsigned char>(in[0]) << 8) | static_cast<unsigned char>(in[1]);
  in.remove_prefix(2);
  return true;
}
bool GetField(std::string_view& in, std::string_view& field) {
  size_t n;
  if (!GetU16(in, n) || in.size() < n) return false;
  field = in.substr(0, n);
  in.remove_prefix(n);
  return true;
}

}  // namespace

std::string CanonicalContext(const EncryptionContext& ctx) {
  std::string out;
  for (const auto& [k, v] : ctx) {
    PutU32(out, k.size());
    out += k;
    PutU32(out, v.size());
    out += v;
  }
  return out;
}

Result<DataKey> RootKeyDataKeyProvider::GenerateDataKey(const KeyScope&, std::string_view key_id,
                                                        const EncryptionContext& ctx) {
  DataKey dk;
  dk.plaintext = RandomBytes(32);
  dk.key_id = std::string(key_id);
  auto wrapped = root_.Seal(dk.plaintext, CanonicalContext(ctx));
  if (!wrapped.ok()) return Status(ErrorCode::kEncryptionFailure, "cannot wrap data key");
  dk.wrapped = std::move(wrapped).value();
  return dk;
}

Result<std::string> RootKeyDataKeyProvider::DecryptDataKey(const KeyScope&,
                                                           std::string_view /*key_id*/,
                                                           std::string_view wrapped,
                                                           const EncryptionContext& ctx) {
  auto key = root_.Open(wrapped, CanonicalContext(ctx));
  if (!key.ok()) {
    return Status(ErrorCode::kDecryptionFailure,
                  "Secrets Manager can't decrypt the protected secret text using the provided "
                  "KMS key.");
  }
  return key;
}

Result<std::string> SealValue(DataKeyProvider& keys, const KeyScope& scope,
                              std::string_view key_id, const EncryptionContext& ctx,
                              std::string_view plaintext) {
  ARCANA_ASSIGN_OR_RETURN(DataKey dk, keys.GenerateDataKey(scope, key_id, ctx));
  if (dk.key_id.size() > 0xffff || dk.wrapped.size() > 0xffff) {
    SecureWipe(dk.plaintext);
    return Status(ErrorCode::kEncryptionFailure, "wrapped key too large");
  }
  std::string out;
  out.push_back(static_cast<char>(kValueFormatV2));
  PutU16(out, dk.key_id.size());
  out += dk.key_id;
  PutU16(out, dk.wrapped.size());
  out += dk.wrapped;
  // The header is authenticated too: AAD = header || CanonicalContext(ctx).
  auto body = AeadSeal(dk.plaintext, plaintext, out + CanonicalContext(ctx));
  SecureWipe(dk.plaintext);
  if (!body.ok()) return Status(ErrorCode::kEncryptionFailure, "cannot encrypt the secret value");
  out += *body;
  return out;
}

unsigned char ValueFormat(std::string_view sealed) {
  return sealed.empty() ? 0 : static_cast<unsigned char>(sealed[0]);
}

Result<std::string> OpenValue(DataKeyProvider& keys, const KeyScope& scope,
                              const EncryptionContext& ctx, std::string_view sealed,
                              const EncryptionContext* legacy_ctx) {
  const Status corrupt(ErrorCode::kDecryptionFailure,
                       "Secrets Manager can't decrypt the protected secret text.");
  const unsigned char format = ValueFormat(sealed);
  if (format != kValueFormatV1 && format != kValueFormatV2) return corrupt;
  const bool v1 = format == kValueFormatV1;
  const EncryptionContext& use_ctx = v1 && legacy_ctx != nullptr ? *legacy_ctx : ctx;
  std::string_view rest = sealed.substr(1);
  std::string_view key_id, wrapped;
  if (!GetField(rest, key_id) || !GetField(rest, wrapped)) return corrupt;
  std::string_view header = sealed.substr(0, sealed.size() - rest.size());
  ARCANA_ASSIGN_OR_RETURN(std::string data_key,
                          keys.DecryptDataKey(scope, key_id, wrapped, use_ctx));
  auto plain = AeadOpen(data_key, rest, std::string(header) + CanonicalContext(use_ctx));
  if (!plain.ok() && v1) {
    // Values sealed before the header was authenticated (same format byte; AAD was the
    // context alone) must stay readable: stores from the first releases hold them.
    plain = AeadOpen(data_key, rest, CanonicalContext(use_ctx));
  }
  SecureWipe(data_key);
  if (!plain.ok()) return corrupt;
  return plain;
}

}  // namespace arcana::crypto
