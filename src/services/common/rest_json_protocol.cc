#include "services/common/rest_json_protocol.h"

#include <algorithm>
#include <charconv>

#include "auth/sigv4.h"
#include "common/json.h"
#include "crypto/base64.h"
#include "services/common/model_validator.h"

namespace arcana::services {
namespace {

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = path.starts_with('/') ? 1 : 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  while (!out.empty() && out.back().empty()) out.pop_back();  // a trailing slash
  return out;
}

Status BadParam(const std::string& name) {
  return Status(ErrorCode::kSerialization, "Could not parse the request parameter " + name);
}

}  // namespace

struct RestJsonProtocol::Impl {
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // "{Label}" / "{Label+}" for labels
    std::string operation;
  };
  rapidjson::Document model;
  const rapidjson::Value* shapes = nullptr;
  const rapidjson::Value* operations = nullptr;
  std::vector<Route> routes;

  const rapidjson::Value* Shape(std::string_view name) const {
    auto it = shapes->FindMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
    return it == shapes->MemberEnd() ? nullptr : &it->value;
  }
  const rapidjson::Value* Op(std::string_view name) const {
    auto it =
        operations->FindMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
    return it == operations->MemberEnd() ? nullptr : &it->value;
  }
  const rapidjson::Value* IoShape(std::string_view op, const char* which) const {
    const rapidjson::Value* o = Op(op);
    if (o == nullptr || !o->HasMember(which)) return nullptr;
    return Shape((*o)[which]["shape"].GetString());
  }
  std::string TypeOf(const rapidjson::Value& member) const {
    const rapidjson::Value* s = Shape(member["shape"].GetString());
    return s != nullptr && s->HasMember("type") ? (*s)["type"].GetString() : "string";
  }

  // A string from a URI label, query parameter or header as the member's type.
  Status Put(rapidjson::Document& doc, const char* name, const rapidjson::Value& member,
             std::string_view text) const {
    auto& a = doc.GetAllocator();
    rapidjson::Value key(name, a);
    const std::string type = TypeOf(member);
    if (type == "integer" || type == "long") {
      int64_t n = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec != std::errc() || end != text.data() + text.size()) return BadParam(name);
      doc.AddMember(key, rapidjson::Value(n), a);
    } else if (type == "boolean") {
      if (text != "true" && text != "false") return BadParam(name);
      doc.AddMember(key, rapidjson::Value(text == "true"), a);
    } else {
      doc.AddMember(key, rapidjson::Value(text.data(), static_cast<rapidjson::SizeType>(text.size()), a), a);
    }
    return Status::Ok();
  }
};

RestJsonProtocol::RestJsonProtocol(std::string_view model_name, std::vector<std::string> served)
    : impl_(std::make_unique<Impl>()) {
  LoadEmbeddedModel(model_name, &impl_->model);
  impl_->shapes = &impl_->model["shapes"];
  impl_->operations = &impl_->model["operations"];
  auto add = [this](const std::string& op, const rapidjson::Value& o) {
    std::string uri = o["http"]["requestUri"].GetString();
    uri = uri.substr(0, uri.find('?'));
    Impl::Route r{o["http"]["method"].GetString(), {}, op};
    for (auto seg : Segments(uri)) r.segments.emplace_back(seg);
    impl_->routes.push_back(std::move(r));
  };
  for (const auto& op : served) {
    const rapidjson::Value* o = impl_->Op(op);
    if (o == nullptr) std::abort();  // a served operation the model lacks: a build defect
    add(op, *o);
  }
  // Every other operation of the model is routed too (after the served ones, which win a
  // path both match), so that a call this server does not serve reaches the service and
  // is answered in the service's own error shape as the operation it is (the service
  // refuses it as unsupported), not as an unknown path of no service.
  for (auto it = impl_->operations->MemberBegin(); it != impl_->operations->MemberEnd(); ++it) {
    std::string op(it->name.GetString(), it->name.GetStringLength());
    if (std::find(served.begin(), served.end(), op) != served.end()) continue;
    if (!it->value.HasMember("http")) continue;
    // A requestUri with a fixed query ("/layers?find=LayerVersion") shares its path with
    // another operation; the router matches paths only, so such a route would shadow it.
    if (std::string_view(it->value["http"]["requestUri"].GetString()).find('?') !=
        std::string_view::npos) {
      continue;
    }
    add(op, it->value);
  }
}

