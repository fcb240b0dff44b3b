// The cursor a NextToken of an SSM paged operation carries: tokens are MACed and bound to the
// operation and its target (domain/secretsmanager/page_token.h), so a token forged, altered or
// minted for another call is refused. The refusal is the operation's own: the list reads
// answer InvalidNextToken, GetResourcePolicies (whose model has no such error)
// ResourcePolicyInvalidParameterException.
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>

#include "common/json.h"
#include "common/status.h"
#include "domain/secretsmanager/page_token.h"

namespace arcana::services::ssm {

// The cursor in the call's NextToken ("" when it has none), or `invalid`.
inline Result<std::string> PageCursor(std::string_view key, const std::string& op,
                                      const json::Input& in, const Status& invalid) {
  auto token = in.Str("NextToken");
  if (!token || token->empty()) return std::string();
  auto cursor = domain::sm::DecodePageToken(key, op, *token);
  if (!cursor.ok()) return invalid;
  return cursor;
}

}  // namespace arcana::services::ssm
