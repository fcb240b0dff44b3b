// AWS SDK for JavaScript v3 against Arcana's IAM and STS: the query protocol (form-encoded
// requests, XML answers and XML errors with their HTTP statuses) through the JS SDK's own
// parsers, temporary credentials from AssumeRole used by another client, and
// AssumeRoleWithWebIdentity sent unsigned with its refusals as typed exceptions, and outbound
// identity federation (the IAM switch, STS GetWebIdentityToken) with the SDK's own commands.
//
// Run: ARCANA_ENDPOINT=http://127.0.0.1:PORT node --test tests/integration/js/, against a server
// whose root key pair is AKIDJSTEST0000000001 / js-secret (tests/integration/run.sh starts one):
// the role's identity below needs a server that verifies signatures.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey, randomUUID, verify } from "node:crypto";
import {
  IAMClient,
  CreateAccessKeyCommand,
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DisableOutboundWebIdentityFederationCommand,
  EnableOutboundWebIdentityFederationCommand,
  GetOutboundWebIdentityFederationInfoCommand,
  DeleteUserCommand,
  GetRoleCommand,
  GetUserCommand,
  ListAccessKeysCommand,
  ListUsersCommand,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import {
  STSClient,
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  GetCallerIdentityCommand,
  GetWebIdentityTokenCommand,
} from "@aws-sdk/client-sts";
import { SecretsManagerClient, CreateSecretCommand, GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";

const endpoint = process.env.ARCANA_ENDPOINT;
const rootCredentials = { accessKeyId: "AKIDJSTEST0000000001", secretAccessKey: "js-secret" };
const iam = new IAMClient({ endpoint, region: "us-east-1", credentials: rootCredentials, maxAttempts: 1 });
const sts = new STSClient({ endpoint, region: "us-east-1", credentials: rootCredentials, maxAttempts: 1 });

function uniq(prefix) {
  return `${prefix}${randomUUID().slice(0, 8)}`;
}

async function expectError(promise, name, status) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.name, name, `expected ${name}, got ${err.name}: ${err.message}`);
    assert.equal(err.$metadata?.httpStatusCode, status);
    return true;
  });
}

test("users and access keys: XML answers become JS objects, XML errors become typed exceptions", async () => {
  const name = uniq("jsuser");
  const created = await iam.send(new CreateUserCommand({
    UserName: name, Path: "/js/", Tags: [{ Key: "team", Value: "blue" }],
  }));
  assert.equal(created.User.UserName, name);
  assert.equal(created.User.Path, "/js/");
  assert.equal(created.User.Arn, `arn:aws:iam::123456789012:user/js/${name}`);
  assert.match(created.User.UserId, /^AIDA[A-Z0-9]{17}$/);
  assert.ok(created.User.CreateDate instanceof Date);
  assert.deepEqual(created.User.Tags, [{ Key: "team", Value: "blue" }]);

  const got = await iam.send(new GetUserCommand({ UserName: name }));
  assert.equal(got.User.UserId, created.User.UserId);

  await expectError(iam.send(new CreateUserCommand({ UserName: name })), "EntityAlreadyExistsException", 409);
  await expectError(iam.send(new GetUserCommand({ UserName: uniq("absent") })), "NoSuchEntityException", 404);

  const key = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  assert.match(key.AccessKey.AccessKeyId, /^AKIA[A-Z0-9]{16}$/);
  assert.equal(key.AccessKey.Status, "Active");
  assert.equal(key.AccessKey.SecretAccessKey.length, 40);
  const keys = await iam.send(new ListAccessKeysCommand({ UserName: name }));
  assert.deepEqual(keys.AccessKeyMetadata.map((k) => k.AccessKeyId), [key.AccessKey.AccessKeyId]);
  assert.equal(keys.IsTruncated, false);
  assert.equal(keys.AccessKeyMetadata[0].SecretAccessKey, undefined);

  // IAM refuses to delete a user who still has access keys.
  await expectError(iam.send(new DeleteUserCommand({ UserName: name })), "DeleteConflictException", 409);
  await iam.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: key.AccessKey.AccessKeyId }));
  await iam.send(new DeleteUserCommand({ UserName: name }));
  await expectError(iam.send(new GetUserCommand({ UserName: name })), "NoSuchEntityException", 404);
});

