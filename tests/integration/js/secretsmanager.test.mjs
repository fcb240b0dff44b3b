// AWS SDK for JavaScript v3 against Arcana: the operations and members Debian's boto3/CLI lack
// (BatchGetSecretValue, SortBy, RotationToken, IncludePlannedDeletion) plus JS type mapping.
//
// Run: ARCANA_ENDPOINT=http://127.0.0.1:PORT node --test tests/integration/js/
// (tests/integration/run.sh starts a server whose root key pair is the tests' credentials,
// AKIDJSTEST0000000001 / js-secret, and sets ARCANA_ENDPOINT).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import {
  SecretsManagerClient,
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  CancelRotateSecretCommand,
} from "@aws-sdk/client-secrets-manager";
import { IAMClient, CreateRoleCommand } from "@aws-sdk/client-iam";

const endpoint = process.env.ARCANA_ENDPOINT;
const ARN_RE = (name, region = "us-east-1") =>
  new RegExp(`^arn:aws:secretsmanager:${region}:123456789012:secret:${name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}-[A-Za-z0-9]{6}$`);

function client(region = "us-east-1") {
  return new SecretsManagerClient({
    endpoint,
    region,
    credentials: { accessKeyId: "AKIDJSTEST0000000001", secretAccessKey: "js-secret" },
    maxAttempts: 1,
  });
}

function prefix() {
  return `js${randomUUID().slice(0, 8)}/`;
}

async function expectError(promise, name) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.name, name, `expected ${name}, got ${err.name}: ${err.message}`);
    assert.equal(err.$metadata?.httpStatusCode, 400);
    return true;
  });
}

let sm;
before(() => {
  assert.ok(endpoint, "set ARCANA_ENDPOINT to the server's URL");
  sm = client();
});

test("create / get / describe round trip with JS types", async () => {
  const p = prefix();
  const name = `${p}roundtrip`;
  const token = randomUUID();
  const c = await sm.send(new CreateSecretCommand({
    Name: name, SecretString: '{"password":"x"}', ClientRequestToken: token,
    Description: "js", Tags: [{ Key: "env", Value: "js" }],
  }));
  assert.match(c.ARN, ARN_RE(name));
  assert.equal(c.Name, name);
  assert.equal(c.VersionId, token);
  assert.ok(c.$metadata.requestId, "x-amzn-RequestId missing");

  const g = await sm.send(new GetSecretValueCommand({ SecretId: name }));
  assert.equal(g.SecretString, '{"password":"x"}');
  assert.equal(g.SecretBinary, undefined);
  assert.deepEqual(g.VersionStages, ["AWSCURRENT"]);
  assert.ok(g.CreatedDate instanceof Date, "CreatedDate must be a Date");
  assert.ok(Math.abs(Date.now() - g.CreatedDate.getTime()) < 120_000);

  const d = await sm.send(new DescribeSecretCommand({ SecretId: c.ARN }));
  assert.equal(d.Name, name);
  assert.equal(d.Description, "js");
  assert.deepEqual(d.Tags, [{ Key: "env", Value: "js" }]);
  assert.deepEqual(d.VersionIdsToStages, { [token]: ["AWSCURRENT"] });
  assert.ok(d.CreatedDate instanceof Date);
  assert.ok(d.LastChangedDate instanceof Date);
  assert.ok(d.LastAccessedDate instanceof Date);
});

test("binary secret round trip as Uint8Array", async () => {
  const name = `${prefix()}bin`;
  const bytes = new Uint8Array(300).map((_, i) => (i * 13) % 256);
  await sm.send(new CreateSecretCommand({ Name: name, SecretBinary: bytes }));
  const g = await sm.send(new GetSecretValueCommand({ SecretId: name }));
  assert.ok(g.SecretBinary instanceof Uint8Array, "SecretBinary must be a Uint8Array");
  assert.deepEqual(Array.from(g.SecretBinary), Array.from(bytes));
  assert.equal(g.SecretString, undefined);
});

test("error names and status", async () => {
  await expectError(sm.send(new GetSecretValueCommand({ SecretId: `${prefix()}missing` })),
    "ResourceNotFoundException");
  const name = `${prefix()}dup`;
  await sm.send(new CreateSecretCommand({ Name: name, SecretString: "a" }));
  await expectError(sm.send(new CreateSecretCommand({ Name: name, SecretString: "b" })),
    "ResourceExistsException");
});

test("PutSecretValue with RotationToken is accepted", async () => {
  const name = `${prefix()}rot`;
  await sm.send(new CreateSecretCommand({ Name: name, SecretString: "one" }));
  const token = randomUUID();
  const r = await sm.send(new PutSecretValueCommand({
    SecretId: name, SecretString: "two", ClientRequestToken: token,
    RotationToken: randomUUID() + "-" + randomUUID(),
  }));
  assert.equal(r.VersionId, token);
  assert.deepEqual(r.VersionStages, ["AWSCURRENT"]);
  const g = await sm.send(new GetSecretValueCommand({ SecretId: name }));
  assert.equal(g.SecretString, "two");
});

