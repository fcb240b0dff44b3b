#include "rotation/builtin_rotators.h"

namespace arcana::rotation {

namespace {

// Every rotator is one Python module put together from parts: kHandler (the handler with the
// templates' guard, and finishSecret), then for a database rotator kDatabase (the secret's
// JSON, createSecret, testSecret), an engine (how to connect and set passwords in PostgreSQL
// or MySQL/MariaDB) and a strategy (setSecret for a single user or alternating users). They
// follow AWS's SecretsManagerRDS{PostgreSQL,MySQL}Rotation{SingleUser,MultiUser} templates,
// reduced to what they do for a self-managed database (no RDS lookups), with their guard and
// step semantics. A managed external secret's rotator is kHandler, kPartner (what they share)
// and its partner's steps (kGitLab, kJenkins).
constexpr const char* kHandler = R"py(
import json
import logging
import os

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)


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


def finish_secret(client, arn, token, versions):
    current = next((v for v, s in versions.items() if "AWSCURRENT" in s), None)
    if current == token:
        return
    client.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT",
                                       MoveToVersionId=token, RemoveFromVersionId=current)
    logger.info("finishSecret: Successfully set AWSCURRENT stage to version %s for secret %s." % (token, arn))
)py";

// What the database rotators share: the secret's JSON, connecting, createSecret and testSecret.
constexpr const char* kDatabase = R"py(
KEYS = ("host", "username", "password")


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
    # RotateImmediately=false's AWSPENDING is the empty version (no value): that run tests the
    # configuration, so it signs in with the current secret, as the partner rotators do.
    try:
        stage, secret = "AWSPENDING", get_dict(client, arn, "AWSPENDING", token)
    except client.exceptions.ResourceNotFoundException:
        stage, secret = "AWSCURRENT", get_dict(client, arn, "AWSCURRENT")
    conn = connect(secret)
    if not conn:
        raise ValueError("Unable to log into database with %s secret of secret ARN %s"
                         % ("pending" if stage == "AWSPENDING" else "current", arn))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT NOW()")
        conn.commit()
    finally:
        conn.close()
    logger.info("testSecret: Successfully signed into %s DB with %s secret in %s." % (ENGINE_LABEL, stage, arn))

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
// (or previous) one. The pending value names the same user and host as the login used
// (the template's checks); the previous login is checked before it is tried.
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
    if current["username"] != pending["username"]:
        raise ValueError("Attempting to modify user %s other than current user %s" % (pending["username"], current["username"]))
    if current["host"] != pending["host"]:
        raise ValueError("Attempting to modify user for host %s other than current host %s" % (pending["host"], current["host"]))
    conn = connect(current)
    if not conn:
        try:
            previous = get_dict(client, arn, "AWSPREVIOUS")
        except (client.exceptions.ResourceNotFoundException, KeyError):
            previous = None  # none, or no login (the template's reading)
        if previous:
            # The pending value may name any user and host (a PutSecretValue made it current):
            # the previous login must neither act on another user (a role that may ALTER other
            # roles would set their password) nor be sent to another host. The template checks
            # after logging in; here before, so the previous credentials never leave.
            if previous["username"] != pending["username"]:
                raise ValueError("Attempting to modify user %s other than previous valid user %s" % (pending["username"], previous["username"]))
            if previous["host"] != pending["host"]:
                raise ValueError("Attempting to modify user for host %s other than previous valid host %s" % (pending["host"], previous["host"]))
            conn = connect(previous)
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

// What the managed external secrets' rotators share: the secret's JSON (its partner's keys,
// an https:// URL), the rotation metadata (the engine passes the secret's as
// ARCANA_ROTATION_METADATA, a JSON object: the rotator's boto3 may predate DescribeSecret's
// ExternalSecretRotationMetadata), the admin secret it may name, one HTTPS call (CAs: the
// system's, or SSL_CERT_FILE, which the engine sets from ARCANA_CA_CERT; errors name the
// partner's status and the path, never a token), the version testSecret checks (AWSPENDING,
// or AWSCURRENT for RotateImmediately=false's empty version) and the AWSPENDING write,
// retried before the step gives up.
constexpr const char* kPartner = R"py(
import datetime
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request

