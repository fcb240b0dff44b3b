#include "storage/no_wait.h"

namespace arcana::storage {
namespace {
thread_local NoWaitScope* t_scope = nullptr;
}  // namespace

NoWaitScope::NoWaitScope() : saved_(t_scope) { t_scope = this; }

NoWaitScope::~NoWaitScope() { t_scope = saved_; }

bool NoWaitScope::Active() { return t_scope != nullptr; }

Status NoWaitScope::Check() {
  if (t_scope == nullptr) return Status::Ok();
  t_scope->refused_ = true;
  return Status(ErrorCode::kWouldBlock, "storage: this thread may not wait for the database");
}

}  // namespace arcana::storage
