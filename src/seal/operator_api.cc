#include "seal/operator_api.h"

#include <openssl/crypto.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include "common/json.h"
#include "crypto/aead.h"
#include "crypto/hash.h"

namespace arcana::seal {
namespace {

void Json(net::HttpResponse& res, int status, std::string body) {
  res.status = status;
  res.Set("Content-Type", "application/json");
  res.Set("Cache-Control", "no-store");
  res.body = std::move(body);
}

void Error(net::HttpResponse& res, int status, std::string_view code, std::string_view msg) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "error", code);
  json::KV(w, "message", msg);
  w.EndObject();
  Json(res, status, buf.GetString());
}

// The HTTP status and error name of a SealManager error.
void StatusError(net::HttpResponse& res, const Status& st, std::string_view fallback) {
  switch (st.code()) {
    case ErrorCode::kServiceUnavailable:
      return Error(res, 503, "ServiceUnavailableException", st.message());
    case ErrorCode::kInvalidParameter:
      return Error(res, 400, fallback, st.message());
    case ErrorCode::kConflict:
      return Error(res, 409, "NonceMismatch", st.message());
    default:
      return Error(res, 500, fallback, st.message());
  }
}

bool IsLoopbackAddress(std::string_view a) {
  if (a.rfind("::ffff:", 0) == 0) a.remove_prefix(7);  // IPv4-mapped
  return a == "::1" || a.rfind("127.", 0) == 0;
}

// A member of the body: "" when absent; false when present but not a string.
bool StrMember(const rapidjson::Document& in, const char* name, std::string* out) {
  auto it = in.FindMember(name);
  if (it == in.MemberEnd() || it->value.IsNull()) return true;
  if (!it->value.IsString()) return false;
  out->assign(it->value.GetString(), it->value.GetStringLength());
  return true;
}

bool BoolMember(const rapidjson::Document& in, const char* name) {
  auto it = in.FindMember(name);
  return it != in.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

// Overwrites a string member in the document's own buffer (it held a share).
void WipeMember(rapidjson::Document& in, const char* name) {
  auto it = in.FindMember(name);
  if (it != in.MemberEnd() && it->value.IsString()) {
    OPENSSL_cleanse(const_cast<char*>(it->value.GetString()), it->value.GetStringLength());
  }
}

std::string RotationJson(const RotationReport& rep) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "old_root_key_id", rep.old_root_key_id);
  json::KV(w, "root_key_id", rep.new_root_key_id);
  w.Key("rewrapped");
  w.Uint64(rep.rewrapped);
  if (!rep.warning.empty()) json::KV(w, "warning", rep.warning);
  if (!rep.shares.empty()) {
    w.Key("shares");
    w.StartArray();
    for (const auto& s : rep.shares) json::WriteStr(w, s);
    w.EndArray();
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string RekeyJson(const RekeyStatus& r) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "nonce", r.nonce);
  w.Key("threshold");
  w.Int(r.threshold);
  w.Key("progress");
  w.Int(r.progress);
  w.EndObject();
  return buf.GetString();
}

}  // namespace

bool CredentialTransportOk(bool tls, std::string_view remote_address) {
  return tls || IsLoopbackAddress(remote_address);
}

std::string SealStatusJson(const SealStatus& s, std::string_view nonce) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("sealed");
  w.Bool(s.sealed);
  json::KV(w, "type", s.type);
  if (s.type == "shamir") {
    w.Key("threshold");
    w.Int(s.threshold);
    w.Key("shares");
    w.Int(s.shares);
    w.Key("progress");
    w.Int(s.progress);
  }
  if (!s.root_key_id.empty()) json::KV(w, "root_key_id", s.root_key_id);
  if (!nonce.empty()) json::KV(w, "nonce", nonce);
  w.EndObject();
  return buf.GetString();
}

OperatorApi::OperatorApi(SealManager& seal, const auth::Authenticator& authn, OperatorOptions opts)
    : seal_(seal), authn_(authn), opts_(std::move(opts)), limiter_(opts_.limits) {
  if (!opts_.token.empty()) token_digest_ = crypto::Sha256(opts_.token);
  crypto::SecureWipe(opts_.token);
}