PARTNER_TIMEOUT = 15


def partner_secret(client, arn, stage, token=None, secret_id=None):
    kwargs = {"SecretId": secret_id or arn}
    if not secret_id:
        kwargs["VersionStage"] = stage
        if token:
            kwargs["VersionId"] = token
    secret = json.loads(client.get_secret_value(**kwargs)["SecretString"])
    if not isinstance(secret, dict):
        raise ValueError("the value of %s is no JSON object" % (secret_id or "the secret"))
    for key in PARTNER_KEYS:
        if secret.get(key) in (None, ""):
            raise KeyError("%s key is missing from the JSON of %s" % (key, secret_id or "the secret"))
    url = urllib.parse.urlsplit(str(secret[PARTNER_URL]))
    if url.scheme != "https" or not url.hostname:
        raise ValueError("%s must be an https:// URL" % PARTNER_URL)
    return secret


def rotation_metadata():
    return json.loads(os.environ.get("ARCANA_ROTATION_METADATA") or "{}")


def admin_secret(client):
    """The secret adminSecretArn names (of the same type), or None: then a token rotates itself."""
    arn = rotation_metadata().get("adminSecretArn")
    return partner_secret(client, None, None, secret_id=arn) if arn else None


def partner_call(secret, method, path, headers, form=None):
    url = str(secret[PARTNER_URL]).rstrip("/") + path
    body = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=body, method=method,
                                     headers={"Accept": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=PARTNER_TIMEOUT,
                                    context=ssl.create_default_context()) as answer:
            return json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as e:
        raise RuntimeError("%s answered %s %s to %s %s" % (PARTNER, e.code, e.reason, method, path)) from None
    except urllib.error.URLError as e:
        raise RuntimeError("cannot reach %s at %s: %s" % (PARTNER, secret[PARTNER_URL], e.reason)) from None
    except ValueError:
        raise RuntimeError("%s's answer to %s %s is no JSON" % (PARTNER, method, path)) from None


def quoted(value):
    return urllib.parse.quote(str(value), safe="")


def has_pending(client, arn, token):
    try:
        partner_secret(client, arn, "AWSPENDING", token)
        logger.info("createSecret: Successfully retrieved secret for %s." % arn)
        return True
    except client.exceptions.ResourceNotFoundException:
        return False


def tested_secret(client, arn, token):
    """testSecret's secret: the AWSPENDING version, or the current one when AWSPENDING is
    RotateImmediately=false's empty version (that run tests the configuration)."""
    try:
        return "AWSPENDING", partner_secret(client, arn, "AWSPENDING", token)
    except client.exceptions.ResourceNotFoundException:
        return "AWSCURRENT", partner_secret(client, arn, "AWSCURRENT")


def put_pending(client, arn, token, value, lost):
    for attempt in range(5):
        try:
            client.put_secret_value(SecretId=arn, ClientRequestToken=token,
                                    SecretString=json.dumps(value), VersionStages=["AWSPENDING"])
            logger.info("createSecret: Successfully put secret for ARN %s and version %s." % (arn, token))
            return
        except Exception as e:
            if attempt == 4:
                raise RuntimeError("%s made a new token but storing it failed (%s): %s" % (PARTNER, type(e).__name__, lost)) from None
            time.sleep(1 + attempt)


def set_secret(client, arn, token, versions):
    logger.info("setSecret: %s already holds the token createSecret made for %s." % (PARTNER, arn))
)py";

