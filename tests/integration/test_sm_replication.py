"""ReplicateSecretToRegions, RemoveRegionsFromReplication, StopReplicationToReplica.

A replica lives in another region of the same server; a client for that region sees it.
"""

from conftest import assert_arn, raises_code, wait_for
from kms_fixtures import kms  # noqa: F401

PRIMARY, REPLICA = "us-east-1", "eu-west-1"


def replicated(sm, uniq, value="v1"):
    us, eu = sm(PRIMARY), sm(REPLICA)
    name = uniq("repl")
    arn = us.create_secret(Name=name, SecretString=value, Description="replicated",
                           Tags=[{"Key": "k", "Value": "v"}])["ARN"]
    r = us.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": REPLICA}])
    assert r["ARN"] == arn
    (st,) = r["ReplicationStatus"]
    assert st["Region"] == REPLICA
    assert st["Status"] in ("InSync", "InProgress")
    # The AWS managed key by its alias (the aws CLI's recorded replicate-secret-to-regions).
    assert st["KmsKeyId"] == "alias/aws/secretsmanager", st
    wait_for(lambda: eu.get_secret_value(SecretId=name)["SecretString"] == value,
             timeout=10, what="replica to become readable")
    return us, eu, name, arn


def test_replica_readable_in_other_region(sm, uniq):
    us, eu, name, arn = replicated(sm, uniq)
    g = eu.get_secret_value(SecretId=name)
    assert_arn(g["ARN"], name, REPLICA)
    assert g["ARN"][-6:] == arn[-6:], "replica keeps the primary's name suffix"
    assert g["ARN"] == arn.replace(f":{PRIMARY}:", f":{REPLICA}:")
    assert g["VersionStages"] == ["AWSCURRENT"]
    assert g["VersionId"] == us.get_secret_value(SecretId=name)["VersionId"]
    # by ARN in the replica region too
    assert eu.get_secret_value(SecretId=g["ARN"])["SecretString"] == "v1"


def test_describe_shows_primary_region_and_status(sm, uniq):
    us, eu, name, arn = replicated(sm, uniq)
    wait_for(lambda: us.describe_secret(SecretId=name)["ReplicationStatus"][0]["Status"] == "InSync",
             timeout=10, what="InSync status")
    d = us.describe_secret(SecretId=name)
    (st,) = d["ReplicationStatus"]
    assert st["Region"] == REPLICA and st["Status"] == "InSync"
    assert st["KmsKeyId"] == "alias/aws/secretsmanager", st
    assert d.get("PrimaryRegion", PRIMARY) == PRIMARY
    rd = eu.describe_secret(SecretId=name)
    assert rd["PrimaryRegion"] == PRIMARY
    assert rd["Description"] == "replicated"
    assert rd["VersionIdsToStages"] == d["VersionIdsToStages"]


def test_a_replica_lists_its_versions_under_its_own_regions_key(sm, kms, uniq):
    # A primary under a customer key; its replica under the AWS managed key of its region:
    # the replica's ListSecretVersionIds names that key, not the primary's.
    us, eu = sm(PRIMARY), sm(REPLICA)
    name = uniq("repl-key")
    key = kms(PRIMARY).create_key()["KeyMetadata"]["KeyId"]
    us.create_secret(Name=name, SecretString="v", KmsKeyId=key)
    us.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": REPLICA}])
    wait_for(lambda: eu.get_secret_value(SecretId=name)["SecretString"] == "v", timeout=10,
             what="replica to become readable")
    assert "KmsKeyId" not in eu.describe_secret(SecretId=name)
    (v,) = eu.list_secret_version_ids(SecretId=name)["Versions"]
    assert v["KmsKeyIds"] == ["DefaultEncryptionKey"], v
    (pv,) = us.list_secret_version_ids(SecretId=name)["Versions"]
    assert pv["KmsKeyIds"] == [key], pv


