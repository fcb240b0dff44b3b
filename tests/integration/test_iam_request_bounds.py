"""Bounds on what one IAM request may cost the server (a hostile-input review's findings):

- SimulateCustomPolicy / SimulatePrincipalPolicy evaluate only the page asked for (MaxItems
  from the Marker), and a page stops early once its evaluation would take more than a bounded
  amount of matching or output (the API reference, MaxItems: "IAM might return fewer results,
  even when there are more results available"; IsTruncated and Marker say where to go on). One
  (action, resource) pair whose evaluation alone would exceed that bound is InvalidInput.
  Before, every pair was evaluated and kept before paging: 300 actions x 300 resources x a
  500-statement policy took seconds of CPU even for MaxItems=1.
- A Query-protocol list of more than 1000 members is read whole (it was cut to its first 1000,
  which answered for part of the request); AWS's model sets no maximum on SimulateCustomPolicy's
  lists, so none is refused below the request's 4096 form fields.
- GenerateServiceLastAccessedDetails keeps at most 20 jobs per caller and 200 per account, the
  oldest dropped (NoSuchEntity afterwards, like an expired job): each job stores its whole
  report, and repeated calls grew the store without bound.
Runs on each store (ARCANA_TEST_STORE)."""

from __future__ import annotations

import json
import os
import time

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, DEV_AKID, DEV_SECRET, store_sql
from test_iam import client, code_of, name
from test_sts import iam  # noqa: F401 (fixture)


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) // 1024
    raise AssertionError("no VmRSS")


def policy(statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements},
                      separators=(",", ":"))


def dev_iam(server):
    return client(server.endpoint, "iam", DEV_AKID, DEV_SECRET)


def test_a_simulation_evaluates_only_its_page_in_bounded_time_and_memory(fresh_dev_server):
    iam = dev_iam(fresh_dev_server)
    pid = fresh_dev_server.proc.pid
    heavy = policy([{"Effect": "Allow", "Action": "*",
                     "Resource": [f"arn:aws:s3:::b*{i}*{j}*" for j in range(5)]}
                    for i in range(500)])
    actions = [f"s3:GetObject{i}" for i in range(300)]
    resources = [f"arn:aws:s3:::b/{i}" for i in range(300)]
    iam.simulate_custom_policy(PolicyInputList=[heavy], ActionNames=actions[:1])  # warm up
    for max_items in (1, 1000):
        cpu, rss, t = cpu_seconds(pid), rss_mib(pid), time.monotonic()
        out = iam.simulate_custom_policy(PolicyInputList=[heavy], ActionNames=actions,
                                         ResourceArns=resources, MaxItems=max_items)
        took = time.monotonic() - t
        assert took < 2, f"MaxItems={max_items}: {took:.1f} s"
        assert cpu_seconds(pid) - cpu < 1.5
        assert rss_mib(pid) - rss < 64
        got = out["EvaluationResults"]
        assert 1 <= len(got) <= max_items and out["IsTruncated"] is True
        assert out["Marker"] == str(len(got))
        assert [(r["EvalActionName"], r["EvalResourceName"]) for r in got] == \
            [(a, r) for a in actions for r in resources][:len(got)]


def test_a_page_cut_short_pages_on_through_every_pair_with_the_same_results(fresh_dev_server):
    iam = dev_iam(fresh_dev_server)
    # Statement i allows s3:A{i%30} on resources ending /{i%40}: a pair (a, r) is allowed when
    # a and r agree mod 10, by the statements i < 500 with those residues (4 or 5 of them).
    # Long ARNs make each pair's matching costly enough that a page holds fewer than 1000.
    stem = "arn:aws:s3:::b/" + "x" * 1500
    doc = policy([{"Effect": "Allow", "Action": f"s3:A{i % 30}",
                   "Resource": f"arn:aws:s3:::b/*/{i % 40}"} for i in range(500)])
    actions = [f"s3:A{a}" for a in range(30)]
    resources = [f"{stem}/{r}" for r in range(40)]
    kw = dict(PolicyInputList=[doc], ActionNames=actions, ResourceArns=resources, MaxItems=1000)
    first = iam.simulate_custom_policy(**kw)
    assert first["IsTruncated"] is True and len(first["EvaluationResults"]) < 1000
    results, page = [], first
    while True:
        results += page["EvaluationResults"]
        if not page["IsTruncated"]:
            break
        page = iam.simulate_custom_policy(**kw, Marker=page["Marker"])
    assert [(r["EvalActionName"], r["EvalResourceName"]) for r in results] == \
        [(a, r) for a in actions for r in resources]
    for k, r in enumerate(results):
        a, res = divmod(k, 40)
        allowed = a % 10 == res % 10
        assert r["EvalDecision"] == ("allowed" if allowed else "implicitDeny"), (a, res)
        want = [i for i in range(500) if i % 30 == a and i % 40 == res]
        assert [m["StartPosition"] for m in r["MatchedStatements"]] == \
            [m["StartPosition"] for m in r["ResourceSpecificResults"][0]["MatchedStatements"]]
        assert len(r["MatchedStatements"]) == len(want)
    # A page of one pair answers the same as the long pages did.
    one = iam.simulate_custom_policy(**{**kw, "MaxItems": 1}, Marker="437")
    assert one["EvaluationResults"] == results[437:438] and one["Marker"] == "438"


