// Managed rotators (no function to write): Python-runtime functions that ship inside
// Arcana and run through the same shim as `--python` functions (function_invoker.h), so
// they get the same scoped credentials, timeout and log. Registered with
// `arcana functions create NAME --builtin ROTATOR`, or used without registration through the
// RotationLambdaARN arn:aws:lambda:REGION:ACCOUNT:function:arcana:ROTATOR.
//
// For secrets in the JSON form of AWS's database rotation templates
// ({"engine","host","port","username","password","dbname"}; "sslmode" optional for
// PostgreSQL; "masterarn" for the alternating ones). createSecret puts the AWSPENDING version
// (a new password from GetRandomPassword, excluding EXCLUDE_CHARACTERS, default /@"'\, of
// PASSWORD_LENGTH, default 32); testSecret logs in with it; finishSecret moves AWSCURRENT.
//  - postgresql-single-user, mysql-single-user: setSecret logs in with the pending password
//    (already set: done) or else with the current (or previous) one and sets the user's own
//    password (ALTER USER ... PASSWORD; MySQL: SET PASSWORD). Connections with the old password
//    fail from then on.
//  - postgresql-alternating-users, mysql-alternating-users: createSecret switches the username
//    between USER and USER_clone; setSecret logs in with the master secret that "masterarn"
//    names (only at the master's own host and port) and creates USER_clone if absent (PostgreSQL:
//    CREATE ROLE ... LOGIN, GRANT USER TO clone; MySQL: CREATE USER, then the current user's
//    SHOW GRANTS are copied) or sets the password of the user not in use, so the current
//    secret keeps working. The function may read the master only when its registration names it
//    (--master-secret; domain/rotation/function_spec.h), and the master never sets the password
//    of an existing user that is stronger than, or unrelated to, the current one.
//  - gitlab-access-token, jenkins-api-token: the rotations of GitLabAccessToken and
//    JenkinsApiToken managed external secrets (domain/secretsmanager/external_secrets.h; the
//    engine runs them for such a secret, as its ExternalSecretRotationRoleArn;
//    builtin_rotators.cc says what each step does with the partner's API).
// Database errors are re-raised with the passwords masked (servers quote statements near a
// syntax error). Needs psycopg2 / pymysql (Debian python3-psycopg2, python3-pymysql) for the
// interpreter.
#pragma once

#include <optional>
#include <string>

namespace arcana::rotation {

struct BuiltinRotator {
  std::string module;  // the module name its handler lives in
  std::string source;  // its Python source
};

// nullopt when `name` is no built-in rotator.
std::optional<BuiltinRotator> FindBuiltinRotator(const std::string& name);
// "postgresql-single-user, ...": for help texts and errors.
std::string BuiltinRotatorNames();

}  // namespace arcana::rotation
