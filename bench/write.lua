-- Durable-write load for bench/scale-out: every request creates a new secret (CreateSecret,
-- unique name per thread and request) or adds a version to one of 32 secrets
-- (PutSecretValue). Dev-mode server: wrk cannot SigV4-sign each distinct request, and the
-- write path after authentication is the same.
local counter = 0
local prefix = "t"
local op = os.getenv("WRITE_OP") or "CreateSecret"
local run = os.getenv("WRITE_RUN") or "r"

setup = function(thread)
  thread:set("tid", tostring(math.random(1, 1e9)))
end

init = function(args)
  prefix = run .. "-" .. (tid or "0")
end

local headers = {
  ["Content-Type"] = "application/x-amz-json-1.1",
  ["X-Amz-Target"] = "secretsmanager." .. op,
  ["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIADEVBENCH/20260101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
  ["X-Amz-Date"] = "20260101T000000Z",
}

request = function()
  counter = counter + 1
  local body
  if op == "CreateSecret" then
    body = '{"Name":"w/' .. prefix .. '/' .. counter .. '","SecretString":"value-' .. counter .. '"}'
  else
    body = '{"SecretId":"w/put/' .. (counter % 32) .. '","SecretString":"value-' .. prefix .. '-' .. counter .. '"}'
  end
  return wrk.format("POST", "/", headers, body)
end
