// One AWS API call as it moves through the pipeline's stages, and the stage contract.
// The pipeline (net/pipeline.h) runs its request stages (net/api_stages.h) in order over one
// ApiCall until one returns an error; the encoder and the recorder then always run.
// Thread-safety: an ApiCall belongs to the one thread handling its request (a worker, or an
// I/O thread for a read tried inline); stages are shared by every thread and keep no
// per-call state.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "audit/touched_resources.h"
#include "common/json.h"
#include "common/status.h"
#include "crypto/root_key.h"
#include "net/http_types.h"
#include "services/common/query_service.h"
#include "services/common/rest_service.h"
#include "services/common/service.h"
#include "storage/committed_changes.h"

namespace arcana::net {

struct ApiCall {
  std::chrono::steady_clock::time_point started;
  services::CallContext ctx;
  // Resolved from X-Amz-Target (or, for a form-encoded body, the credential scope's service
  // and Action): the service and operation, when a service has them.
  services::Service* service = nullptr;
  std::string operation;
  bool known = false;               // the service's model has the operation
  std::string op_name = "unknown";  // "<prefix>.<Operation>" once known: metrics, audit
  // The root key generation the call runs under (a rotation waits for it); held from
  // admission until the call's work is done.
  std::optional<crypto::RootKey::Hold> hold;
  // The parsed body. Its nodes and strings go to a pool that starts in this block (an
  // ApiCall lives on the stack of the thread handling it), so most bodies are parsed with
  // no heap allocation, and larger ones grow in 8 KiB chunks: RapidJSON's default first
  // chunk is 64 KiB, and a free of that size makes glibc consolidate its free lists on
  // every call. Declared in this order so that `input` is destroyed before its pool.
  alignas(8) char input_block[4096];
  rapidjson::MemoryPoolAllocator<> input_pool{input_block, sizeof(input_block), 8192};
  rapidjson::Document input{&input_pool};
  // Query-protocol calls (IAM, STS): the service's protocol and the form-encoded body's fields.
  const services::QueryProtocol* query = nullptr;
  services::QueryProtocol::Form form;
  // REST-JSON calls (Lambda): the service and the route (operation, path labels).
  const services::RestJsonService* rest = nullptr;
  services::RestRoute route;
  std::string output;           // the service's JSON answer (a 200 body)
  Status status;                // the first stage error, or OK
  bool input_usable = true;     // false after a throw: the audit records no parameters
  audit::TouchedResources touched;  // ctx.touched points here: what the handler reported
  // The store changes the call's writes committed (the pipeline's Scope collects them here).
  storage::CommittedChanges committed;
};

// One step of an API call. Run() either advances the call (OK) or ends it with the AWS error
// to answer. It may throw; the pipeline's barrier turns that into InternalFailure.
class ApiStage {
 public:
  virtual ~ApiStage() = default;
  virtual std::string_view name() const = 0;
  virtual Status Run(HttpRequest& req, ApiCall& call) const = 0;
};

}  // namespace arcana::net