// GitLabAccessToken, as the user guide's GitLab partner page defines the secret
// ({"token","tokenId","gitlabUrl","projectId"?,"groupId"?}) and its rotation metadata
// (adminSecretArn, daysToExpiry). createSecret calls GitLab's rotate API (personal, project or
// group access token by which id the secret has; "self" when no admin secret is named, else
// the admin secret's token acting on tokenId), with expires_at daysToExpiry days from today
// (UTC) when given, and stores the new token and its id as AWSPENDING. GitLab revokes the old
// token as it answers. setSecret has nothing to do (GitLab made the token); testSecret asks
// GitLab who the pending token is (GET /personal_access_tokens/self, which answers for every
// kind of access token), or the current one when AWSPENDING is RotateImmediately=false's empty
// version.
constexpr const char* kGitLab = R"py(
PARTNER, PARTNER_URL = "GitLab", "gitlabUrl"
PARTNER_KEYS = ("token", "tokenId", "gitlabUrl")


def gitlab(secret, method, path, private_token, form=None):
    return partner_call(secret, method, "/api/v4" + path, {"PRIVATE-TOKEN": private_token}, form)


def rotate_path(secret, self_rotate):
    if secret.get("projectId"):
        base = "/projects/%s/access_tokens/" % quoted(secret["projectId"])
    elif secret.get("groupId"):
        base = "/groups/%s/access_tokens/" % quoted(secret["groupId"])
    else:
        base = "/personal_access_tokens/"
    return base + ("self" if self_rotate else quoted(secret["tokenId"])) + "/rotate"


def create_secret(client, arn, token, versions):
    current = partner_secret(client, arn, "AWSCURRENT")
    if has_pending(client, arn, token):
        return
    admin = admin_secret(client)
    form = {}
    days = rotation_metadata().get("daysToExpiry")
    if days:
        today = datetime.datetime.now(datetime.timezone.utc).date()
        form["expires_at"] = (today + datetime.timedelta(days=int(days))).isoformat()
    answer = gitlab(current, "POST", rotate_path(current, admin is None),
                    (admin or current)["token"], form or None)
    if not isinstance(answer, dict) or not answer.get("token") or answer.get("id") is None:
        raise RuntimeError("GitLab's answer to the rotation has no token")
    pending = dict(current)
    pending["token"] = answer["token"]
    pending["tokenId"] = answer["id"] if isinstance(current["tokenId"], int) else str(answer["id"])
    put_pending(client, arn, token, pending, "GitLab revoked the old token, so the secret's is revoked")


def test_secret(client, arn, token, versions):
    stage, secret = tested_secret(client, arn, token)
    info = gitlab(secret, "GET", "/personal_access_tokens/self", secret["token"])
    if not isinstance(info, dict) or not info.get("active") or str(info.get("id")) != str(secret["tokenId"]):
        raise ValueError("GitLab does not take the %s token of %s as active token %s" % (stage, arn, secret["tokenId"]))
    logger.info("testSecret: GitLab accepts the %s token of %s." % (stage, arn))
)py";

// JenkinsApiToken, as the user guide's Jenkins partner page defines the secret
// ({"apiToken","tokenUuid","username","jenkinsUrl"}) and its metadata (adminSecretArn).
// createSecret checks the acting credentials (the admin secret's username and token, else the
// secret's own) with GET /me/api/json, then generates a token for `username` (POST
// /user/USERNAME/descriptorByName/jenkins.security.ApiTokenProperty/generateNewToken, with the
// instance's CSRF crumb when it issues one) and stores it and its UUID as AWSPENDING; testSecret
// signs in with it (GET /me/api/json names the user); finishSecret moves AWSCURRENT, then
// revokes the previous token by its UUID (.../revoke). So the old token works until the new one
// is current; a revocation that fails is logged and leaves the old token valid.
constexpr const char* kJenkins = R"py(
import base64

PARTNER, PARTNER_URL = "Jenkins", "jenkinsUrl"
PARTNER_KEYS = ("apiToken", "tokenUuid", "username", "jenkinsUrl")
TOKEN_PROPERTY = "/descriptorByName/jenkins.security.ApiTokenProperty/"


def jenkins(secret, method, path, acting, form=None):
    basic = base64.b64encode(("%s:%s" % (acting["username"], acting["apiToken"])).encode()).decode()
    headers = {"Authorization": "Basic " + basic}
    if form is not None:
        try:
            crumb = partner_call(secret, "GET", "/crumbIssuer/api/json", headers)
            headers[crumb["crumbRequestField"]] = crumb["crumb"]
        except (RuntimeError, KeyError, TypeError):
            pass  # no crumb issuer (CSRF protection off): none needed
    return partner_call(secret, method, path, headers, form)


