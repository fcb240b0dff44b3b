// A thread that must not wait for the database opens a NoWaitScope: the HTTP server's I/O
// threads do, when they try to answer a read from this node's caches instead of handing it to
// a worker (net/pipeline.h: TryHandleInline).
// While a scope lives on a thread, every store call on that thread that would reach the
// database (a pooled connection, a write, catching the caches up with the change sequence,
// a PostgreSQL round trip) fails at once with kWouldBlock instead of running, and the scope
// remembers that it refused one. The caller must then discard whatever the attempt computed
// and run the whole call again where waiting is allowed.
// Why at the backends' doors and why remembered: no handler has to know about the scope, so
// none can forget to check it; and a handler that turns a store error into another answer
// (or into "not found") cannot hide the refusal, because the scope, not the status, says so.
// Only reads may be attempted under a scope: a refused write never started, but an attempt
// must not have side effects outside the store before its first refusal. A handler may also
// call Check() itself before work too long for the thread (KMS's RSA operations).
// Thread-safety: a scope belongs to the thread that opened it.
#pragma once

#include "common/status.h"

namespace arcana::storage {

class NoWaitScope {
 public:
  NoWaitScope();
  ~NoWaitScope();
  NoWaitScope(const NoWaitScope&) = delete;
  NoWaitScope& operator=(const NoWaitScope&) = delete;

  // True once a store call under this scope was refused: the attempt's result is void.
  bool refused() const { return refused_; }

  // For the backends: true when the calling thread is inside a scope.
  static bool Active();
  // For the backends, at each door to the database: when Active(), marks the scope refused
  // and returns kWouldBlock (which never reaches the wire); otherwise OK.
  static Status Check();

 private:
  bool refused_ = false;
  NoWaitScope* saved_;
};

}  // namespace arcana::storage
