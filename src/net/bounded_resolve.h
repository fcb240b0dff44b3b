// A host name lookup that gives up at a deadline.
//
// The system resolver (getaddrinfo, which Asio's resolver calls, asynchronously too) cannot be
// cancelled, and an unreachable DNS server holds it for the resolver's own timeouts times its
// attempts (resolv.conf), a minute or more. So the lookup runs on a thread of its own; when
// the deadline passes first the caller gets an error and the thread is left to finish alone
// (detached: it owns everything it touches, and ends when the system resolver gives up); at
// most 64 such threads exist at once, a lookup beyond them is refused. An
// address (IPv4 or IPv6 literal) is looked up on the caller's thread: it needs no DNS.
// Thread-safety: ResolveBefore may be called from any thread.
#pragma once

#include <utility>  // Boost 1.74's Asio under C++20 needs it first

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <functional>
#include <string>

#include "common/status.h"

namespace arcana::net {

using ResolvedEndpoints = boost::asio::ip::tcp::resolver::results_type;
// Resolves host:port, blocking; throws (boost::system::system_error) on failure.
using BlockingLookup = std::function<ResolvedEndpoints(const std::string& host,
                                                        const std::string& port)>;

// The system resolver's lookup (what ResolveBefore uses unless told otherwise).
ResolvedEndpoints SystemLookup(const std::string& host, const std::string& port);

// host:port's addresses, or kServiceUnavailable: "resolving HOST: <the resolver's error>",
// "resolving HOST: no answer before the deadline" once deadline passed, or "resolving HOST:
// too many host name lookups under way" while 64 lookups' threads still run.
Result<ResolvedEndpoints> ResolveBefore(const std::string& host, const std::string& port,
                                        std::chrono::steady_clock::time_point deadline,
                                        const BlockingLookup& lookup = SystemLookup);

}  // namespace arcana::net
