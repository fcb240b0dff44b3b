-- Durable-write load for bench/scale-out: every request creates a new secret (CreateSecret,
-- unique name per thread and request) or adds a version to one of 512 secrets
-- (PutSecretValue). Dev-mode server: wrk cannot SigV4-sign each distinct request, and the
-- write path after authentication is the same.
local counter = 0
local prefix = "t"
local op = os.getenv("WRITE_OP") or "CreateSecret"
local run = os.getenv("WRITE_RUN") or "r"

-- Unique per wrk process (the warm-up and measured runs are separate processes, and LuaJIT's
-- math.random is not seeded) and per thread: the pid, then the thread's index.
local f = io.open("/proc/self/stat")
local pid = f and f:read("*n") or 0
if f then f:close() end
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", tostring(pid * 16 + threads))
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

-- A raw request must carry its own ClientRequestToken (SDKs generate one): unique per request.
local function token()
  return string.format("%08x-0000-4000-8000-%012x", tonumber(tid or "0") % 4294967296, counter)
end

request = function()
  counter = counter + 1
  local body
  if op == "CreateSecret" then
    body = '{"Name":"w/' .. prefix .. '/' .. counter .. '","SecretString":"value-' .. counter ..
           '","ClientRequestToken":"' .. token() .. '"}'
  else
    body = '{"SecretId":"w/put/' .. ((counter * 7 + tonumber(tid or "0")) % 512) .. '","SecretString":"value-' .. prefix .. '-' ..
           counter .. '","ClientRequestToken":"' .. token() .. '"}'
  end
  return wrk.format("POST", "/", headers, body)
end
