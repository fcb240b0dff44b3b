// Opaque, self-validating pagination tokens (spec 2.5).
//
// Token = base64url(cursor) "." base64url(HMAC-SHA-256(key, op "\n" cursor)[0:16]).
// Binding `op` (e.g. "ListSecrets", or "ListSecretVersionIds:<arn>") into the MAC makes a
// token from another operation or listing fail. The cursor is readable by the client (it
// is not encrypted): put only positions in it, never secret data.
//
// Contract:
//  - DecodePageToken returns the cursor, or kInvalidNextToken "Invalid NextToken" for any
//    token that is malformed, longer than 4096 chars, tampered, or minted for another op
//    or key. The MAC comparison is constant-time.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace arcana::domain::sm {

inline constexpr size_t kMaxNextTokenLength = 4096;

std::string EncodePageToken(std::string_view hmac_key, std::string_view op,
                            std::string_view cursor);

Result<std::string> DecodePageToken(std::string_view hmac_key, std::string_view op,
                                    std::string_view token);

}  // namespace arcana::domain::sm
