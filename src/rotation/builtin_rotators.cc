#include "rotation/builtin_rotators.h"

namespace arcana::rotation {

namespace {

// Every rotator is one Python module put together from three parts: kCommon (the handler,
// the template's guard, createSecret, testSecret, finishSecret), an engine (how to connect
// and set passwords in PostgreSQL or MySQL/MariaDB) and a strategy (setSecret for a single
// user or alternating users). They follow AWS's SecretsManagerRDS{PostgreSQL,MySQL}Rotation
// {SingleUser,MultiUser} templates, reduced to what they do for a self-managed database (no
// RDS lookups), with their guard and step semantics.
constexpr const char* kCommon = R"py(
import json
import logging
import os

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)
KEYS = ("host", "username", "password")


def lambda_handler(event, context):
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    client = boto3.client("secretsmanager", endpoint_url=os.environ["SECRETS_MANAGER_ENDPOINT"])
    metadata = client.describe_secret(SecretId=arn)
    if not metadata.get("RotationEnabled"):
        raise ValueError("Secret %s is not enabled for rotation" % arn)
    versions = metadata["VersionIdsToStages"]
    if token not in versions:
        raise ValueError("Secret version %s has no stage for rotation of secret %s." % (token, arn))
    if "AWSCURRENT" in versions[token]:
        logger.info("Secret version %s already set as AWSCURRENT for secret %s." % (token, arn))
        return
    if "AWSPENDING" not in versions[token]:
        raise ValueError("Secret version %s not set as AWSPENDING for rotation of secret %s." % (token, arn))
    {"createSecret": create_secret, "setSecret": set_secret, "testSecret": test_secret,
     "finishSecret": finish_secret}[step](client, arn, token, versions)


def get_dict(client, arn, stage, token=None):
    if token:
        value = client.get_secret_value(SecretId=arn, VersionId=token, VersionStage=stage)
    else:
        value = client.get_secret_value(SecretId=arn, VersionStage=stage)
    secret = json.loads(value["SecretString"])
    for key in KEYS:
        if key not in secret:
            raise KeyError("%s key is missing from secret JSON" % key)
    if secret.get("engine", ENGINES[0]) not in ENGINES:
        raise KeyError("Database engine must be set to '%s' in order to use this rotation function" % ENGINES[0])
    return secret


def port_of(secret):
    return int(secret.get("port") or DEFAULT_PORT)


class scrubbed:
    """Re-raises a database error with the given passwords masked: MySQL and PostgreSQL quote
    the statement (with its password) near a syntax error, and the traceback goes to the
    function's log."""

    def __init__(self, *passwords):
        self.masks = set()
        for p in passwords:
            if p:
                self.masks |= {p, p.replace("'", "''"), p.replace("\\", "\\\\").replace("'", "\\'")}

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None:
            return False
        text = "%s: %s" % (kind.__name__, exc)
        for mask in sorted(self.masks, key=len, reverse=True):
            text = text.replace(mask, "***")
        raise RuntimeError(text) from None


def connect(secret):
    """A connection with the secret's credentials; None when the login fails."""
    with scrubbed(secret["password"]):
        try:
            return open_connection(secret)
        except LOGIN_ERRORS:
            return None


def alt_username(name):
    if name.endswith("_clone"):
        return name[:-len("_clone")]
    new = name + "_clone"
    if len(new) > MAX_USERNAME:
        raise ValueError("Unable to clone user, username length with _clone appended would exceed %d characters" % MAX_USERNAME)
    return new


def create_secret(client, arn, token, versions):
    current = get_dict(client, arn, "AWSCURRENT")
    try:
        get_dict(client, arn, "AWSPENDING", token)
        logger.info("createSecret: Successfully retrieved secret for %s." % arn)
        return
    except client.exceptions.ResourceNotFoundException:
        pass
    if ALTERNATING:
        current["username"] = alt_username(current["username"])
    exclude = os.environ.get("EXCLUDE_CHARACTERS", "/@\"'\\")
    length = int(os.environ.get("PASSWORD_LENGTH", "32"))
    current["password"] = client.get_random_password(
        ExcludeCharacters=exclude, PasswordLength=length)["RandomPassword"]
    client.put_secret_value(SecretId=arn, ClientRequestToken=token,
                            SecretString=json.dumps(current), VersionStages=["AWSPENDING"])
    logger.info("createSecret: Successfully put secret for ARN %s and version %s." % (arn, token))


def test_secret(client, arn, token, versions):
    conn = connect(get_dict(client, arn, "AWSPENDING", token))
    if not conn:
        raise ValueError("Unable to log into database with pending secret of secret ARN %s" % arn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT NOW()")
        conn.commit()
    finally:
        conn.close()
    logger.info("testSecret: Successfully signed into %s DB with AWSPENDING secret in %s." % (ENGINE_LABEL, arn))


def finish_secret(client, arn, token, versions):
    current = next((v for v, s in versions.items() if "AWSCURRENT" in s), None)
    if current == token:
        return
    client.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT",
                                       MoveToVersionId=token, RemoveFromVersionId=current)
    logger.info("finishSecret: Successfully set AWSCURRENT stage to version %s for secret %s." % (token, arn))
)py";

