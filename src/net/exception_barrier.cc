#include "net/exception_barrier.h"

#include <cxxabi.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <exception>
#include <memory>
#include <typeinfo>

namespace arcana::net {
namespace {

constexpr size_t kMaxWhat = 300;

// The dynamic type of the exception in flight, demangled ("std::out_of_range").
std::string CurrentExceptionType() {
  const std::type_info* t = abi::__cxa_current_exception_type();
  if (t == nullptr) return "(none)";
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(t->name(), nullptr, nullptr, &status), std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(t->name());
}

std::string CurrentExceptionWhat() {
  try {
    throw;
  } catch (const std::exception& e) {
    std::string what = e.what();
    if (what.size() > kMaxWhat) what = what.substr(0, kMaxWhat) + "...";
    return what;
  } catch (...) {
    return "(not a std::exception)";
  }
}

}  // namespace

Status InternalFailureStatus() {
  // AWS's description of InternalFailure (common errors of every JSON 1.1 service).
  return Status(ErrorCode::kInternalFailure,
                "The request processing has failed because of an unknown error, exception or "
                "failure.");
}

void LogCaughtException(std::string_view stage, std::string_view request_id) {
  try {
    spdlog::error("exception caught at the {} barrier (request {}): {}: {}", stage, request_id,
                  CurrentExceptionType(), CurrentExceptionWhat());
  } catch (...) {
    // Logging itself failed (bad_alloc): the barrier must still hold.
  }
}

}  // namespace arcana::net
