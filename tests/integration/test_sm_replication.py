"""ReplicateSecretToRegions, RemoveRegionsFromReplication, StopReplicationToReplica.

A replica lives in another region of the same server; a client for that region sees it.
"""

from conftest import assert_arn, raises_code, wait_for

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
    assert d.get("PrimaryRegion", PRIMARY) == PRIMARY
    rd = eu.describe_secret(SecretId=name)
    assert rd["PrimaryRegion"] == PRIMARY
    assert rd["Description"] == "replicated"
    assert rd["VersionIdsToStages"] == d["VersionIdsToStages"]


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
