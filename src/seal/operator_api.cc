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

// Adds "audit_warning" to the JSON object in res.body by splicing, not by parse and rewrite:
// the body may hold new shares, which a parsed copy would leave in buffers nobody wipes.
void AddAuditWarning(net::HttpResponse& res, std::string_view warning) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  json::WriteStr(w, warning);
  const size_t close = res.body.rfind('}');
  if (close == std::string::npos || close == 0) return;
  const bool empty_object = res.body[close - 1] == '{';  // our writer adds no whitespace
  std::string body;
  body.reserve(res.body.size() + buf.GetSize() + 20);
  body.append(res.body, 0, close);
  body += empty_object ? "\"audit_warning\":" : ",\"audit_warning\":";
  body.append(buf.GetString(), buf.GetSize());
  body.append(res.body, close);
  crypto::SecureWipe(res.body);
  res.body = std::move(body);
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
  const bool effect_to_report = HandlePost(op, req, res);
  crypto::SecureWipe(req.body);
  const int status = res.status;
  // The action's record is durable before its answer leaves, as an API call's is.
  Status recorded = opts_.on_action ? opts_.on_action(op, req, status) : Status::Ok();
  if (!recorded.ok()) {
    spdlog::error("audit: operator {} not recorded: {}", op, recorded.message());
    if (status >= 400) {
      // Refused: nothing changed, and the refusal says why better than the trail would.
    } else if (effect_to_report) {
      // A committed rotation's new shares are shown only in this answer, and a seal
      // happened: the caller learns what was done, and that the trail lacks it.
      AddAuditWarning(res, "the audit trail could not record this action: " +
                               recorded.message());
    } else {
      Error(res, 503, "ServiceUnavailableException",
            "The audit trail failed to record this operator action (it may have taken "
            "effect): " + recorded.message());
    }
  }
  if (status >= 400 && status < 500) {
    limiter_.Failed(req.remote_address);  // failures back off sooner than successes
    spdlog::warn("operator {} from {} refused: HTTP {}", op, req.remote_address, status);
  }
  return true;
}

bool OperatorApi::AuditAdmits(std::string_view op, const net::HttpRequest& req, bool may_rotate,
                              net::HttpResponse& res) {
  std::string why;
  if (opts_.audit_ready && !opts_.audit_ready()) {
    why = "the trail is failing";
  } else if (may_rotate && opts_.on_start) {
    // A rotation cannot be taken back once committed: its start is on record before it
    // runs, so that even if its final record fails the trail shows who rotated, and when.
    if (Status st = opts_.on_start(std::string(op), req); !st.ok()) why = st.message();
  }
  if (why.empty()) return true;
  Error(res, 503, "ServiceUnavailableException",
        "The audit trail cannot record operator actions right now, so this one was refused: " +
            why);
  return false;
}

