// AWS SDK for JavaScript v3 (@aws-sdk/client-ssm) against Arcana's Parameter Store: newest
// SDK shapes (ParameterMetadata.ARN, Shared), every operation's happy path and its main errors.
//
// Run: ARCANA_ENDPOINT=http://127.0.0.1:PORT node --test tests/integration/js/
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import {
  SSMClient,
  AddTagsToResourceCommand,
  DeleteParameterCommand,
  DeleteParametersCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  GetParameterHistoryCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  LabelParameterVersionCommand,
  ListTagsForResourceCommand,
  PutParameterCommand,
  RemoveTagsFromResourceCommand,
  UnlabelParameterVersionCommand,
  paginateGetParametersByPath,
} from "@aws-sdk/client-ssm";
import {
  SecretsManagerClient,
  CreateSecretCommand,
} from "@aws-sdk/client-secrets-manager";

const endpoint = process.env.ARCANA_ENDPOINT;
const credentials = { accessKeyId: "AKIDJSTEST0000000001", secretAccessKey: "js-secret" };
const ssm = new SSMClient({ endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
const sm = new SecretsManagerClient({ endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
const base = () => `/js${randomUUID().slice(0, 8)}`;

async function expectError(promise, name) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.name, name, `expected ${name}, got ${err.name}: ${err.message}`);
    assert.equal(err.$metadata?.httpStatusCode, 400);
    return true;
  });
}

test("put / get / overwrite / SecureString", async () => {
  const b = base();
  const put = await ssm.send(new PutParameterCommand({ Name: `${b}/s`, Value: "js-secret-1", Type: "SecureString" }));
  assert.equal(put.Version, 1);
  assert.equal(put.Tier, "Standard");
  const plain = await ssm.send(new GetParameterCommand({ Name: `${b}/s`, WithDecryption: true }));
  assert.equal(plain.Parameter.Value, "js-secret-1");
  assert.ok(plain.Parameter.LastModifiedDate instanceof Date);
  assert.equal(plain.Parameter.ARN, `arn:aws:ssm:us-east-1:123456789012:parameter${b}/s`);
  const enc = await ssm.send(new GetParameterCommand({ Name: `${b}/s` }));
  assert.notEqual(enc.Parameter.Value, "js-secret-1");
  await expectError(ssm.send(new PutParameterCommand({ Name: `${b}/s`, Value: "x", Type: "SecureString" })), "ParameterAlreadyExists");
  const v2 = await ssm.send(new PutParameterCommand({ Name: `${b}/s`, Value: "js-secret-2", Overwrite: true }));
  assert.equal(v2.Version, 2);
  await expectError(ssm.send(new GetParameterCommand({ Name: `${b}/missing` })), "ParameterNotFound");
  await expectError(ssm.send(new GetParameterCommand({ Name: `${b}/s:9` })), "ParameterVersionNotFound");
  await expectError(ssm.send(new PutParameterCommand({ Name: "/aws/x", Value: "x", Type: "String" })), "AccessDeniedException");
  const deep = Array.from({ length: 16 }, (_, i) => `l${i}`).join("/");
  await expectError(ssm.send(new PutParameterCommand({ Name: `/${deep}`, Value: "x", Type: "String" })), "HierarchyLevelLimitExceededException");
});