OperatorApi::~OperatorApi() { crypto::SecureWipe(token_digest_); }

bool OperatorApi::Authenticate(const net::HttpRequest& req, net::HttpResponse& res) {
  std::string_view token = req.Header(kOperatorTokenHeader);
  if (!token.empty()) {
    if (!CredentialTransportOk(opts_.tls, req.remote_address)) {
      Error(res, 403, "InsecureTransport",
            "the operator token is accepted only over TLS or from a loopback address");
      return false;
    }
    std::string digest = crypto::Sha256(token);
    bool ok = !token_digest_.empty() && crypto::ConstantTimeEquals(digest, token_digest_);
    if (!ok) {
      spdlog::warn("operator: invalid operator token from {}", req.remote_address);
      Error(res, 403, "AccessDeniedException", "the operator token is not valid");
      return false;
    }
    return true;
  }
  if (!req.Header("Authorization").empty()) {
    if (seal_.status().sealed) {
      // Access-key secrets are sealed under the root key: no signature can be checked.
      Error(res, 401, "MissingAuthenticationTokenException",
            "Arcana is sealed: only the operator token (X-Arcana-Operator-Token) authenticates "
            "operator requests until it is unsealed");
      return false;
    }
    services::CallContext ctx;
    Status auth = authn_.Authenticate(req, "arcana", ctx);
    if (!auth.ok()) {
      Error(res, 403, "AccessDeniedException", auth.message());
      return false;
    }
    // The exact ARN, not any ":root": every account has a root identity, and sealing or
    // rotating the root of trust stops or changes the server for all of them.
    if (opts_.account_id.empty() ||
        ctx.principal_arn != "arn:aws:iam::" + opts_.account_id + ":root") {
      spdlog::warn("operator: {} is not the root identity of this server's account; refused",
                   ctx.principal_arn);
      Error(res, 403, "AccessDeniedException",
            "only the root identity of this server's account (--account-id) or the operator "
            "token may do this");
      return false;
    }
    return true;
  }
  Error(res, 401, "MissingAuthenticationTokenException",
        "operator requests need the operator token (X-Arcana-Operator-Token) or a SigV4 "
        "signature by the root identity of this server's account");
  return false;
}

bool OperatorApi::Handle(net::HttpRequest& req, net::HttpResponse& res) {
  std::string_view path = req.Path();
  if (path == "/_arcana/seal-status") {
    if (req.method != "GET") {
      Error(res, 405, "MethodNotAllowed", "use GET");
      return true;
    }
    Json(res, 200, SealStatusJson(seal_.status()));
    return true;
  }
  constexpr std::string_view kPrefix = "/_arcana/operator/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return false;
  std::string op(path.substr(kPrefix.size()));
  if (op != "unseal" && op != "seal" && op != "rotate-root") {
    Error(res, 404, "NotFound", "unknown operator endpoint");
    return true;
  }
  if (req.method != "POST") {
    Error(res, 405, "MethodNotAllowed", "use POST");
    return true;
  }
  int retry_after = 1;
  if (!limiter_.Admit(req.remote_address, &retry_after)) {
    crypto::SecureWipe(req.body);  // it may hold a share
    res.Set("Retry-After", std::to_string(retry_after));
    Error(res, 429, "TooManyRequests",
          "too many operator requests; retry in " + std::to_string(retry_after) + " s");
    return true;
  }
  HandlePost(op, req, res);
  crypto::SecureWipe(req.body);
  if (opts_.on_action) opts_.on_action(op, req, res.status);
  if (res.status >= 400 && res.status < 500) {
    limiter_.Failed(req.remote_address);  // failures back off sooner than successes
    spdlog::warn("operator {} from {} refused: HTTP {}", op, req.remote_address, res.status);
  }
  return true;
}