test("ListUsers pages with Marker and IsTruncated", async () => {
  const path = `/${uniq("page")}/`;
  const names = [];
  for (let i = 0; i < 3; i++) {
    const n = uniq(`p${i}`);
    names.push(n);
    await iam.send(new CreateUserCommand({ UserName: n, Path: path }));
  }
  const seen = [];
  let marker;
  let pages = 0;
  do {
    const page = await iam.send(new ListUsersCommand({ PathPrefix: path, MaxItems: 2, Marker: marker }));
    seen.push(...page.Users.map((u) => u.UserName));
    assert.equal(page.IsTruncated, page.Marker !== undefined);
    marker = page.Marker;
    pages++;
  } while (marker);
  assert.equal(pages, 2);
  assert.deepEqual(seen.sort(), [...names].sort());
});

test("AssumeRole: the temporary credentials sign other services' calls as the role", async () => {
  const role = uniq("jsrole");
  const trust = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "sts:AssumeRole" }],
  };
  const created = await iam.send(new CreateRoleCommand({
    RoleName: role, AssumeRolePolicyDocument: JSON.stringify(trust), MaxSessionDuration: 7200,
  }));
  assert.equal(created.Role.Arn, `arn:aws:iam::123456789012:role/${role}`);
  // CreateRole answers no MaxSessionDuration (as AWS recorded it); GetRole does.
  assert.equal(created.Role.MaxSessionDuration, undefined);
  // IAM answers policy documents URL-encoded, as AWS does.
  const fetched = await iam.send(new GetRoleCommand({ RoleName: role }));
  assert.equal(fetched.Role.MaxSessionDuration, 7200);
  assert.deepEqual(JSON.parse(decodeURIComponent(fetched.Role.AssumeRolePolicyDocument)), trust);
  await iam.send(new PutRolePolicyCommand({
    RoleName: role, PolicyName: "read",
    PolicyDocument: JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["secretsmanager:*"], Resource: "*" }],
    }),
  }));

  const me = await sts.send(new GetCallerIdentityCommand({}));
  assert.equal(me.Account, "123456789012");

  const assumed = await sts.send(new AssumeRoleCommand({
    RoleArn: created.Role.Arn, RoleSessionName: "js-session", DurationSeconds: 900,
  }));
  const c = assumed.Credentials;
  assert.match(c.AccessKeyId, /^ASIA[A-Z0-9]{16}$/);
  assert.ok(c.SessionToken.length > 0);
  assert.ok(c.Expiration instanceof Date);
  const ttl = c.Expiration.getTime() - Date.now();
  assert.ok(ttl > 800_000 && ttl <= 905_000, `expiration ${c.Expiration.toISOString()}`);
  assert.equal(assumed.AssumedRoleUser.Arn, `arn:aws:sts::123456789012:assumed-role/${role}/js-session`);
  assert.equal(assumed.AssumedRoleUser.AssumedRoleId, `${created.Role.RoleId}:js-session`);

  const asRole = {
    accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken,
  };
  const whoami = await new STSClient({ endpoint, region: "us-east-1", credentials: asRole, maxAttempts: 1 })
    .send(new GetCallerIdentityCommand({}));
  assert.equal(whoami.Arn, assumed.AssumedRoleUser.Arn);
  assert.equal(whoami.UserId, assumed.AssumedRoleUser.AssumedRoleId);

  const sm = new SecretsManagerClient({ endpoint, region: "us-east-1", credentials: asRole, maxAttempts: 1 });
  const name = `${uniq("jsrole")}/secret`;
  await sm.send(new CreateSecretCommand({ Name: name, SecretString: "from-a-role", ClientRequestToken: randomUUID() }));
  const v = await sm.send(new GetSecretValueCommand({ SecretId: name }));
  assert.equal(v.SecretString, "from-a-role");
});

