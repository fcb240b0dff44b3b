#include "seal/operator_api.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include "common/json.h"
#include "crypto/aead.h"

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

int HttpOf(const Status& st) {
  switch (st.code()) {
    case ErrorCode::kServiceUnavailable: return 503;
    case ErrorCode::kInvalidParameter: return 400;
    default: return 500;
  }
}

}  // namespace

std::string SealStatusJson(const SealStatus& s) {
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
  w.EndObject();
  return buf.GetString();
}

bool OperatorApi::Handle(const net::HttpRequest& req, net::HttpResponse& res) {
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
  std::string_view op = path.substr(kPrefix.size());
  if (req.method != "POST") {
    Error(res, 405, "MethodNotAllowed", "use POST");
    return true;
  }

  if (op == "unseal") {
    rapidjson::Document in;
    in.Parse(req.body.data(), req.body.size());
    if (!req.body.empty() && (in.HasParseError() || !in.IsObject())) {
      Error(res, 400, "SerializationException", "the body must be a JSON object");
      return true;
    }
    if (!req.body.empty() && in.HasMember("reset") && in["reset"].IsBool() && in["reset"].GetBool()) {
      seal_.ResetProgress();
      Json(res, 200, SealStatusJson(seal_.status()));
      return true;
    }
    std::string share;
    if (!req.body.empty() && in.HasMember("share") && in["share"].IsString()) {
      share.assign(in["share"].GetString(), in["share"].GetStringLength());
    }
    auto st = seal_.Unseal(share);
    crypto::SecureWipe(share);
    if (!st.ok()) {
      Error(res, HttpOf(st.status()), "UnsealFailed", st.status().message());
      return true;
    }
    Json(res, 200, SealStatusJson(*st));
    return true;
  }

  if (op != "seal" && op != "rotate-root") {
    Error(res, 404, "NotFound", "unknown operator endpoint");
    return true;
  }
  if (seal_.status().sealed) {
    Error(res, 503, "ServiceUnavailableException", "Arcana is sealed");
    return true;
  }
  services::CallContext ctx;
  Status auth = authn_.Authenticate(req, "arcana", ctx);
  if (!auth.ok()) {
    Error(res, 403, "AccessDeniedException", auth.message());
    return true;
  }
  const std::string& arn = ctx.principal_arn;
  if (arn.size() < 5 || arn.compare(arn.size() - 5, 5, ":root") != 0) {
    Error(res, 403, "AccessDeniedException", "only the account's root identity may do this");
    return true;
  }
  spdlog::warn("operator {} requested by {} from {}", op, ctx.access_key_id, req.remote_address);
  if (op == "seal") {
    Status st = seal_.Seal();
    if (!st.ok()) {
      Error(res, HttpOf(st), "SealFailed", st.message());
      return true;
    }
    Json(res, 200, SealStatusJson(seal_.status()));
    return true;
  }
  auto rep = seal_.RotateRoot();
  if (!rep.ok()) {
    Error(res, HttpOf(rep.status()), "RotationFailed", rep.status().message());
    return true;
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "old_root_key_id", rep->old_root_key_id);
  json::KV(w, "root_key_id", rep->new_root_key_id);
  w.Key("rewrapped");
  w.Uint64(rep->rewrapped);
  if (!rep->shares.empty()) {
    w.Key("shares");
    w.StartArray();
    for (const auto& s : rep->shares) json::WriteStr(w, s);
    w.EndArray();
  }
  w.EndObject();
  Json(res, 200, buf.GetString());
  return true;
}

}  // namespace arcana::seal