constexpr const char* kPostgres = R"py(
import psycopg2
from psycopg2 import sql

ENGINES = ("postgres", "postgresql")
ENGINE_LABEL = "PostgreSQL"
DEFAULT_PORT = 5432
MAX_USERNAME = 63
LOGIN_ERRORS = psycopg2.OperationalError


def open_connection(secret):
    return psycopg2.connect(host=secret["host"], user=secret["username"],
                            password=secret["password"], dbname=secret.get("dbname") or "postgres",
                            port=port_of(secret), connect_timeout=5,
                            sslmode=secret.get("sslmode", "prefer"))


def set_own_password(conn, secret):
    with conn.cursor() as cur:
        cur.execute(sql.SQL("ALTER USER {} WITH PASSWORD %s").format(sql.Identifier(secret["username"])),
                    (secret["password"],))
    conn.commit()


def set_alternate_password(conn, current, pending):
    """As the master: creates the alternate role (a member of the current one, as AWS's
    template does) or sets its password. An existing role must be linked to the current one
    by membership and be no superuser unless the current one is, so that a secret naming any
    user cannot make the master set the password of an unrelated or stronger role."""
    me, other = sql.Identifier(current["username"]), sql.Identifier(pending["username"])
    with conn.cursor() as cur:
        cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", (pending["username"],))
        row = cur.fetchone()
        if row is None:
            cur.execute(sql.SQL("CREATE ROLE {} WITH LOGIN PASSWORD %s").format(other), (pending["password"],))
            cur.execute(sql.SQL("GRANT {} TO {}").format(me, other))
        else:
            cur.execute("SELECT rolsuper, pg_has_role(%s, %s, 'MEMBER') OR pg_has_role(%s, %s, 'MEMBER') "
                        "FROM pg_roles WHERE rolname = %s",
                        (current["username"], pending["username"], pending["username"],
                         current["username"], current["username"]))
            current_super, linked = cur.fetchone()
            if not linked or (row[0] and not current_super):
                raise ValueError("Role %s is not the alternate of %s (no membership between them, or a "
                                 "superuser): refusing to set its password" % (pending["username"], current["username"]))
            cur.execute(sql.SQL("ALTER USER {} WITH PASSWORD %s").format(other), (pending["password"],))
    conn.commit()
)py";

constexpr const char* kMysql = R"py(
import pymysql

ENGINES = ("mysql", "mariadb")
ENGINE_LABEL = "MySQL"
DEFAULT_PORT = 3306
MAX_USERNAME = 32
LOGIN_ERRORS = pymysql.OperationalError


def open_connection(secret):
    return pymysql.connect(host=secret["host"], user=secret["username"],
                           password=secret["password"], port=port_of(secret),
                           database=secret.get("dbname") or None, connect_timeout=5)


def password_expr(cur):
    # MariaDB and MySQL before 8 hash with PASSWORD(); MySQL 8 dropped it.
    cur.execute("SELECT VERSION()")
    version = cur.fetchone()[0]
    return "PASSWORD(%s)" if "MariaDB" in version or int(version.split(".")[0]) < 8 else "%s"


def set_own_password(conn, secret):
    # SET PASSWORD for oneself needs no privilege (ALTER USER needs CREATE USER on MariaDB).
    with conn.cursor() as cur:
        cur.execute("SET PASSWORD = " + password_expr(cur), (secret["password"],))
    conn.commit()


def grants_of(cur, user):
    # "GRANT ... TO `user`@`%` [IDENTIFIED BY PASSWORD '<hash>'] [WITH GRANT OPTION]": the part
    # before " TO " (the hash stays out).
    cur.execute("SHOW GRANTS FOR %s", (user,))
    return {row[0].split(" TO ")[0] for row in cur.fetchall()}


def set_alternate_password(conn, current, pending):
    """As the master: creates the alternate user if absent, gives it the current user's grants
    and sets its password (AWS's template). An existing user holding grants the current one
    lacks is refused, so that a secret naming any user cannot make the master set the
    password of a stronger one."""
    with conn.cursor() as cur:
        mine = grants_of(cur, current["username"])
        cur.execute("SELECT 1 FROM mysql.user WHERE User = %s AND Host = %s", (pending["username"], "%"))
        if not cur.fetchall():
            cur.execute("CREATE USER %s IDENTIFIED BY %s", (pending["username"], pending["password"]))
        else:
            extra = grants_of(cur, pending["username"]) - mine
            if extra:
                raise ValueError("User %s holds grants %s does not (%s): refusing to set its password"
                                 % (pending["username"], current["username"], "; ".join(sorted(extra))))
        for grant in sorted(mine):
            cur.execute(grant.replace("%", "%%") + " TO %s", (pending["username"],))
        cur.execute("SET PASSWORD FOR %s = " + password_expr(cur), (pending["username"], pending["password"]))
    conn.commit()
)py";

