// The API call the current thread is running, for code below the handlers that acts on a
// caller's behalf without a CallContext of its own: the KMS data key provider, when Secrets
// Manager or Parameter Store use a KMS key, notes that use under the call that made it
// (GetKeyLastUsage's KmsRequestId and CloudTrailEventId) - as AWS records those services'
// KMS requests.
// The pipeline opens a Scope around a call's stages (net/pipeline.cc); outside one
// (background jobs, unit tests) Get() is null. Scopes nest (the inner one wins until it ends).
// Thread-safety: per thread by construction; the CallContext must outlive its Scope.
#pragma once

#include "services/common/service.h"

namespace arcana::services {

class CurrentCall {
 public:
  class Scope {
   public:
    explicit Scope(const CallContext& ctx);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    const CallContext* previous_;
  };

  // The call running on this thread, or null.
  static const CallContext* Get();
};

}  // namespace arcana::services