test("get parameters, by path with paginator, describe (newest shapes)", async () => {
  const b = base();
  for (let i = 0; i < 13; i++) {
    await ssm.send(new PutParameterCommand({ Name: `${b}/p/${String(i).padStart(2, "0")}`, Value: `v${i}`, Type: "String" }));
  }
  const got = await ssm.send(new GetParametersCommand({ Names: [`${b}/p/00`, `${b}/p/01`, `${b}/nope`] }));
  assert.deepEqual(got.Parameters.map((p) => p.Value), ["v0", "v1"]);
  assert.deepEqual(got.InvalidParameters, [`${b}/nope`]);
  const names = [];
  for await (const page of paginateGetParametersByPath({ client: ssm, pageSize: 4 }, { Path: b, Recursive: true })) {
    assert.ok(page.Parameters.length <= 4);
    names.push(...page.Parameters.map((p) => p.Name));
  }
  assert.equal(names.length, 13);
  assert.equal(new Set(names).size, 13);
  const one = await ssm.send(new GetParametersByPathCommand({ Path: b }));
  assert.equal(one.Parameters.length, 0);
  const d = await ssm.send(new DescribeParametersCommand({
    ParameterFilters: [{ Key: "Path", Option: "Recursive", Values: [b] }], MaxResults: 50,
  }));
  assert.equal(d.Parameters.length, 13);
  assert.ok(d.Parameters[0].ARN.startsWith("arn:aws:ssm:us-east-1:123456789012:parameter/"));
  const shared = await ssm.send(new DescribeParametersCommand({ Shared: true }));
  assert.deepEqual(shared.Parameters, []);
  await expectError(ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: "Label", Values: ["x"] }] })), "InvalidFilterKey");
  await expectError(ssm.send(new GetParametersByPathCommand({ Path: b, NextToken: "garbage" })), "InvalidNextToken");
});

test("history, labels, tags, delete", async () => {
  const b = base();
  const n = `${b}/h`;
  await ssm.send(new PutParameterCommand({ Name: n, Value: "1", Type: "String", Tags: [{ Key: "env", Value: "dev" }] }));
  await ssm.send(new PutParameterCommand({ Name: n, Value: "2", Overwrite: true }));
  const lab = await ssm.send(new LabelParameterVersionCommand({ Name: n, ParameterVersion: 1, Labels: ["old", "9bad"] }));
  assert.deepEqual(lab.InvalidLabels, ["9bad"]);
  assert.equal(lab.ParameterVersion, 1);
  const h = await ssm.send(new GetParameterHistoryCommand({ Name: n }));
  assert.deepEqual(h.Parameters.map((p) => [p.Version, p.Value, p.Labels]), [[1, "1", ["old"]], [2, "2", []]]);
  const un = await ssm.send(new UnlabelParameterVersionCommand({ Name: n, ParameterVersion: 1, Labels: ["old"] }));
  assert.deepEqual(un.RemovedLabels, ["old"]);
  await ssm.send(new AddTagsToResourceCommand({ ResourceType: "Parameter", ResourceId: n, Tags: [{ Key: "team", Value: "x" }] }));
  await ssm.send(new RemoveTagsFromResourceCommand({ ResourceType: "Parameter", ResourceId: n, TagKeys: ["env"] }));
  const tags = await ssm.send(new ListTagsForResourceCommand({ ResourceType: "Parameter", ResourceId: n }));
  assert.deepEqual(tags.TagList, [{ Key: "team", Value: "x" }]);
  await expectError(ssm.send(new ListTagsForResourceCommand({ ResourceType: "Parameter", ResourceId: `${b}/none` })), "InvalidResourceId");
  const del = await ssm.send(new DeleteParametersCommand({ Names: [n, `${b}/none`] }));
  assert.deepEqual(del.DeletedParameters, [n]);
  assert.deepEqual(del.InvalidParameters, [`${b}/none`]);
  await expectError(ssm.send(new DeleteParameterCommand({ Name: n })), "ParameterNotFound");
});

test("reference to a Secrets Manager secret", async () => {
  const name = `jsref${randomUUID().slice(0, 8)}`;
  const created = await sm.send(new CreateSecretCommand({ Name: name, SecretString: "ref-value" }));
  const ref = `/aws/reference/secretsmanager/${name}`;
  const p = await ssm.send(new GetParameterCommand({ Name: ref, WithDecryption: true }));
  assert.equal(p.Parameter.Value, "ref-value");
  assert.equal(p.Parameter.Type, "SecureString");
  assert.equal(p.Parameter.Version, 0);
  assert.equal(p.Parameter.ARN, created.ARN);
  // lower camel case member names, "ARN" as is: what AWS answers
  assert.equal(JSON.parse(p.Parameter.SourceResult).secretString, "ref-value");
  assert.equal(JSON.parse(p.Parameter.SourceResult).ARN, created.ARN);
  await expectError(ssm.send(new GetParameterCommand({ Name: ref })), "ValidationException");
});
