// The AWS SDK for JavaScript v2 (aws-sdk, end of support but still in wide use): its own
// signer (which never signs Content-Type), its JSON and query-protocol parsers and its error
// mapping, against Arcana's Secrets Manager, Parameter Store, KMS, STS and IAM.
//
// Run: ARCANA_ENDPOINT=http://127.0.0.1:PORT node --test tests/integration/js/ (a server whose
// root key pair is AKIDJSTEST0000000001 / js-secret: tests/integration/run.sh starts one).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { randomUUID } from "node:crypto";

const AWS = createRequire(import.meta.url)("aws-sdk");
const options = {
  endpoint: process.env.ARCANA_ENDPOINT,
  region: "us-east-1",
  credentials: new AWS.Credentials("AKIDJSTEST0000000001", "js-secret"),
  maxRetries: 0,
};

async function expectError(promise, code, status) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    assert.equal(err.statusCode, status);
    return true;
  });
}

test("Secrets Manager, Parameter Store and KMS through the v2 SDK", async () => {
  const sm = new AWS.SecretsManager(options);
  const name = `jsv2/${randomUUID().slice(0, 8)}`;
  const created = await sm.createSecret({ Name: name, SecretString: "v2-value" }).promise();
  assert.equal(created.Name, name);
  const got = await sm.getSecretValue({ SecretId: name }).promise();
  assert.equal(got.SecretString, "v2-value");
  assert.deepEqual(got.VersionStages, ["AWSCURRENT"]);
  assert.ok(got.CreatedDate instanceof Date);
  await sm.createSecret({ Name: `${name}-bin`, SecretBinary: Buffer.from([0, 1, 254, 255]) }).promise();
  const bin = await sm.getSecretValue({ SecretId: `${name}-bin` }).promise();
  assert.deepEqual([...bin.SecretBinary], [0, 1, 254, 255]);
  await expectError(sm.getSecretValue({ SecretId: `${name}-absent` }).promise(),
                    "ResourceNotFoundException", 400);

  const ssm = new AWS.SSM(options);
  const param = `/jsv2/${randomUUID().slice(0, 8)}/db`;
  await ssm.putParameter({ Name: param, Value: "s3cret", Type: "SecureString" }).promise();
  const p = await ssm.getParameter({ Name: param, WithDecryption: true }).promise();
  assert.equal(p.Parameter.Value, "s3cret");
  assert.equal(p.Parameter.Type, "SecureString");
  await expectError(ssm.getParameter({ Name: `${param}-absent` }).promise(), "ParameterNotFound", 400);

  const kms = new AWS.KMS(options);
  const key = await kms.createKey({ Description: "jsv2" }).promise();
  const enc = await kms.encrypt({ KeyId: key.KeyMetadata.KeyId, Plaintext: "hi", EncryptionContext: { a: "b" } }).promise();
  const dec = await kms.decrypt({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { a: "b" } }).promise();
  assert.equal(dec.Plaintext.toString(), "hi");
  assert.equal(dec.KeyId, key.KeyMetadata.Arn);
  await expectError(kms.decrypt({ CiphertextBlob: enc.CiphertextBlob }).promise(), "InvalidCiphertextException", 400);
});

test("STS and IAM (query protocol, XML) through the v2 SDK", async () => {
  const me = await new AWS.STS(options).getCallerIdentity({}).promise();
  assert.equal(me.Account, "123456789012");
  assert.equal(me.Arn, "arn:aws:iam::123456789012:root");
  const iam = new AWS.IAM(options);
  const user = `jsv2${randomUUID().slice(0, 8)}`;
  const created = await iam.createUser({ UserName: user }).promise();
  assert.equal(created.User.Arn, `arn:aws:iam::123456789012:user/${user}`);
  assert.ok(created.User.CreateDate instanceof Date);
  await expectError(iam.getUser({ UserName: `${user}-absent` }).promise(), "NoSuchEntity", 404);
  await expectError(iam.createUser({ UserName: user }).promise(), "EntityAlreadyExists", 409);
});