def signed_in_user(secret, acting):
    me = jenkins(secret, "GET", "/me/api/json", acting)
    return str(me.get("id", "")) if isinstance(me, dict) else ""


def create_secret(client, arn, token, versions):
    current = partner_secret(client, arn, "AWSCURRENT")
    if has_pending(client, arn, token):
        return
    acting = admin_secret(client) or current
    if signed_in_user(current, acting).lower() != str(acting["username"]).lower():
        raise ValueError("Jenkins does not sign %s in with its token" % acting["username"])
    name = "secrets-manager-" + datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    answer = jenkins(current, "POST", "/user/%s%sgenerateNewToken" % (quoted(current["username"]), TOKEN_PROPERTY),
                     acting, {"newTokenName": name})
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, dict) or not data.get("tokenValue") or not data.get("tokenUuid"):
        raise RuntimeError("Jenkins's answer to generateNewToken has no token")
    pending = dict(current, apiToken=data["tokenValue"], tokenUuid=data["tokenUuid"])
    put_pending(client, arn, token, pending, "the new token %s stays valid in Jenkins until revoked" % data["tokenUuid"])


def test_secret(client, arn, token, versions):
    stage, secret = tested_secret(client, arn, token)
    if signed_in_user(secret, secret).lower() != str(secret["username"]).lower():
        raise ValueError("Jenkins does not sign %s in with the %s token of %s" % (secret["username"], stage, arn))
    logger.info("testSecret: Jenkins accepts the %s token of %s." % (stage, arn))


# Replaces kHandler's finishSecret (the handler looks the step up when it runs): the old token
# is revoked once the new one is current.
def finish_secret(client, arn, token, versions):
    current_version = next((v for v, s in versions.items() if "AWSCURRENT" in s), None)
    if current_version == token:
        return
    old = partner_secret(client, arn, "AWSCURRENT")
    new = partner_secret(client, arn, "AWSPENDING", token)
    client.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT",
                                       MoveToVersionId=token, RemoveFromVersionId=current_version)
    logger.info("finishSecret: Successfully set AWSCURRENT stage to version %s for secret %s." % (token, arn))
    if old["tokenUuid"] == new["tokenUuid"]:
        return
    try:
        acting = admin_secret(client) or new
        jenkins(new, "POST", "/user/%s%srevoke" % (quoted(new["username"]), TOKEN_PROPERTY),
                acting, {"tokenUuid": old["tokenUuid"]})
        logger.info("finishSecret: revoked the previous token %s of %s." % (old["tokenUuid"], arn))
    except Exception as e:
        logger.warning("finishSecret: the previous token %s of %s stays valid: %s" % (old["tokenUuid"], arn, e))
)py";

struct Entry {
  const char* name;
  const char* module;
  // The parts after kHandler, in order ("" for none).
  const char* parts[3];
};

constexpr Entry kRotators[] = {
    {"postgresql-single-user", "postgresql_single_user", {kDatabase, kPostgres, kSingleUser}},
    {"postgresql-alternating-users", "postgresql_alternating_users", {kDatabase, kPostgres, kAlternating}},
    {"mysql-single-user", "mysql_single_user", {kDatabase, kMysql, kSingleUser}},
    {"mysql-alternating-users", "mysql_alternating_users", {kDatabase, kMysql, kAlternating}},
    {"gitlab-access-token", "gitlab_access_token", {kPartner, kGitLab, ""}},
    {"jenkins-api-token", "jenkins_api_token", {kPartner, kJenkins, ""}},
};

}  // namespace

std::optional<BuiltinRotator> FindBuiltinRotator(const std::string& name) {
  for (const Entry& e : kRotators) {
    if (name == e.name) {
      std::string source = kHandler;
      for (const char* part : e.parts) source += part;
      return BuiltinRotator{e.module, std::move(source)};
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
