// Types shared by every component of the storage seam (secret_store.h, parameter_store.h,
// kms_store.h, access_key_store.h, meta_store.h, root_store.h, change_log.h, job_store.h).
//
// Contract common to every component and both backends (SQLite, PostgreSQL):
// - A write returns only after its transaction is durable (kill -9 and power loss included).
// - Thread-safety: every method may be called concurrently from any thread, and from any
//   number of processes (nodes) sharing one PostgreSQL database.
// - Every write that changes a secret, version, label, parameter, KMS key, alias, grant,
//   policy or access key appends its Change rows (change_log.h) in the SAME transaction.
// - Optimistic concurrency: secrets, parameters and KMS keys carry a `revision` (0 = not
//   stored yet). A read returns the stored revision; a write of an aggregate read at
//   revision R commits only if the stored aggregate is still at R, and stores R+1 (the
//   caller's copy is not updated: read again). A write at revision 0 creates, and fails if
//   the aggregate exists. A mismatch is kWriteConflict: nothing of that write is applied and
//   the service re-reads and retries (services/common/write_retry.h).
// - Every List is bounded: it takes a limit (at most kMaxListLimit rows) and a position to
//   continue after; no call loads a whole account.
// - Errors: kWriteConflict (above); kServiceUnavailable when the database cannot be reached
//   (the request may be retried; the process keeps running); kInternalServiceError otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace arcana::storage {

// All service state is per account and region.
struct Scope {
  std::string account;
  std::string region;
};

// The largest `limit` any List accepts; larger values are clamped.
inline constexpr size_t kMaxListLimit = 1000;

}  // namespace arcana::storage
