"""Secrets Manager answers where a replay of moto's test suite found Arcana differing from AWS.

Each test names its evidence: real AWS answers quoted in public reports (replica refusals and
the undeletable primary: gruntwork-io/cloud-nuke#435, rebuy-de/aws-nuke#1127,
lgallard/terraform-aws-secrets-manager#188; the own-region replica: aws-samples/
aws-health-aware#32; PrimaryRegion only on replicated secrets: aws-nuke#1127; the resource
policy refusal: awsdocs/aws-cloudformation-user-guide#623), the project's spec (2.4: the
values of one filter are ORed) or, where AWS is silent, moto's expectation.
"""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import raises_code, token

PRIMARY, EU, AP = "us-east-1", "eu-west-1", "ap-south-1"
NOT_ON_REPLICA = ("Operation not permitted on a replica secret. Call must be made in primary "
                  "secret's region.")
INVALID_POLICY = "This policy has invalid syntax."


def policy_doc():
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})


def refused(call, code, message):
    with pytest.raises(ClientError) as ei:
        call()
    err = ei.value.response["Error"]
    assert (err["Code"], err["Message"]) == (code, message)


def replicated(sm, uniq, *regions):
    us = sm(PRIMARY)
    name = uniq("repl")
    arn = us.create_secret(Name=name, SecretString="v1", Tags=[{"Key": "k", "Value": "v"}],
                           AddReplicaRegions=[{"Region": r} for r in regions])["ARN"]
    return us, name, arn


# --------------------------------------------------------------------------- replicas

def test_every_write_on_a_replica_is_refused_in_aws_words(sm, uniq):
    us, name, arn = replicated(sm, uniq, EU)
    us.put_resource_policy(SecretId=name, ResourcePolicy=policy_doc())
    eu = sm(EU)
    rarn = arn.replace(f":{PRIMARY}:", f":{EU}:")
    calls = {
        "UpdateSecret": lambda: eu.update_secret(SecretId=rarn, SecretString="x"),
        "UpdateSecret metadata": lambda: eu.update_secret(SecretId=name, Description="d"),
        "PutSecretValue": lambda: eu.put_secret_value(SecretId=rarn, SecretString="x"),
        "TagResource": lambda: eu.tag_resource(SecretId=rarn, Tags=[{"Key": "a", "Value": "b"}]),
        "UntagResource": lambda: eu.untag_resource(SecretId=rarn, TagKeys=["k"]),
        "PutResourcePolicy": lambda: eu.put_resource_policy(SecretId=rarn,
                                                            ResourcePolicy=policy_doc()),
        # the replica is refused before the policy text is read
        "PutResourcePolicy bad text": lambda: eu.put_resource_policy(SecretId=rarn,
                                                                     ResourcePolicy="k1"),
        "DeleteResourcePolicy": lambda: eu.delete_resource_policy(SecretId=rarn),
        "DeleteSecret": lambda: eu.delete_secret(SecretId=rarn),
        "DeleteSecret by name": lambda: eu.delete_secret(SecretId=name, RecoveryWindowInDays=7),
        "CancelRotateSecret": lambda: eu.cancel_rotate_secret(SecretId=rarn),
        "RotateSecret": lambda: eu.rotate_secret(SecretId=rarn),
        "RestoreSecret": lambda: eu.restore_secret(SecretId=rarn),
        "ReplicateSecretToRegions": lambda: eu.replicate_secret_to_regions(
            SecretId=rarn, AddReplicaRegions=[{"Region": AP}]),
        "RemoveRegionsFromReplication": lambda: eu.remove_regions_from_replication(
            SecretId=rarn, RemoveReplicaRegions=[EU]),
    }
    for what, call in calls.items():
        with pytest.raises(ClientError) as ei:
            call()
        err = ei.value.response["Error"]
        assert (err["Code"], err["Message"]) == ("InvalidParameterException", NOT_ON_REPLICA), what
    # nothing changed, and reads of the replica still answer
    assert eu.get_secret_value(SecretId=name)["SecretString"] == "v1"
    d = eu.describe_secret(SecretId=name)
    assert d["Tags"] == [{"Key": "k", "Value": "v"}]
    assert "DeletedDate" not in d
    assert "ResourcePolicy" in eu.get_resource_policy(SecretId=name)
    assert [r["Region"] for r in us.describe_secret(SecretId=name)["ReplicationStatus"]] == [EU]


