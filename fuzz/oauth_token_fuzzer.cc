// libFuzzer target: an OAuth token endpoint's answer (domain/events/connection.h:
// ParseOAuthToken), which a delivery to an API destination with OAuth client credentials
// reads from the network. Nothing may crash, hang or convert a number out of range; a token
// it accepts has an access token and a lifetime in [0, a year].
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "domain/events/connection.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto token = arcana::domain::events::ParseOAuthToken(
      std::string(reinterpret_cast<const char*>(data), size));
  if (token.ok() && (token->access_token.empty() || token->expires_in_s < 0 ||
                     token->expires_in_s > arcana::domain::events::kMaxOAuthTokenLifetimeS)) {
    std::abort();
  }
  return 0;
}