def test_replica_is_read_only(sm, uniq):
    # InvalidParameterException, as AWS answers (test_sm_moto_findings.py has its words)
    us, eu, name, arn = replicated(sm, uniq)
    with raises_code("InvalidParameterException"):
        eu.put_secret_value(SecretId=name, SecretString="from-replica")
    with raises_code("InvalidParameterException"):
        eu.update_secret(SecretId=name, SecretString="from-replica")
    with raises_code("InvalidParameterException"):
        eu.update_secret(SecretId=name, Description="from-replica")
    with raises_code("InvalidParameterException"):
        eu.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    assert eu.get_secret_value(SecretId=name)["SecretString"] == "v1"
    assert us.get_secret_value(SecretId=name)["SecretString"] == "v1"


def test_replica_follows_primary_writes(sm, uniq):
    us, eu, name, arn = replicated(sm, uniq)
    v2 = us.put_secret_value(SecretId=name, SecretString="v2")["VersionId"]
    wait_for(lambda: eu.get_secret_value(SecretId=name)["SecretString"] == "v2",
             timeout=10, what="replica to receive PutSecretValue")
    g = eu.get_secret_value(SecretId=name)
    assert g["VersionId"] == v2
    assert eu.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "v1"
    us.update_secret(SecretId=name, Description="changed")
    wait_for(lambda: eu.describe_secret(SecretId=name).get("Description") == "changed",
             timeout=10, what="replica to receive UpdateSecret")


def test_create_secret_with_replica_regions(sm, uniq):
    us, eu = sm(PRIMARY), sm(REPLICA)
    name = uniq("born-replicated")
    r = us.create_secret(Name=name, SecretString="x", AddReplicaRegions=[{"Region": REPLICA}])
    (st,) = r["ReplicationStatus"]
    assert st["Region"] == REPLICA
    wait_for(lambda: eu.get_secret_value(SecretId=name)["SecretString"] == "x",
             timeout=10, what="replica created by CreateSecret")


def test_remove_regions_from_replication(sm, uniq):
    us, eu, name, arn = replicated(sm, uniq)
    r = us.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=[REPLICA])
    assert r["ARN"] == arn
    assert r.get("ReplicationStatus", []) == []
    wait_for(lambda: _not_found(eu, name), timeout=10, what="replica to disappear")
    assert us.describe_secret(SecretId=name).get("ReplicationStatus", []) == []
    assert us.get_secret_value(SecretId=name)["SecretString"] == "v1"


def _not_found(client, name):
    try:
        client.describe_secret(SecretId=name)
    except client.exceptions.ResourceNotFoundException:
        return True
    return False


def test_stop_replication_promotes_replica(sm, uniq):
    us, eu, name, arn = replicated(sm, uniq)
    replica_arn = eu.describe_secret(SecretId=name)["ARN"]
    r = eu.stop_replication_to_replica(SecretId=name)
    assert r["ARN"] == replica_arn
    # standalone now: writable in its own region, no longer a replica
    d = eu.describe_secret(SecretId=name)
    assert d.get("PrimaryRegion", REPLICA) == REPLICA
    eu.put_secret_value(SecretId=name, SecretString="eu-only")
    assert eu.get_secret_value(SecretId=name)["SecretString"] == "eu-only"
    assert us.get_secret_value(SecretId=name)["SecretString"] == "v1"
    wait_for(lambda: us.describe_secret(SecretId=name).get("ReplicationStatus", []) == [],
             timeout=10, what="primary to forget the promoted replica")
    # primary writes no longer reach it
    us.put_secret_value(SecretId=name, SecretString="us-v2")
    import time
    time.sleep(0.5)
    assert eu.get_secret_value(SecretId=name)["SecretString"] == "eu-only"


def test_stop_replication_on_primary_rejected(sm, uniq):
    us, eu, name, arn = replicated(sm, uniq)
    with raises_code("InvalidParameterException"):
        us.stop_replication_to_replica(SecretId=name)


def test_delete_primary_with_replicas_rejected(sm, uniq):
    us, eu, name, arn = replicated(sm, uniq)
    with raises_code("InvalidParameterException"):
        us.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    assert "DeletedDate" not in us.describe_secret(SecretId=name)


def test_replication_missing_secret(sm, uniq):
    us = sm(PRIMARY)
    missing = uniq("missing")
    with raises_code("ResourceNotFoundException"):
        us.replicate_secret_to_regions(SecretId=missing, AddReplicaRegions=[{"Region": REPLICA}])
    with raises_code("ResourceNotFoundException"):
        us.remove_regions_from_replication(SecretId=missing, RemoveReplicaRegions=[REPLICA])
    with raises_code("ResourceNotFoundException"):
        sm(REPLICA).stop_replication_to_replica(SecretId=missing)