// AWS's single-user strategy: the user sets its own new password, logged in with the current
// (or previous) one.
constexpr const char* kSingleUser = R"py(
ALTERNATING = False


def set_secret(client, arn, token, versions):
    pending = get_dict(client, arn, "AWSPENDING", token)
    conn = connect(pending)
    if conn:
        conn.close()
        logger.info("setSecret: AWSPENDING secret is already set as password in %s DB for secret arn %s." % (ENGINE_LABEL, arn))
        return
    current = get_dict(client, arn, "AWSCURRENT")
    if current["username"] != pending["username"] or current["host"] != pending["host"]:
        raise ValueError("Attempting to modify user or host other than current for secret %s" % arn)
    conn = connect(current)
    if not conn:
        try:
            conn = connect(get_dict(client, arn, "AWSPREVIOUS"))
        except client.exceptions.ResourceNotFoundException:
            conn = None
    if not conn:
        raise ValueError("Unable to log into database with previous, current, or pending secret of secret arn %s" % arn)
    try:
        with scrubbed(pending["password"]):
            set_own_password(conn, pending)
        logger.info("setSecret: Successfully set password for user %s in %s DB for secret arn %s." % (pending["username"], ENGINE_LABEL, arn))
    finally:
        conn.close()
)py";

// AWS's alternating-users (multi-user) strategy: the master secret named by "masterarn" sets
// the new password on the user not in use ("<username>_clone", created on the first run), so
// connections made with the current secret keep working throughout.
constexpr const char* kAlternating = R"py(
ALTERNATING = True


def get_master(client, arn, current):
    if "masterarn" not in current:
        raise KeyError("masterarn key is missing from secret JSON")
    try:
        return get_dict(client, current["masterarn"], "AWSCURRENT")
    except client.exceptions.ClientError as e:
        if e.response.get("Error", {}).get("Code") != "AccessDeniedException":
            raise
        raise ValueError("This function may not read the master secret %s of secret %s: register it "
                         "with `arcana functions create NAME --builtin ... --master-secret ARN`"
                         % (current["masterarn"], arn)) from None


def set_secret(client, arn, token, versions):
    current = get_dict(client, arn, "AWSCURRENT")
    pending = get_dict(client, arn, "AWSPENDING", token)
    conn = connect(pending)
    if conn:
        conn.close()
        logger.info("setSecret: AWSPENDING secret is already set as password in %s DB for secret arn %s." % (ENGINE_LABEL, arn))
        return
    if alt_username(current["username"]) != pending["username"]:
        raise ValueError("Attempting to modify user %s other than current user or clone %s" % (pending["username"], current["username"]))
    if current["host"] != pending["host"]:
        raise ValueError("Attempting to modify user for host %s other than current host %s" % (pending["host"], current["host"]))
    conn = connect(current)
    if not conn:
        raise ValueError("Unable to log into database using current credentials for secret %s" % arn)
    conn.close()
    master = get_master(client, arn, current)
    # The master's credentials only ever go to the master's own server.
    if (master["host"], port_of(master)) != (current["host"], port_of(current)):
        raise ValueError("Current database host %s:%d is not the host of the master secret %s" % (current["host"], port_of(current), current["masterarn"]))
    master["dbname"] = current.get("dbname")
    conn = connect(master)
    if not conn:
        raise ValueError("Unable to log into database using credentials in master secret %s" % current["masterarn"])
    try:
        with scrubbed(pending["password"], master["password"]):
            set_alternate_password(conn, current, pending)
        logger.info("setSecret: Successfully set password for %s in %s DB for secret arn %s." % (pending["username"], ENGINE_LABEL, arn))
    finally:
        conn.close()
)py";

struct Entry {
  const char* name;
  const char* module;
  const char* engine;
  const char* strategy;
};

constexpr Entry kRotators[] = {
    {"postgresql-single-user", "postgresql_single_user", kPostgres, kSingleUser},
    {"postgresql-alternating-users", "postgresql_alternating_users", kPostgres, kAlternating},
    {"mysql-single-user", "mysql_single_user", kMysql, kSingleUser},
    {"mysql-alternating-users", "mysql_alternating_users", kMysql, kAlternating},
};

}  // namespace

std::optional<BuiltinRotator> FindBuiltinRotator(const std::string& name) {
  for (const Entry& e : kRotators) {
    if (name == e.name) {
      return BuiltinRotator{e.module, std::string(kCommon) + e.engine + e.strategy};
    }
  }
  return std::nullopt;
}

std::string BuiltinRotatorNames() {
  std::string out;
  for (const Entry& e : kRotators) out += (out.empty() ? "" : ", ") + std::string(e.name);
  return out;
}

}  // namespace arcana::rotation
