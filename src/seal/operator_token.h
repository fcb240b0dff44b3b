// The operator token: the credential of the operator endpoints that works while sealed,
// when no access key can be opened (their secrets are sealed under the root key).
// Where it comes from, first match wins:
//   ARCANA_OPERATOR_TOKEN (the token itself; for orchestration that injects secrets)
//   --operator-token-file F / ARCANA_OPERATOR_TOKEN_FILE / TOML operator_token_file
//   <data-dir>/operator.token, created 0600 with 32 random bytes (hex) at the first start
// Whoever can read the data dir holds the root key file anyway (key-file mode), so the
// default file adds no new way in; for Shamir/PKCS#11 put it elsewhere if that matters.
#pragma once

#include <string>

#include "common/status.h"

namespace arcana::seal {

inline constexpr size_t kMinOperatorTokenLength = 16;

std::string OperatorTokenPathIn(const std::string& data_dir);

// The token to require. Errors: kInternalFailure (file unreadable or readable by group or
// others), kInvalidParameter (shorter than kMinOperatorTokenLength).
Result<std::string> LoadOperatorToken(const std::string& env_token, const std::string& file,
                                      const std::string& data_dir);

// Reads a token file (surrounding whitespace dropped); used by the CLI as well.
Result<std::string> ReadOperatorTokenFile(const std::string& path);

}  // namespace arcana::seal
