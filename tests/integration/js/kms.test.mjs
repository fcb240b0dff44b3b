// AWS SDK for JavaScript v3 against Arcana's KMS: the newer members Debian's boto3 lacks
// (RotateKeyOnDemand, EnableKeyRotation.RotationPeriodInDays, GetKeyRotationStatus extras,
// ListKeyRotations, CurrentKeyMaterialId / KeyMaterialId) plus blob and error mapping.
//
// Run: ARCANA_ENDPOINT=http://127.0.0.1:PORT node --test tests/integration/js/
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  KMSClient,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetKeyRotationStatusCommand,
  ListKeyRotationsCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  VerifyCommand,
  GetPublicKeyCommand,
} from "@aws-sdk/client-kms";
import { createPublicKey, verify as nodeVerify } from "node:crypto";

const endpoint = process.env.ARCANA_ENDPOINT;

function client(region = "us-east-1") {
  return new KMSClient({
    endpoint,
    region,
    credentials: { accessKeyId: "AKIDJSTEST0000000001", secretAccessKey: "js-secret" },
    maxAttempts: 1,
  });
}

async function expectError(promise, name, status) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.name, name, `expected ${name}, got ${err.name}: ${err.message}`);
    if (status) assert.equal(err.$metadata?.httpStatusCode, status);
    return true;
  });
}

test("rotation period, on-demand rotation and ListKeyRotations", async () => {
  const c = client();
  const { KeyMetadata: md } = await c.send(new CreateKeyCommand({ Description: "js rotation" }));
  assert.match(md.CurrentKeyMaterialId, /^[0-9a-f]{64}$/);
  assert.ok(md.CreationDate instanceof Date);
  const enc = new TextEncoder();
  const first = await c.send(new EncryptCommand({ KeyId: md.KeyId, Plaintext: enc.encode("before"),
                                                  EncryptionContext: { app: "js" } }));
  assert.equal(first.KeyId, md.Arn);

  await c.send(new EnableKeyRotationCommand({ KeyId: md.KeyId, RotationPeriodInDays: 180 }));
  const st = await c.send(new GetKeyRotationStatusCommand({ KeyId: md.KeyId }));
  assert.equal(st.KeyRotationEnabled, true);
  assert.equal(st.RotationPeriodInDays, 180);
  assert.ok(st.NextRotationDate instanceof Date);
  const days = (st.NextRotationDate - Date.now()) / 86400000;
  assert.ok(days > 179 && days <= 180, `NextRotationDate ${st.NextRotationDate}`);

  const rot = await c.send(new RotateKeyOnDemandCommand({ KeyId: md.KeyId }));
  assert.equal(rot.KeyId, md.Arn); // the key ARN, as AWS answers (test_kms_aws_recorded.py)
  const { KeyMetadata: after } = await c.send(new DescribeKeyCommand({ KeyId: md.KeyId }));
  assert.notEqual(after.CurrentKeyMaterialId, md.CurrentKeyMaterialId);

  const list = await c.send(new ListKeyRotationsCommand({ KeyId: md.KeyId }));
  assert.equal(list.Truncated, false);
  assert.equal(list.Rotations.length, 1);
  assert.equal(list.Rotations[0].RotationType, "ON_DEMAND");
  assert.equal(list.Rotations[0].KeyMaterialState, "CURRENT");
  assert.equal(list.Rotations[0].KeyMaterialId, after.CurrentKeyMaterialId);
  assert.ok(list.Rotations[0].RotationDate instanceof Date);
  const all = await c.send(new ListKeyRotationsCommand({ KeyId: md.KeyId, IncludeKeyMaterial: "ALL_KEY_MATERIAL" }));
  assert.equal(all.Rotations.length, 2);
  assert.equal(all.Rotations[0].KeyMaterialState, "NON_CURRENT");

  // The ciphertext from before the rotation still decrypts, with its material id.
  const dec = await c.send(new DecryptCommand({ CiphertextBlob: first.CiphertextBlob, EncryptionContext: { app: "js" } }));
  assert.equal(new TextDecoder().decode(dec.Plaintext), "before");
  assert.equal(dec.KeyMaterialId, md.CurrentKeyMaterialId);
  const gdk = await c.send(new GenerateDataKeyCommand({ KeyId: md.KeyId, KeySpec: "AES_256" }));
  assert.equal(gdk.Plaintext.length, 32);
  assert.equal(gdk.KeyMaterialId, after.CurrentKeyMaterialId);

  await expectError(c.send(new EnableKeyRotationCommand({ KeyId: md.KeyId, RotationPeriodInDays: 30 })),
                    "ValidationException", 400);
});

test("errors: codes and HTTP statuses (every KMS client error is 400)", async () => {
  const c = client();
  await expectError(c.send(new DescribeKeyCommand({ KeyId: "00000000-0000-4000-8000-000000000000" })),
                    "NotFoundException", 400);
  const { KeyMetadata: md } = await c.send(new CreateKeyCommand({}));
  await c.send(new DisableKeyCommand({ KeyId: md.KeyId }));
  await expectError(c.send(new RotateKeyOnDemandCommand({ KeyId: md.KeyId })), "DisabledException", 400);
  const { KeyMetadata: md2 } = await c.send(new CreateKeyCommand({}));
  await c.send(new ScheduleKeyDeletionCommand({ KeyId: md2.KeyId, PendingWindowInDays: 7 }));
  await expectError(c.send(new EncryptCommand({ KeyId: md2.KeyId, Plaintext: new Uint8Array([1]) })),
                    "KMSInvalidStateException", 400);
  await expectError(c.send(new EncryptCommand({ KeyId: md2.KeyId, Plaintext: new Uint8Array([1]), DryRun: true })),
                    "KMSInvalidStateException", 400);
  const { KeyMetadata: md3 } = await c.send(new CreateKeyCommand({}));
  await expectError(c.send(new EncryptCommand({ KeyId: md3.KeyId, Plaintext: new Uint8Array([1]), DryRun: true })),
                    "DryRunOperationException", 400);
});

test("sign in Arcana, verify with node:crypto", async () => {
  const c = client();
  const { KeyMetadata: md } = await c.send(new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }));
  const message = new TextEncoder().encode("signed for node");
  const { Signature } = await c.send(new SignCommand({ KeyId: md.KeyId, Message: message, SigningAlgorithm: "ECDSA_SHA_256" }));
  const { PublicKey } = await c.send(new GetPublicKeyCommand({ KeyId: md.KeyId }));
  const pub = createPublicKey({ key: Buffer.from(PublicKey), format: "der", type: "spki" });
  assert.equal(nodeVerify("sha256", message, pub, Buffer.from(Signature)), true);
  const v = await c.send(new VerifyCommand({ KeyId: md.KeyId, Message: message, Signature, SigningAlgorithm: "ECDSA_SHA_256" }));
  assert.equal(v.SignatureValid, true);
  await expectError(c.send(new VerifyCommand({ KeyId: md.KeyId, Message: new Uint8Array([1]), Signature,
                                               SigningAlgorithm: "ECDSA_SHA_256" })),
                    "KMSInvalidSignatureException", 400);
});