RestJsonProtocol::~RestJsonProtocol() = default;

std::optional<RestRoute> RestJsonProtocol::Match(std::string_view method,
                                                 std::string_view path) const {
  const auto segs = Segments(path);
  for (const auto& r : impl_->routes) {
    if (r.method != method) continue;
    RestRoute out{r.operation, {}};
    bool ok = true;
    size_t i = 0;
    for (; ok && i < r.segments.size(); ++i) {
      const std::string& want = r.segments[i];
      const bool label = want.size() > 2 && want.front() == '{' && want.back() == '}';
      if (!label) {
        ok = i < segs.size() && segs[i] == want;
        continue;
      }
      const bool greedy = want[want.size() - 2] == '+';
      std::string name = want.substr(1, want.size() - (greedy ? 3 : 2));
      if (i >= segs.size() || segs[i].empty()) {
        ok = false;
      } else if (greedy) {
        std::string rest(segs[i]);
        for (size_t j = i + 1; j < segs.size(); ++j) rest += "/" + std::string(segs[j]);
        out.labels[name] = auth::UriDecode(rest);
        i = segs.size();
        break;
      } else {
        out.labels[name] = auth::UriDecode(segs[i]);
      }
    }
    if (ok && i == std::max(segs.size(), r.segments.size())) return out;
  }
  return std::nullopt;
}

Status RestJsonProtocol::Decode(const RestRoute& route, const RestRequest& req,
                                rapidjson::Document* out) const {
  out->SetObject();
  if (req.query.size() > kMaxQueryParams) {
    return Status(ErrorCode::kSerialization, "Too many query string parameters");
  }
  const rapidjson::Value* shape = impl_->IoShape(route.operation, "input");
  if (shape == nullptr) return Status::Ok();
  const rapidjson::Value& members = (*shape)["members"];
  const char* payload = shape->HasMember("payload") ? (*shape)["payload"].GetString() : nullptr;
  auto& a = out->GetAllocator();
  if (payload != nullptr) {
    if (impl_->TypeOf(members[payload]) == "blob") {
      if (!req.body.empty()) {
        std::string b64 = crypto::Base64Encode(req.body);
        out->AddMember(rapidjson::Value(payload, a), rapidjson::Value(b64.c_str(), static_cast<rapidjson::SizeType>(b64.size()), a), a);
      }
    } else if (!req.body.empty()) {
      rapidjson::Document body;
      if (!json::ParseBounded(req.body, &body).ok()) {
        return Status(ErrorCode::kSerialization, "Could not parse request body into json");
      }
      out->AddMember(rapidjson::Value(payload, a), rapidjson::Value(body, a), a);
    }
  } else if (!req.body.empty()) {
    rapidjson::Document body;
    if (!json::ParseBounded(req.body, &body).ok() || !body.IsObject()) {
      return Status(ErrorCode::kSerialization, "Could not parse request body into json");
    }
    for (auto it = body.MemberBegin(); it != body.MemberEnd(); ++it) {
      // A member that travels elsewhere (path, query, header) is never taken from the body.
      auto m = members.FindMember(it->name);
      if (m != members.MemberEnd() && m->value.HasMember("location")) continue;
      out->AddMember(rapidjson::Value(it->name, a), rapidjson::Value(it->value, a), a);
    }
  }
  for (auto m = members.MemberBegin(); m != members.MemberEnd(); ++m) {
    if (!m->value.HasMember("location")) continue;
    const std::string_view where = m->value["location"].GetString();
    const char* name = m->name.GetString();
    const std::string wire =
        m->value.HasMember("locationName") ? m->value["locationName"].GetString() : name;
    std::optional<std::string> text;
    if (where == "uri") {
      auto l = route.labels.find(wire);
      if (l != route.labels.end()) text = l->second;
    } else if (where == "querystring") {
      for (const auto& [k, v] : req.query) {
        if (k == wire) text = v;  // the last one wins
      }
    } else if (where == "header") {
      std::string_view h = req.header(wire);
      if (!h.empty()) text = std::string(h);
    }
    if (text) ARCANA_RETURN_IF_ERROR(impl_->Put(*out, name, m->value, *text));
  }
  return Status::Ok();
}