bool OperatorApi::HandlePost(std::string_view op, const net::HttpRequest& req,
                             net::HttpResponse& res) {
  if (req.body.size() > kMaxOperatorBody) {
    Error(res, 413, "RequestEntityTooLarge",
          "operator request bodies are limited to " + std::to_string(kMaxOperatorBody) +
              " bytes");
    return false;
  }
  rapidjson::Document in;
  if (req.body.empty()) {
    in.SetObject();
  } else if (Status st = json::ParseBounded(req.body, &in); !st.ok() || !in.IsObject()) {
    Error(res, 400, "SerializationException",
          st.ok() ? std::string("the body must be a JSON object")
                  : "the body must be a JSON object: " + st.message());
    return false;
  }
  std::string share, nonce;
  const bool typed = StrMember(in, "share", &share) && StrMember(in, "nonce", &nonce);
  WipeMember(in, "share");
  struct Wipe {
    std::string& s;
    ~Wipe() { crypto::SecureWipe(s); }
  } wipe_share{share};
  if (!typed) {
    Error(res, 400, "SerializationException", "\"share\" and \"nonce\" must be strings");
    return false;
  }
  const SealStatus now = seal_.status();
  const bool shamir = now.type == "shamir";
  if (!share.empty() && !CredentialTransportOk(opts_.tls, req.remote_address)) {
    Error(res, 403, "InsecureTransport",
          "shares are accepted only over TLS or from a loopback address");
    return false;
  }

  if (op == "unseal") {
    if (BoolMember(in, "reset")) {
      if (!Authenticate(req, res) || !AuditAdmits(op, req, false, res)) return false;
      seal_.ResetProgress();
      spdlog::warn("operator: unseal progress reset from {}", req.remote_address);
      Json(res, 200, SealStatusJson(seal_.status()));
      return false;
    }
    if (shamir) {
      if (!now.sealed) {
        Json(res, 200, SealStatusJson(now));
        return false;
      }
      if (share.empty()) {
        Error(res, 400, "UnsealFailed", "a Shamir server unseals with shares: {\"share\": ...}");
        return false;
      }
    } else if (!Authenticate(req, res)) {
      return false;  // key file / HSM: the unseal itself needs no secret, so it needs credentials
    }
    // Unsealing completes a rotation a crash interrupted: it may rewrap keys, so it is
    // refused like any change the trail cannot show.
    if (!AuditAdmits(op, req, false, res)) return false;
    auto st = seal_.Unseal(share, nonce);
    if (!st.ok()) {
      StatusError(res, st.status(), "UnsealFailed");
      return false;
    }
    Json(res, 200, SealStatusJson(st->status, st->nonce));
    return false;
  }

  if (op == "seal") {
    if (!Authenticate(req, res)) return false;
    // Seal is not refused when the audit trail fails (unlike Vault, which refuses a seal it
    // cannot audit): it is the emergency stop, it only takes capability away (the root key
    // and everything derived from it leave memory, every call is refused), and a trail made
    // to fail - a filled disk - must not keep an operator from stopping a compromised
    // server. Its record is still attempted before the answer; when that fails the answer
    // says so (audit_warning) and the error is logged.
    spdlog::warn("operator: seal requested from {}", req.remote_address);
    Status st = seal_.Seal();
    if (!st.ok()) {
      StatusError(res, st, "SealFailed");
      return false;
    }
    Json(res, 200, SealStatusJson(seal_.status()));
    return true;
  }

  // rotate-root
  if (now.sealed) {
    Error(res, 503, "ServiceUnavailableException", "Arcana is sealed");
    return false;
  }
  if (shamir && !share.empty()) {
    // Any share may complete the quorum and run the rotation: its start is recorded first.
    if (!AuditAdmits(op, req, true, res)) return false;
    auto st = seal_.RekeySubmit(share, nonce);
    if (!st.ok()) {
      StatusError(res, st.status(), "RotationFailed");
      return false;
    }
    if (!st->second) {
      Json(res, 200, RekeyJson(st->first));
      return false;
    }
    std::string body = RotationJson(*st->second);
    for (auto& s : st->second->shares) crypto::SecureWipe(s);
    Json(res, 200, std::move(body));
    return true;  // the new shares are shown only here
  }
  if (!Authenticate(req, res)) return false;
  if (!AuditAdmits(op, req, !shamir, res)) return false;
  spdlog::warn("operator: rotate-root requested from {}", req.remote_address);
  if (shamir) {
    if (BoolMember(in, "cancel")) {
      seal_.RekeyCancel();
      Json(res, 200, R"({"cancelled":true})");
      return false;
    }
    auto st = seal_.RekeyInit();
    if (!st.ok()) {
      StatusError(res, st.status(), "RotationFailed");
      return false;
    }
    Json(res, 200, RekeyJson(*st));
    return false;
  }
  if (BoolMember(in, "cancel")) {
    // Only a Shamir rotation waits for shares and so can be cancelled; here a rotation is one
    // step, and running it for a request meant to stop one would rotate the key for good.
    Error(res, 400, "NothingToCancel",
          "only a Shamir root-key rotation can be cancelled; this store's root key is rotated "
          "in one step, so there is nothing to cancel");
    return false;
  }
  auto rep = seal_.RotateRoot();
  if (!rep.ok() && rep.status().code() == ErrorCode::kConflict) {
    Error(res, 409, "RotationInProgress", rep.status().message());  // on another node
    return false;
  }
  if (!rep.ok()) {
    StatusError(res, rep.status(), "RotationFailed");
    return false;
  }
  Json(res, 200, RotationJson(*rep));
  return true;  // committed: it is never dropped, whatever its record's fate
}

}  // namespace arcana::seal