# --------------------------------------------------------------------------- overwrites

def test_force_overwrite_never_takes_another_primarys_replica(sm, uniq):
    # ForceOverwriteReplicaSecret replaces a standalone secret, never a secret that is
    # another primary's replica: that primary would keep reporting it InSync (and could not
    # be deleted) while the region served the new primary's value.
    a, b, d = sm(PRIMARY), sm("us-west-2"), sm("eu-west-3")
    name = uniq("contested")
    a_arn = a.create_secret(Name=name, SecretString="A1",
                            AddReplicaRegions=[{"Region": "eu-west-3"}])["ARN"]
    r = b.create_secret(Name=name, SecretString="B1", AddReplicaRegions=[{"Region": "eu-west-3"}],
                        ForceOverwriteReplicaSecret=True)
    (st,) = r["ReplicationStatus"]
    assert st["Region"] == "eu-west-3" and st["Status"] == "Failed", st
    assert st["StatusMessage"].startswith("Replication failed:"), st
    assert "replica of another primary" in st["StatusMessage"], st
    # the region still serves A's replica, and A's status is still true
    assert d.get_secret_value(SecretId=name)["SecretString"] == "A1"
    assert d.describe_secret(SecretId=name)["PrimaryRegion"] == PRIMARY
    (ast,) = a.describe_secret(SecretId=name)["ReplicationStatus"]
    assert ast["Region"] == "eu-west-3" and ast["Status"] == "InSync"
    (bst,) = b.describe_secret(SecretId=name)["ReplicationStatus"]
    assert bst["Status"] == "Failed"
    # the same through ReplicateSecretToRegions
    b.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=["eu-west-3"])
    (st,) = b.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": "eu-west-3"}],
                                          ForceOverwriteReplicaSecret=True)["ReplicationStatus"]
    assert st["Status"] == "Failed" and "replica of another primary" in st["StatusMessage"]
    assert d.get_secret_value(SecretId=name)["SecretString"] == "A1"
    # A still owns its replica: removing it works, then A can be deleted
    a.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=["eu-west-3"])
    wait_for(lambda: _not_found(d, name), timeout=10, what="A's replica to disappear")
    a.delete_secret(SecretId=a_arn, ForceDeleteWithoutRecovery=True)


def test_force_overwrite_still_replaces_a_standalone_secret(sm, uniq):
    us, eu = sm(PRIMARY), sm(REPLICA)
    name = uniq("overwrite")
    eu.create_secret(Name=name, SecretString="local")
    (st,) = us.create_secret(Name=name, SecretString="primary",
                             AddReplicaRegions=[{"Region": REPLICA}],
                             ForceOverwriteReplicaSecret=True)["ReplicationStatus"]
    assert st["Status"] == "InSync"
    assert eu.get_secret_value(SecretId=name)["SecretString"] == "primary"
    assert eu.describe_secret(SecretId=name)["PrimaryRegion"] == PRIMARY


# --------------------------------------------------------------------------- replica keys