async function makeSecrets(p, names) {
  const out = {};
  for (const n of names) {
    const r = await sm.send(new CreateSecretCommand({ Name: p + n, SecretString: `value-${n}` }));
    out[p + n] = r;
  }
  return out;
}

test("BatchGetSecretValue by SecretIdList, with a missing id in Errors", async () => {
  const p = prefix();
  const made = await makeSecrets(p, ["a", "b", "c"]);
  const missing = `${p}missing`;
  const ids = [p + "a", made[p + "b"].ARN, missing, p + "c"];
  const r = await sm.send(new BatchGetSecretValueCommand({ SecretIdList: ids }));
  const byName = Object.fromEntries(r.SecretValues.map((v) => [v.Name, v]));
  assert.deepEqual(Object.keys(byName).sort(), [p + "a", p + "b", p + "c"]);
  for (const n of ["a", "b", "c"]) {
    const v = byName[p + n];
    assert.equal(v.SecretString, `value-${n}`);
    assert.equal(v.ARN, made[p + n].ARN);
    assert.equal(v.VersionId, made[p + n].VersionId);
    assert.deepEqual(v.VersionStages, ["AWSCURRENT"]);
    assert.ok(v.CreatedDate instanceof Date);
  }
  assert.equal(r.Errors.length, 1);
  assert.equal(r.Errors[0].SecretId, missing);
  assert.equal(r.Errors[0].ErrorCode, "ResourceNotFoundException");
  assert.equal(typeof r.Errors[0].Message, "string");
  assert.equal(r.NextToken, undefined);
});

test("BatchGetSecretValue returns AWSCURRENT only", async () => {
  const p = prefix();
  await makeSecrets(p, ["x"]);
  await sm.send(new PutSecretValueCommand({ SecretId: p + "x", SecretString: "newer" }));
  await sm.send(new PutSecretValueCommand({ SecretId: p + "x", SecretString: "pending",
    VersionStages: ["AWSPENDING"] }));
  const r = await sm.send(new BatchGetSecretValueCommand({ SecretIdList: [p + "x"] }));
  assert.equal(r.SecretValues.length, 1);
  assert.equal(r.SecretValues[0].SecretString, "newer");
  assert.equal(r.Errors?.length ?? 0, 0);
});

test("BatchGetSecretValue with Filters, MaxResults and NextToken", async () => {
  const p = prefix();
  const names = ["f1", "f2", "f3", "f4", "f5"];
  await makeSecrets(p, names);
  const seen = [];
  let token;
  let pages = 0;
  do {
    const r = await sm.send(new BatchGetSecretValueCommand({
      Filters: [{ Key: "name", Values: [p] }], MaxResults: 2, NextToken: token,
    }));
    assert.ok(r.SecretValues.length <= 2, `page of ${r.SecretValues.length}`);
    for (const v of r.SecretValues) {
      seen.push(v.Name);
      assert.equal(v.SecretString, `value-${v.Name.slice(p.length)}`);
    }
    token = r.NextToken;
    pages += 1;
    assert.ok(pages < 20, "pagination does not terminate");
  } while (token);
  assert.deepEqual([...seen].sort(), names.map((n) => p + n));
  assert.equal(new Set(seen).size, seen.length, "duplicates across pages");
  assert.ok(pages >= 3);
});

test("BatchGetSecretValue input validation", async () => {
  const p = prefix();
  await makeSecrets(p, ["v"]);
  await expectError(sm.send(new BatchGetSecretValueCommand({
    SecretIdList: [p + "v"], Filters: [{ Key: "name", Values: [p] }],
  })), "InvalidParameterException");
  await expectError(sm.send(new BatchGetSecretValueCommand({})), "InvalidParameterException");
  await expectError(sm.send(new BatchGetSecretValueCommand({
    SecretIdList: [p + "v"], MaxResults: 5,
  })), "InvalidParameterException");
  await expectError(sm.send(new BatchGetSecretValueCommand({
    Filters: [{ Key: "name", Values: [p] }], NextToken: "forged-token",
  })), "InvalidNextTokenException");
});

test("ListSecrets SortBy name", async () => {
  const p = prefix();
  await makeSecrets(p, ["b", "c", "a"]);
  const asc = await sm.send(new ListSecretsCommand({
    Filters: [{ Key: "name", Values: [p] }], SortBy: "name", SortOrder: "asc",
  }));
  assert.deepEqual(asc.SecretList.map((s) => s.Name), [p + "a", p + "b", p + "c"]);
  const desc = await sm.send(new ListSecretsCommand({
    Filters: [{ Key: "name", Values: [p] }], SortBy: "name", SortOrder: "desc",
  }));
  assert.deepEqual(desc.SecretList.map((s) => s.Name), [p + "c", p + "b", p + "a"]);
  for (const s of asc.SecretList) {
    assert.ok(s.CreatedDate instanceof Date);
    assert.ok(s.SecretVersionsToStages, "SecretVersionsToStages missing");
  }
});

