#include "services/common/current_call.h"

namespace arcana::services {

namespace {
thread_local const CallContext* current_call = nullptr;
}  // namespace

CurrentCall::Scope::Scope(const CallContext& ctx) : previous_(current_call) {
  current_call = &ctx;
}

CurrentCall::Scope::~Scope() { current_call = previous_; }

const CallContext* CurrentCall::Get() { return current_call; }

}  // namespace arcana::services