def test_replica_kms_key_that_cannot_be_used_fails_the_replication(kms, uniq):
    # AWS's troubleshooting guide: "The KMS key is disabled or not found" fails replication.
    # Nothing is made in the region, and a clashing secret is left as it was.
    us, euw2 = kms.sm(PRIMARY), kms.sm("eu-west-2")
    name = uniq("replica-key")
    us.create_secret(Name=name, SecretString="v1")
    (st,) = us.replicate_secret_to_regions(
        SecretId=name,
        AddReplicaRegions=[{"Region": "eu-west-2", "KmsKeyId": "alias/nonexistent"}],
    )["ReplicationStatus"]
    assert st["Status"] == "Failed", st
    assert st["StatusMessage"].startswith("Replication failed:"), st
    assert "alias/nonexistent" in st["StatusMessage"] and "KMS key" in st["StatusMessage"], st
    assert _not_found(euw2, name)
    # a disabled key in the replica's region fails too; a standalone secret there survives
    # even with ForceOverwriteReplicaSecret
    key = kms("eu-west-2").create_key()["KeyMetadata"]["KeyId"]
    kms("eu-west-2").disable_key(KeyId=key)
    euw2.create_secret(Name=name, SecretString="local")
    us.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=["eu-west-2"])
    (st,) = us.replicate_secret_to_regions(
        SecretId=name, AddReplicaRegions=[{"Region": "eu-west-2", "KmsKeyId": key}],
        ForceOverwriteReplicaSecret=True)["ReplicationStatus"]
    assert st["Status"] == "Failed" and key in st["StatusMessage"], st
    assert "disabled" in st["StatusMessage"], st
    assert euw2.get_secret_value(SecretId=name)["SecretString"] == "local"
    assert "PrimaryRegion" not in euw2.describe_secret(SecretId=name)
    # a key of another region is not found in the replica's
    us_key = kms(PRIMARY).create_key()["KeyMetadata"]["Arn"]
    us.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=["eu-west-2"])
    (st,) = us.replicate_secret_to_regions(
        SecretId=name, AddReplicaRegions=[{"Region": "ap-south-1", "KmsKeyId": us_key}],
    )["ReplicationStatus"]
    assert st["Status"] == "Failed", st
    # an enabled key of the region works, and the replica can be promoted with it
    kms("eu-west-2").enable_key(KeyId=key)
    euw2.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    us.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=["ap-south-1"])
    (st,) = us.replicate_secret_to_regions(
        SecretId=name, AddReplicaRegions=[{"Region": "eu-west-2", "KmsKeyId": key}],
    )["ReplicationStatus"]
    assert st["Status"] == "InSync" and st["KmsKeyId"] == key, st
    # The replica's versions are under its region's key, in every answer made there.
    wait_for(lambda: euw2.describe_secret(SecretId=name).get("KmsKeyId") == key, timeout=10,
             what="the replica")
    (lv,) = euw2.list_secret_version_ids(SecretId=name)["Versions"]
    assert lv["KmsKeyIds"] == [key], lv
    euw2.stop_replication_to_replica(SecretId=name)
    assert euw2.get_secret_value(SecretId=name)["SecretString"] == "v1"
    assert euw2.describe_secret(SecretId=name)["KmsKeyId"] == key


# --------------------------------------------------------------------------- LastAccessedDate

def test_last_accessed_date_is_kept_per_region(sm, raw, uniq):
    # API reference: LastAccessedDate is "the date that the secret was last accessed in the
    # Region", omitted if never retrieved there; ReplicationStatusType carries the replica's.
    us, eu, name, arn = replicated(sm, uniq)
    # replicated() read the replica: the replica has a date, the primary none
    assert "LastAccessedDate" not in us.describe_secret(SecretId=name)
    rd = eu.describe_secret(SecretId=name)
    assert "LastAccessedDate" in rd
    (st,) = us.describe_secret(SecretId=name)["ReplicationStatus"]
    assert st["LastAccessedDate"] == rd["LastAccessedDate"]
    listed = [s for s in eu.list_secrets()["SecretList"] if s["Name"] == name]
    assert listed and listed[0]["LastAccessedDate"] == rd["LastAccessedDate"]
    assert "LastAccessedDate" not in [s for s in us.list_secrets()["SecretList"]
                                      if s["Name"] == name][0]
    # a primary read records the primary's, and the replica's entry keeps its own
    us.get_secret_value(SecretId=name)
    assert "LastAccessedDate" in us.describe_secret(SecretId=name)
    # BatchGetSecretValue reads in a replica region are the replica's too
    name2 = uniq("batch")
    us.create_secret(Name=name2, SecretString="b", AddReplicaRegions=[{"Region": REPLICA}])
    (st,) = us.describe_secret(SecretId=name2)["ReplicationStatus"]
    assert "LastAccessedDate" not in st
    r = raw("BatchGetSecretValue", {"SecretIdList": [name2]}, region=REPLICA)
    assert r.status_code == 200 and len(r.json()["SecretValues"]) == 1, r.text
    assert "LastAccessedDate" not in us.describe_secret(SecretId=name2)
    assert "LastAccessedDate" in eu.describe_secret(SecretId=name2)
    (st,) = us.describe_secret(SecretId=name2)["ReplicationStatus"]
    assert "LastAccessedDate" in st