void OperatorApi::HandlePost(std::string_view op, const net::HttpRequest& req,
                             net::HttpResponse& res) {
  if (req.body.size() > kMaxOperatorBody) {
    return Error(res, 413, "RequestEntityTooLarge",
                 "operator request bodies are limited to " + std::to_string(kMaxOperatorBody) +
                     " bytes");
  }
  rapidjson::Document in;
  if (req.body.empty()) {
    in.SetObject();
  } else if (Status st = json::ParseBounded(req.body, &in); !st.ok() || !in.IsObject()) {
    return Error(res, 400, "SerializationException",
                 st.ok() ? std::string("the body must be a JSON object")
                         : "the body must be a JSON object: " + st.message());
  }
  std::string share, nonce;
  const bool typed = StrMember(in, "share", &share) && StrMember(in, "nonce", &nonce);
  WipeMember(in, "share");
  struct Wipe {
    std::string& s;
    ~Wipe() { crypto::SecureWipe(s); }
  } wipe_share{share};
  if (!typed) {
    return Error(res, 400, "SerializationException", "\"share\" and \"nonce\" must be strings");
  }
  const SealStatus now = seal_.status();
  const bool shamir = now.type == "shamir";
  if (!share.empty() && !CredentialTransportOk(opts_.tls, req.remote_address)) {
    return Error(res, 403, "InsecureTransport",
                 "shares are accepted only over TLS or from a loopback address");
  }

  if (op == "unseal") {
    if (BoolMember(in, "reset")) {
      if (!Authenticate(req, res)) return;
      seal_.ResetProgress();
      spdlog::warn("operator: unseal progress reset from {}", req.remote_address);
      return Json(res, 200, SealStatusJson(seal_.status()));
    }
    if (shamir) {
      if (!now.sealed) return Json(res, 200, SealStatusJson(now));
      if (share.empty()) {
        return Error(res, 400, "UnsealFailed", "a Shamir server unseals with shares: {\"share\": ...}");
      }
    } else if (!Authenticate(req, res)) {
      return;  // key file / HSM: the unseal itself needs no secret, so it needs credentials
    }
    auto st = seal_.Unseal(share, nonce);
    if (!st.ok()) return StatusError(res, st.status(), "UnsealFailed");
    return Json(res, 200, SealStatusJson(st->status, st->nonce));
  }

  if (op == "seal") {
    if (!Authenticate(req, res)) return;
    spdlog::warn("operator: seal requested from {}", req.remote_address);
    Status st = seal_.Seal();
    if (!st.ok()) return StatusError(res, st, "SealFailed");
    return Json(res, 200, SealStatusJson(seal_.status()));
  }

  // rotate-root
  if (now.sealed) {
    return Error(res, 503, "ServiceUnavailableException", "Arcana is sealed");
  }
  if (shamir && !share.empty()) {
    auto st = seal_.RekeySubmit(share, nonce);
    if (!st.ok()) return StatusError(res, st.status(), "RotationFailed");
    if (!st->second) return Json(res, 200, RekeyJson(st->first));
    std::string body = RotationJson(*st->second);
    for (auto& s : st->second->shares) crypto::SecureWipe(s);
    return Json(res, 200, std::move(body));
  }
  if (!Authenticate(req, res)) return;
  spdlog::warn("operator: rotate-root requested from {}", req.remote_address);
  if (shamir) {
    if (BoolMember(in, "cancel")) {
      seal_.RekeyCancel();
      return Json(res, 200, R"({"cancelled":true})");
    }
    auto st = seal_.RekeyInit();
    if (!st.ok()) return StatusError(res, st.status(), "RotationFailed");
    return Json(res, 200, RekeyJson(*st));
  }
  auto rep = seal_.RotateRoot();
  if (!rep.ok() && rep.status().code() == ErrorCode::kConflict) {
    return Error(res, 409, "RotationInProgress", rep.status().message());  // on another node
  }
  if (!rep.ok()) return StatusError(res, rep.status(), "RotationFailed");
  return Json(res, 200, RotationJson(*rep));
}

}  // namespace arcana::seal
