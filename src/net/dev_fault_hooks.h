// Dev-mode-only fault injection, so the integration tests can prove the server survives what
// no correct request triggers: a handler that throws, and a handler that hangs while the
// server is told to stop. The pipeline routes POST /_arcana/dev/fault here only when
// --dev is set (dev mode is loopback-only and already lets any caller wipe all state); in
// every other mode the path answers 404 like any unknown path.
//   POST /_arcana/dev/fault?action=throw        std::invalid_argument (from std::stoi)
//   POST /_arcana/dev/fault?action=bad_alloc    std::bad_alloc
//   POST /_arcana/dev/fault?action=throw_other  an exception not derived from std::exception
//   POST /_arcana/dev/fault?action=sleep&ms=N   blocks its worker thread N ms (at most 10 min)
// Thread-safety: stateless.
#pragma once

#include <string_view>

#include "net/http_types.h"

namespace arcana::net {

inline constexpr std::string_view kDevFaultPath = "/_arcana/dev/fault";

// Performs the fault `req`'s query names; answers 200 after a sleep, 400 for an unknown
// action. The throwing actions never return.
void RunDevFault(const HttpRequest& req, HttpResponse& res);

}  // namespace arcana::net
