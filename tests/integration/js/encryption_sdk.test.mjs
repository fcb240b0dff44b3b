// The AWS Encryption SDK for JavaScript (@aws-crypto/client-node), a tool built on the AWS SDK's
// KMS client, against Arcana's KMS: its KMS keyring wraps each message's data key with
// GenerateDataKey (generator key) and Encrypt (each further key) and unwraps it with Decrypt,
// passing the message's encryption context (its signing public key included) each time.
//
// Run: ARCANA_ENDPOINT=http://127.0.0.1:PORT node --test tests/integration/js/
import { test } from "node:test";
import assert from "node:assert/strict";
import { KmsKeyringNode, buildClient, CommitmentPolicy, getClient } from "@aws-crypto/client-node";
import { KMS, CreateKeyCommand, DisableKeyCommand } from "@aws-sdk/client-kms";

const endpoint = process.env.ARCANA_ENDPOINT;
const credentials = { accessKeyId: "AKIDJSTEST0000000001", secretAccessKey: "js-secret" };
const kms = new KMS({ endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
const clientProvider = getClient(KMS, { endpoint, credentials, maxAttempts: 1 });
const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);

async function newKey(description) {
  return (await kms.send(new CreateKeyCommand({ Description: description }))).KeyMetadata;
}

test("a message encrypted under two KMS keys decrypts with either, and its context survives", async () => {
  const generator = await newKey("esdk generator");
  const second = await newKey("esdk second");
  const keyring = new KmsKeyringNode({ generatorKeyId: generator.Arn, keyIds: [second.Arn], clientProvider });
  const context = { tenant: "blue", purpose: "arcana-test" };
  const plaintext = Buffer.from("an envelope-encrypted message");

  const { result } = await encrypt(keyring, plaintext, { encryptionContext: context });
  assert.ok(!result.includes(plaintext));

  const both = await decrypt(keyring, result);
  assert.deepEqual(both.plaintext, plaintext);
  assert.equal(both.messageHeader.encryptedDataKeys.length, 2);
  assert.equal(both.messageHeader.encryptionContext.tenant, "blue");
  assert.equal(both.messageHeader.encryptionContext.purpose, "arcana-test");

  // The generator disabled: its Decrypt is refused (DisabledException), and the keyring
  // goes on to the copy of the data key that Encrypt wrapped under the second key.
  await kms.send(new DisableKeyCommand({ KeyId: generator.KeyId }));
  const viaSecond = await decrypt(keyring, result);
  assert.deepEqual(viaSecond.plaintext, plaintext);
  // A keyring that knows only the second key opens it too.
  const onlySecond = new KmsKeyringNode({ keyIds: [second.Arn], clientProvider });
  assert.deepEqual((await decrypt(onlySecond, result)).plaintext, plaintext);

  // A keyring naming neither key cannot open the message.
  const other = await newKey("esdk unrelated");
  await assert.rejects(decrypt(new KmsKeyringNode({ keyIds: [other.Arn], clientProvider }), result));
});