def test_primary_with_replicas_cannot_be_deleted(sm, uniq):
    # the regions as they were added (AWS lists them unsorted: aws-nuke#1127)
    us, name, arn = replicated(sm, uniq, EU, AP)
    want = f"You can't delete secret {arn} that still has replica regions [{EU}, {AP}]."
    for kw in ({}, {"RecoveryWindowInDays": 7}, {"ForceDeleteWithoutRecovery": True}):
        refused(lambda: us.delete_secret(SecretId=name, **kw), "InvalidParameterException", want)
    assert "DeletedDate" not in us.describe_secret(SecretId=name)
    us.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=[EU, AP])
    assert us.delete_secret(SecretId=name)["ARN"] == arn


def test_replica_in_the_secrets_own_region_is_invalid(sm, uniq):
    us = sm(PRIMARY)
    name = uniq("own")
    refused(lambda: us.create_secret(Name=name, SecretString="s",
                                     AddReplicaRegions=[{"Region": PRIMARY}]),
            "InvalidParameterException", "Invalid replica region.")
    with raises_code("ResourceNotFoundException"):
        us.describe_secret(SecretId=name)
    us.create_secret(Name=name, SecretString="s")
    refused(lambda: us.replicate_secret_to_regions(SecretId=name,
                                                   AddReplicaRegions=[{"Region": PRIMARY}]),
            "InvalidParameterException", "Invalid replica region.")
    assert "ReplicationStatus" not in us.describe_secret(SecretId=name)


def test_replication_onto_an_existing_name_fails_with_its_name_and_region(sm, uniq):
    us, eu = sm(PRIMARY), sm(EU)
    name = uniq("taken")
    us.create_secret(Name=name, SecretString="s1")
    eu.create_secret(Name=name, SecretString="s2")
    (st,) = us.replicate_secret_to_regions(SecretId=name,
                                           AddReplicaRegions=[{"Region": EU}])["ReplicationStatus"]
    assert (st["Region"], st["Status"]) == (EU, "Failed")
    assert st["StatusMessage"] == (
        f"Replication failed: Secret name {name} already exists in region {EU}.")
    assert eu.get_secret_value(SecretId=name)["SecretString"] == "s2"


def test_removing_a_region_that_is_not_replicated_is_a_no_op(sm, uniq):
    us, name, arn = replicated(sm, uniq, EU)
    changed = us.describe_secret(SecretId=name)["LastChangedDate"]
    r = us.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=[AP])
    assert r["ARN"] == arn
    assert [s["Region"] for s in r["ReplicationStatus"]] == [EU]
    assert us.describe_secret(SecretId=name)["LastChangedDate"] == changed
    us.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=[EU])
    r = us.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=[EU])
    assert r.get("ReplicationStatus", []) == []
    standalone = uniq("alone")
    us.create_secret(Name=standalone, SecretString="s")
    us.remove_regions_from_replication(SecretId=standalone, RemoveReplicaRegions=[EU])


def test_stop_replication_is_for_replicas_only(sm, uniq):
    us, name, arn = replicated(sm, uniq, EU)
    standalone = uniq("alone")
    us.create_secret(Name=standalone, SecretString="s")
    for sid in (arn, standalone):
        with raises_code("InvalidParameterException"):
            us.stop_replication_to_replica(SecretId=sid)
    assert [r["Region"] for r in us.describe_secret(SecretId=name)["ReplicationStatus"]] == [EU]


def test_primary_region_filter_matches_replicated_secrets_only(sm, uniq):
    us, name, arn = replicated(sm, uniq, EU)
    standalone = uniq("alone")
    us.create_secret(Name=standalone, SecretString="s")

    def names(client, values):
        out = client.list_secrets(Filters=[{"Key": "primary-region", "Values": values}])
        return sorted(s["Name"] for s in out["SecretList"])

    assert names(us, [PRIMARY]) == [name]
    assert names(us, ["us-"]) == [name]
    assert names(us, [EU]) == []
    assert names(us, ["!" + PRIMARY]) == [standalone]
    # the replica's primary region is the primary's
    assert names(sm(EU), [PRIMARY]) == [name]
    entries = {s["Name"]: s for s in us.list_secrets()["SecretList"]}
    assert entries[name]["PrimaryRegion"] == PRIMARY
    assert "PrimaryRegion" not in entries[standalone]
    assert "PrimaryRegion" not in us.describe_secret(SecretId=standalone)
    # once its last replica is gone, a secret is standalone again
    us.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=[EU])
    assert names(us, [PRIMARY]) == []