def test_one_pair_too_costly_to_evaluate_is_invalid_input(fresh_dev_server):
    iam = dev_iam(fresh_dev_server)
    # Each pattern may restart its 51 characters after the star at each of the ARN's 2000.
    doc = policy([{"Effect": "Allow", "Action": "*",
                   "Resource": ["arn:*" + "a" * 50 + "b"] * 1000}])
    t = time.monotonic()
    with pytest.raises(ClientError) as e:
        iam.simulate_custom_policy(PolicyInputList=[doc], ActionNames=["s3:GetObject"],
                                   ResourceArns=["arn:" + "a" * 2000])
    assert code_of(e.value) == ("InvalidInput", 400)
    assert "too large" in e.value.response["Error"]["Message"]
    assert time.monotonic() - t < 2


def test_a_query_list_of_more_than_1000_members_is_read_whole(fresh_dev_server):
    iam = dev_iam(fresh_dev_server)
    doc = policy([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}])
    arns = [f"arn:aws:s3:::b/{i}" for i in range(1500)]
    out = iam.simulate_custom_policy(PolicyInputList=[doc], ActionNames=["s3:GetObject"],
                                     ResourceArns=arns, MaxItems=2, Marker="1498")
    assert [r["EvalResourceName"] for r in out["EvaluationResults"]] == arns[1498:]
    assert out["IsTruncated"] is False


def job_rows(server, where: str) -> int:
    return int(store_sql(server, f"SELECT count(*) FROM iam_service_access_jobs WHERE {where}")
               [0][0])


def test_a_callers_access_advisor_jobs_are_capped_oldest_dropped(fresh_dev_server):
    iam = dev_iam(fresh_dev_server)
    arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    jobs = [iam.generate_service_last_accessed_details(Arn=arn, Granularity="ACTION_LEVEL")
            ["JobId"] for _ in range(45)]
    assert job_rows(fresh_dev_server, "true") == 20
    for job in jobs[-20:]:
        assert iam.get_service_last_accessed_details(JobId=job, MaxItems=1)["JobStatus"] == \
            "COMPLETED"
    for job in (jobs[0], jobs[-21]):
        with pytest.raises(ClientError) as e:
            iam.get_service_last_accessed_details(JobId=job)
        assert code_of(e.value) == ("NoSuchEntity", 404)


def test_an_accounts_access_advisor_jobs_are_capped_across_callers(iam, auth_server):
    allow = policy([{"Effect": "Allow", "Action": "iam:*ServiceLastAccessed*", "Resource": "*"}])
    callers = []
    for _ in range(11):
        user = iam.create_user(UserName=name("cap"))["User"]
        iam.put_user_policy(UserName=user["UserName"], PolicyName="p", PolicyDocument=allow)
        key = iam.create_access_key(UserName=user["UserName"])["AccessKey"]
        callers.append(client(auth_server.endpoint, "iam", key["AccessKeyId"],
                              key["SecretAccessKey"]))
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"  # a report of anything will do
    first = None
    for c in callers:  # 11 x 20 = 220 jobs, 20 of each caller (its own cap)
        for _ in range(20):
            job = c.generate_service_last_accessed_details(Arn=arn)["JobId"]
            first = first or (c, job)
    assert job_rows(auth_server, f"account = '{ACCOUNT}'") == 200
    with pytest.raises(ClientError) as e:  # the account's oldest went first
        first[0].get_service_last_accessed_details(JobId=first[1])
    assert code_of(e.value) == ("NoSuchEntity", 404)
    assert callers[-1].get_service_last_accessed_details(JobId=job)["JobStatus"] == "COMPLETED"
