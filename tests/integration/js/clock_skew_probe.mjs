// Not a node --test file: tests/integration/test_http_date.py runs it against a server that
// verifies signatures (the dev server does not check a request's time). It signs with a clock
// ARCANA_SKEW_MS off and prints what came back, as one JSON line.
import { SecretsManagerClient, ListSecretsCommand } from "@aws-sdk/client-secrets-manager";

const skew = Number(process.env.ARCANA_SKEW_MS);
const sm = new SecretsManagerClient({
  endpoint: process.env.ARCANA_ENDPOINT,
  region: "us-east-1",
  credentials: {
    accessKeyId: process.env.ARCANA_AKID,
    secretAccessKey: process.env.ARCANA_SECRET,
  },
  systemClockOffset: skew,
  maxAttempts: Number(process.env.ARCANA_MAX_ATTEMPTS ?? "3"),
});
try {
  const r = await sm.send(new ListSecretsCommand({}));
  console.log(JSON.stringify({ ok: true, attempts: r.$metadata.attempts,
                               offsetMs: sm.config.systemClockOffset }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, name: e.name, message: e.message,
                               attempts: e.$metadata?.attempts,
                               offsetMs: sm.config.systemClockOffset }));
}
