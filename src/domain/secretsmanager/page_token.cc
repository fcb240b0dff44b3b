#include "domain/secretsmanager/page_token.h"

#include "crypto/base64.h"
#include "crypto/hash.h"

namespace arcana::domain::sm {
namespace {

constexpr size_t kMacBytes = 16;  // 128-bit truncated HMAC: unforgeable, keeps tokens short

std::string Mac(std::string_view key, std::string_view op, std::string_view cursor) {
  std::string data;
  data.reserve(op.size() + 1 + cursor.size());
  data.append(op).append("\n").append(cursor);
  return crypto::HmacSha256(key, data).substr(0, kMacBytes);
}

Status InvalidToken() { return Status(ErrorCode::kInvalidNextToken, "Invalid NextToken"); }

}  // namespace

std::string EncodePageToken(std::string_view hmac_key, std::string_view op,
                            std::string_view cursor) {
  return crypto::Base64UrlEncode(cursor) + "." +
         crypto::Base64UrlEncode(Mac(hmac_key, op, cursor));
}

Result<std::string> DecodePageToken(std::string_view hmac_key, std::string_view op,
                                    std::string_view token) {
  if (token.empty() || token.size() > kMaxNextTokenLength) return InvalidToken();
  size_t dot = token.find('.');
  if (dot == std::string_view::npos || token.find('.', dot + 1) != std::string_view::npos) {
    return InvalidToken();
  }
  auto cursor = crypto::Base64UrlDecode(token.substr(0, dot));
  auto mac = crypto::Base64UrlDecode(token.substr(dot + 1));
  if (!cursor || !mac || mac->size() != kMacBytes) return InvalidToken();
  if (!crypto::ConstantTimeEquals(*mac, Mac(hmac_key, op, *cursor))) return InvalidToken();
  return std::move(*cursor);
}

}  // namespace arcana::domain::sm