test("ListSecrets IncludePlannedDeletion", async () => {
  const p = prefix();
  await makeSecrets(p, ["live", "gone"]);
  const del = await sm.send(new DeleteSecretCommand({ SecretId: p + "gone", RecoveryWindowInDays: 7 }));
  assert.ok(del.DeletionDate instanceof Date);
  const flt = [{ Key: "name", Values: [p] }];
  const dflt = await sm.send(new ListSecretsCommand({ Filters: flt }));
  assert.deepEqual(dflt.SecretList.map((s) => s.Name), [p + "live"]);
  const all = await sm.send(new ListSecretsCommand({ Filters: flt, IncludePlannedDeletion: true }));
  const byName = Object.fromEntries(all.SecretList.map((s) => [s.Name, s]));
  assert.deepEqual(Object.keys(byName).sort(), [p + "gone", p + "live"]);
  assert.ok(byName[p + "gone"].DeletedDate instanceof Date);
  assert.equal(byName[p + "live"].DeletedDate, undefined);
});

test("BatchGetSecretValue size limits", async () => {
  const p = prefix();
  await makeSecrets(p, ["v"]);
  const tooMany = Array.from({ length: 21 }, (_, i) => `${p}id${i}`);
  await assert.rejects(sm.send(new BatchGetSecretValueCommand({ SecretIdList: tooMany })), (err) => {
    assert.ok(["InvalidParameterException", "ValidationException"].includes(err.name), err.name);
    return true;
  });
  await assert.rejects(sm.send(new BatchGetSecretValueCommand({
    Filters: [{ Key: "name", Values: [p] }], MaxResults: 21,
  })), (err) => {
    assert.ok(["InvalidParameterException", "ValidationException"].includes(err.name), err.name);
    return true;
  });
  // 20 ids is the maximum: allowed, missing ones reported in Errors
  const twenty = [p + "v", ...Array.from({ length: 19 }, (_, i) => `${p}missing${i}`)];
  const r = await sm.send(new BatchGetSecretValueCommand({ SecretIdList: twenty }));
  assert.equal(r.SecretValues.length, 1);
  assert.equal(r.Errors.length, 19);
  for (const e of r.Errors) assert.equal(e.ErrorCode, "ResourceNotFoundException");
});

test("a managed external secret's rotation configuration: members and refusals", async () => {
  const iam = new IAMClient({
    endpoint, region: "us-east-1", maxAttempts: 1,
    credentials: { accessKeyId: "AKIDJSTEST0000000001", secretAccessKey: "js-secret" },
  });
  const roleName = `js-mes-${randomUUID().slice(0, 8)}`;
  const role = (await iam.send(new CreateRoleCommand({
    RoleName: roleName,
    AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{
      Effect: "Allow", Principal: { Service: "secretsmanager.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
  }))).Role.Arn;
  const name = prefix() + "gitlab";
  await sm.send(new CreateSecretCommand({
    Name: name, Type: "GitLabAccessToken",
    SecretString: JSON.stringify({ token: "glpat-js", tokenId: "1", gitlabUrl: "https://127.0.0.1:9" }),
  }));
  await expectError(sm.send(new RotateSecretCommand({ SecretId: name })), "InvalidParameterException");
  await expectError(sm.send(new RotateSecretCommand({
    SecretId: name, ExternalSecretRotationRoleArn: role,
    ExternalSecretRotationMetadata: [{ Key: "daysToExpiry", Value: "400" }],
  })), "InvalidParameterException");
  const metadata = [{ Key: "daysToExpiry", Value: "30" }];
  const r = await sm.send(new RotateSecretCommand({
    SecretId: name, RotateImmediately: false, ExternalSecretRotationRoleArn: role,
    ExternalSecretRotationMetadata: metadata, RotationRules: { AutomaticallyAfterDays: 7 },
  }));
  assert.equal(r.Name, name);
  const d = await sm.send(new DescribeSecretCommand({ SecretId: name }));
  assert.equal(d.Type, "GitLabAccessToken");
  assert.equal(d.RotationEnabled, true);
  assert.equal(d.ExternalSecretRotationRoleArn, role);
  assert.deepEqual(d.ExternalSecretRotationMetadata, metadata);
  assert.equal(d.RotationLambdaARN, undefined);
  const listed = await sm.send(new ListSecretsCommand({ Filters: [{ Key: "name", Values: [name] }] }));
  assert.deepEqual(listed.SecretList.find((s) => s.Name === name).ExternalSecretRotationMetadata, metadata);
  await sm.send(new CancelRotateSecretCommand({ SecretId: name }));
});