# --------------------------------------------------------------------------- filters

def test_values_of_one_filter_are_ored_negated_ones_too(sm):
    c = sm()
    for n, d in [("foo", "one two"), ("bar", "one and two"), ("baz", "one"), ("qux", "two"),
                 ("none", "unrelated")]:
        c.create_secret(Name=n, SecretString="s", Description=d)

    def names(values):
        out = c.list_secrets(Filters=[{"Key": "description", "Values": values}])["SecretList"]
        return sorted(s["Name"] for s in out)

    # "one" or "not two"
    assert names(["one", "!two"]) == ["bar", "baz", "foo", "none"]
    assert names(["!o"]) == ["none", "qux"]
    assert names(["!one", "!two"]) == ["baz", "none", "qux"]
    # separate filters still AND
    out = c.list_secrets(Filters=[{"Key": "description", "Values": ["one"]},
                                  {"Key": "description", "Values": ["!two"]}])["SecretList"]
    assert [s["Name"] for s in out] == ["baz"]


def test_all_filter_does_not_split_a_digit_from_the_letter_after_it(sm):
    """moto's AWS-verified test_with_all_filter: 'd' finds only the description DescTwo,
    whatever hex suffix the names carry; a letter followed by a digit still splits."""
    c = sm()
    c.create_secret(Name="SecretOne6c8d2e", SecretString="s")
    c.create_secret(Name="SecretTwo6c8d2e", SecretString="s", Description="DescTwo")

    def names(value):
        out = c.list_secrets(Filters=[{"Key": "all", "Values": [value]}])["SecretList"]
        return sorted(s["Name"] for s in out)

    assert names("d") == ["SecretTwo6c8d2e"]
    assert names("d t") == ["SecretTwo6c8d2e"]
    assert names("8d") == ["SecretOne6c8d2e", "SecretTwo6c8d2e"]
    assert names("6c8d2e") == ["SecretOne6c8d2e", "SecretTwo6c8d2e"]
    assert names("One6") == ["SecretOne6c8d2e"]  # One + 6c8...: split where a digit follows


def test_filter_without_key_or_values(sm):
    c = sm()
    refused(lambda: c.list_secrets(Filters=[{"Values": ["foo"]}]),
            "InvalidParameterException", "Invalid filter key")
    refused(lambda: c.list_secrets(Filters=[{"Key": "description"}]),
            "InvalidParameterException", "Invalid filter values for key: description")


# --------------------------------------------------------------------------- resource policy

@pytest.mark.parametrize("doc", [
    "some policy",
    json.dumps({"Version": "2012-10-17"}),
    json.dumps({"Version": "2019-10-19", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}),
    json.dumps({"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "secretsmanager:*", "Unknown": "*"}]}),
])
def test_malformed_resource_policy_in_aws_words(sm, uniq, doc):
    c = sm()
    name = uniq()
    c.create_secret(Name=name, SecretString="s")
    refused(lambda: c.put_resource_policy(SecretId=name, ResourcePolicy=doc),
            "MalformedPolicyDocumentException", INVALID_POLICY)
    refused(lambda: c.validate_resource_policy(ResourcePolicy=doc),
            "MalformedPolicyDocumentException", INVALID_POLICY)
    assert "ResourcePolicy" not in c.get_resource_policy(SecretId=name)


def test_put_resource_policy_looks_the_secret_up_first(sm, uniq):
    c = sm()
    with raises_code("ResourceNotFoundException"):
        c.put_resource_policy(SecretId=uniq("missing"), ResourcePolicy="not a policy")


# --------------------------------------------------------------------------- delete

@pytest.mark.parametrize("days", [0, 6, 31])
def test_out_of_range_window_is_refused_as_such_even_with_force(sm, uniq, days):
    c = sm()
    for sid in (uniq("missing"), c.create_secret(Name=uniq(), SecretString="s")["ARN"]):
        refused(lambda: c.delete_secret(SecretId=sid, RecoveryWindowInDays=days,
                                        ForceDeleteWithoutRecovery=True),
                "InvalidParameterException",
                "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
    # an in-range window with force is the conflict
    with raises_code("InvalidParameterException") as ei:
        c.delete_secret(SecretId=uniq("x"), RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True)
    assert "ForceDeleteWithoutRecovery" in ei.value.response["Error"]["Message"]