// A JWT with the given claims and a signature that verifies nothing: the refusals below all
// come before any key is fetched, so no issuer needs to be reachable.
function fakeJwt(claims) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${b64({ alg: "RS256", kid: "k" })}.${b64(claims)}.${Buffer.from("sig").toString("base64url")}`;
}

test("AssumeRoleWithWebIdentity: sent unsigned by the SDK, its refusals are typed exceptions", async () => {
  const issuer = `https://${uniq("issuer")}.js.example`;
  await iam.send(new CreateOpenIDConnectProviderCommand({
    Url: issuer, ClientIDList: ["sts.amazonaws.com"], ThumbprintList: ["a".repeat(40)],
  }));
  const role = await iam.send(new CreateRoleCommand({
    RoleName: uniq("jsweb"),
    AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{
      Effect: "Allow", Action: "sts:AssumeRoleWithWebIdentity",
      Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${issuer.slice(8)}` } }] }),
  }));
  // Credentials the server does not know: the operation is not signed, so they do not matter.
  const anon = new STSClient({ endpoint, region: "us-east-1", maxAttempts: 1,
    credentials: { accessKeyId: "AKIANOTAKNOWNKEY0000", secretAccessKey: "nothing" } });
  const now = Math.floor(Date.now() / 1000);
  const call = (claims) => anon.send(new AssumeRoleWithWebIdentityCommand({
    RoleArn: role.Role.Arn, RoleSessionName: "js", WebIdentityToken: fakeJwt(claims) }));
  await assert.rejects(call({ iss: "https://nobody.example", sub: "s", aud: "sts.amazonaws.com", exp: now + 60 }),
    (err) => {
      assert.equal(err.name, "InvalidIdentityTokenException");
      assert.equal(err.$metadata?.httpStatusCode, 400);
      assert.equal(err.message, "No OpenIDConnect provider found in your account for https://nobody.example");
      return true;
    });
  await assert.rejects(call({ iss: issuer, sub: "s", aud: "someone-else", exp: now + 60 }),
    (err) => err.name === "InvalidIdentityTokenException" && err.message === "Incorrect token audience");
  await expectError(call({ iss: issuer, sub: "s", aud: "sts.amazonaws.com", exp: now - 60 }),
    "ExpiredTokenException", 400);
});

test("outbound identity federation: the switch's typed errors, a token that verifies with the published key", async () => {
  try {
    await iam.send(new DisableOutboundWebIdentityFederationCommand({}));
  } catch (err) {
    assert.equal(err.name, "FeatureDisabledException");
  }
  await expectError(sts.send(new GetWebIdentityTokenCommand({ Audience: ["https://js"], SigningAlgorithm: "ES384" })),
    "OutboundWebIdentityFederationDisabledException", 403);
  await expectError(iam.send(new GetOutboundWebIdentityFederationInfoCommand({})), "FeatureDisabledException", 404);
  const { IssuerIdentifier: issuer } = await iam.send(new EnableOutboundWebIdentityFederationCommand({}));
  try {
    await expectError(iam.send(new EnableOutboundWebIdentityFederationCommand({})), "FeatureEnabledException", 409);
    const info = await iam.send(new GetOutboundWebIdentityFederationInfoCommand({}));
    assert.equal(info.IssuerIdentifier, issuer);
    assert.equal(info.JwtVendingEnabled, true);
    for (const alg of ["ES384", "RS256"]) {
      const out = await sts.send(new GetWebIdentityTokenCommand({
        Audience: ["https://js"], SigningAlgorithm: alg, DurationSeconds: 120, Tags: [{ Key: "k", Value: "v" }],
      }));
      assert.ok(out.Expiration instanceof Date);
      const [h, p, s] = out.WebIdentityToken.split(".");
      const header = JSON.parse(Buffer.from(h, "base64url"));
      const claims = JSON.parse(Buffer.from(p, "base64url"));
      const { keys } = await (await fetch(`${issuer}/.well-known/jwks.json`)).json();
      const jwk = keys.find((k) => k.kid === header.kid);
      const ok = verify(alg === "RS256" ? "sha256" : "sha384", Buffer.from(`${h}.${p}`),
        { key: createPublicKey({ key: jwk, format: "jwk" }), dsaEncoding: "ieee-p1363" },
        Buffer.from(s, "base64url"));
      assert.ok(ok, `${alg} signature`);
      assert.equal(claims.iss, issuer);
      assert.equal(claims.aud, "https://js");
      assert.equal(claims.sub, "arn:aws:iam::123456789012:root");
      assert.equal(claims.exp - claims.iat, 120);
      assert.equal(Math.round(out.Expiration.getTime() / 1000), claims.exp);
      assert.deepEqual(claims["https://sts.amazonaws.com/"].request_tags, { k: "v" });
    }
  } finally {
    await iam.send(new DisableOutboundWebIdentityFederationCommand({}));
  }
});