Status RestJsonProtocol::EncodeResponse(std::string_view operation, std::string_view text,
                                        RestResponse* out) const {
  const rapidjson::Value* op = impl_->Op(operation);
  if (op != nullptr && (*op)["http"].HasMember("responseCode")) {
    out->status = (*op)["http"]["responseCode"].GetInt();
  }
  rapidjson::Document doc;
  if (text.empty()) text = "{}";
  if (!json::ParseBounded(text, &doc).ok() || !doc.IsObject()) {
    return Status(ErrorCode::kInternalFailure, "the handler's answer is not a JSON object");
  }
  const rapidjson::Value* shape = impl_->IoShape(operation, "output");
  const rapidjson::Value* members = shape != nullptr ? &(*shape)["members"] : nullptr;
  const char* payload =
      shape != nullptr && shape->HasMember("payload") ? (*shape)["payload"].GetString() : nullptr;
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  bool raw_payload = false;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    const char* name = it->name.GetString();
    auto m = members != nullptr ? members->FindMember(it->name) : rapidjson::Value::ConstMemberIterator();
    const bool modelled = members != nullptr && m != members->MemberEnd();
    const std::string_view where =
        modelled && m->value.HasMember("location") ? m->value["location"].GetString() : "";
    if (where == "statusCode" && it->value.IsInt()) {
      out->status = it->value.GetInt();
    } else if (where == "header") {
      std::string wire = m->value.HasMember("locationName") ? m->value["locationName"].GetString() : name;
      std::string value = it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                          : it->value.IsInt64() ? std::to_string(it->value.GetInt64())
                                                : std::string();
      out->headers.emplace_back(std::move(wire), std::move(value));
    } else if (payload != nullptr && std::string_view(name) == payload && it->value.IsString() &&
               impl_->TypeOf(m->value) == "blob") {
      auto raw = crypto::Base64Decode(std::string_view(it->value.GetString(), it->value.GetStringLength()));
      if (!raw) return Status(ErrorCode::kInternalFailure, "the handler's payload is not base64");
      out->body = std::move(*raw);
      raw_payload = true;
    } else {
      w.Key(name, it->name.GetStringLength());
      it->value.Accept(w);
    }
  }
  w.EndObject();
  if (!raw_payload && out->status != 204) out->body = json::Finish(buf);
  return Status::Ok();
}

std::string RestJsonProtocol::MemberPattern(std::string_view operation,
                                            std::string_view member) const {
  const rapidjson::Value* input = impl_->IoShape(operation, "input");
  if (input == nullptr || !input->HasMember("members")) return "";
  const auto& members = (*input)["members"];
  auto m = members.FindMember(
      rapidjson::Value(rapidjson::StringRef(member.data(), member.size())));
  if (m == members.MemberEnd()) return "";
  const rapidjson::Value* shape = impl_->Shape(m->value["shape"].GetString());
  if (shape == nullptr || !shape->HasMember("pattern")) return "";
  return (*shape)["pattern"].GetString();
}

RestResponse RestJsonProtocol::EncodeError(const RestWireError& wire,
                                           const std::string& message) const {
  RestResponse out;
  out.status = wire.http_status;
  out.headers.emplace_back("X-Amzn-ErrorType", wire.type);
  if (!wire.retry_after.empty()) out.headers.emplace_back("Retry-After", wire.retry_after);
  bool upper = true, lower = true;
  if (const rapidjson::Value* shape = impl_->Shape(wire.type);
      shape != nullptr && shape->HasMember("members")) {
    upper = (*shape)["members"].HasMember("Message");
    lower = (*shape)["members"].HasMember("message");
    if (!upper && !lower) upper = lower = true;
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "Type", wire.sender ? "User" : "Service");
  if (upper) json::KV(w, "Message", message);
  if (lower) json::KV(w, "message", message);
  if (!wire.reason.empty()) json::KV(w, "Reason", wire.reason);
  w.EndObject();
  out.body = json::Finish(buf);
  return out;
}

}  // namespace arcana::services
