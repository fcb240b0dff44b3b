#include "rotation/builtin_rotators.h"

namespace arcana::rotation {

namespace {

// AWS's SecretsManagerRDSPostgreSQLRotationSingleUser template, reduced to what it does
// for a self-managed PostgreSQL (no RDS lookups), with its guard and step semantics.
constexpr const char* kPostgresSingleUser = R"py(
import json
import logging
import os

import boto3
import psycopg2
from psycopg2 import sql

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
    if secret.get("engine", "postgres") not in ("postgres", "postgresql"):
        raise KeyError("Database engine must be set to 'postgres' in order to use this rotation function")
    return secret


def connect(secret):
    try:
        return psycopg2.connect(host=secret["host"], user=secret["username"],
                                password=secret["password"], dbname=secret.get("dbname", "postgres"),
                                port=int(secret.get("port", 5432)), connect_timeout=5,
                                sslmode=secret.get("sslmode", "prefer"))
    except psycopg2.OperationalError:
        return None


def create_secret(client, arn, token, versions):
    current = get_dict(client, arn, "AWSCURRENT")
    try:
        get_dict(client, arn, "AWSPENDING", token)
        logger.info("createSecret: Successfully retrieved secret for %s." % arn)
        return
    except client.exceptions.ResourceNotFoundException:
        pass
    exclude = os.environ.get("EXCLUDE_CHARACTERS", "/@\"'\\")
    current["password"] = client.get_random_password(ExcludeCharacters=exclude)["RandomPassword"]
    client.put_secret_value(SecretId=arn, ClientRequestToken=token,
                            SecretString=json.dumps(current), VersionStages=["AWSPENDING"])
    logger.info("createSecret: Successfully put secret for ARN %s and version %s." % (arn, token))


def set_secret(client, arn, token, versions):
    pending = get_dict(client, arn, "AWSPENDING", token)
    conn = connect(pending)
    if conn:
        conn.close()
        logger.info("setSecret: AWSPENDING secret is already set as password in PostgreSQL DB for secret arn %s." % arn)
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
        with conn.cursor() as cur:
            cur.execute(sql.SQL("ALTER USER {} WITH PASSWORD %s").format(sql.Identifier(pending["username"])),
                        (pending["password"],))
            conn.commit()
        logger.info("setSecret: Successfully set password for user %s in PostgreSQL DB for secret arn %s." % (pending["username"], arn))
    finally:
        conn.close()


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
    logger.info("testSecret: Successfully signed into PostgreSQL DB with AWSPENDING secret in %s." % arn)


def finish_secret(client, arn, token, versions):
    current = next((v for v, s in versions.items() if "AWSCURRENT" in s), None)
    if current == token:
        return
    client.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT",
                                       MoveToVersionId=token, RemoveFromVersionId=current)
    logger.info("finishSecret: Successfully set AWSCURRENT stage to version %s for secret %s." % (token, arn))
)py";

}  // namespace

std::optional<BuiltinRotator> FindBuiltinRotator(const std::string& name) {
  if (name == "postgresql-single-user") {
    return BuiltinRotator{"postgresql_single_user", kPostgresSingleUser};
  }
  return std::nullopt;
}

}  // namespace arcana::rotation
