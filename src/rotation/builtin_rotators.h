// Managed rotators (no function to write): Python-runtime functions that ship inside
// Arcana and run through the same shim as `--python` functions (function_invoker.h), so
// they get the same scoped credentials, timeout and log. Registered with
// `arcana functions create NAME --builtin ROTATOR`.
//
// postgresql-single-user: for secrets in the JSON form of AWS's database rotation templates
// ({"engine":"postgres","host","port","username","password","dbname"}; "sslmode" optional).
// createSecret puts the AWSPENDING version (a new password from GetRandomPassword, excluding
// EXCLUDE_CHARACTERS, default /@"'\); setSecret logs in with the pending password (already
// set: done) or else with the current (or previous) one and runs ALTER USER ... PASSWORD;
// testSecret logs in with the pending password; finishSecret moves AWSCURRENT. Needs
// psycopg2 (Debian python3-psycopg2) for the interpreter.
#pragma once

#include <optional>
#include <string>

namespace arcana::rotation {

struct BuiltinRotator {
  const char* module;   // the module name its handler lives in
  const char* source;   // its Python source
};

// nullopt when `name` is no built-in rotator.
std::optional<BuiltinRotator> FindBuiltinRotator(const std::string& name);

}  // namespace arcana::rotation
