#include "storage/identity_codec.h"

#include <charconv>

#include "common/json.h"

namespace arcana::storage {
namespace {

using domain::iam::Identity;
using domain::iam::ManagedPolicy;
using domain::iam::Session;
using domain::iam::Tags;

Status Corrupt(const std::string& what) {
  return Status(ErrorCode::kInternalServiceError, "stored " + what + " is corrupt");
}

void WriteTags(json::Writer& w, const Tags& tags) {
  w.Key("tags");
  w.StartArray();
  for (const auto& [k, v] : tags) {
    w.StartArray();
    json::WriteStr(w, k);
    json::WriteStr(w, v);
    w.EndArray();
  }
  w.EndArray();
}

Tags ReadTags(const rapidjson::Value& o) {
  Tags out;
  auto it = o.FindMember("tags");
  if (it == o.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& t : it->value.GetArray()) {
    if (t.IsArray() && t.Size() == 2 && t[0].IsString() && t[1].IsString()) {
      out.emplace_back(t[0].GetString(), t[1].GetString());
    }
  }
  return out;
}

std::vector<std::string> ReadStrings(const rapidjson::Value& o, const char* key) {
  std::vector<std::string> out;
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& s : it->value.GetArray()) {
    if (s.IsString()) out.emplace_back(s.GetString(), s.GetStringLength());
  }
  return out;
}

Result<rapidjson::Document> Parse(const std::string& doc, const std::string& what) {
  rapidjson::Document d;
  if (!json::ParseBounded(doc, &d).ok() || !d.IsObject()) return Corrupt(what);
  return d;
}

// The members a user's SSH key and signing certificate share.
void WriteUploaded(json::Writer& w, const std::string& id, const std::string& body,
                   const std::string& status, int64_t uploaded_ms) {
  json::KV(w, "id", id);
  json::KV(w, "body", body);
  json::KV(w, "status", status);
  w.Key("uploaded_ms");
  w.Int64(uploaded_ms);
}

}  // namespace

IamEntity ToEntity(const Identity& i) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  WriteTags(w, i.tags);
  w.Key("inline");
  w.StartObject();
  for (const auto& [name, doc] : i.inline_policies) json::KV(w, name.c_str(), doc);
  w.EndObject();
  w.Key("attached");
  json::WriteStringList(w, i.attached);
  json::KV(w, "boundary", i.boundary_arn);
  w.Key("groups");
  json::WriteStringList(w, i.groups);
  json::KV(w, "trust", i.trust_policy);
  if (!i.bound_trust_policy.empty()) {
    json::KV(w, "trust_bound", i.bound_trust_policy);
    w.Key("trust_ids");
    w.StartObject();
    for (const auto& [arn, id] : i.trust_principal_ids) json::KV(w, arn.c_str(), id);
    w.EndObject();
  }
  json::KV(w, "description", i.description);
  w.Key("max_session");
  w.Int64(i.max_session_duration);
  if (!i.mfa_devices.empty()) {
    w.Key("mfa");
    json::WriteStringList(w, i.mfa_devices);
  }
  if (!i.instance_profiles.empty()) {
    w.Key("profiles");
    json::WriteStringList(w, i.instance_profiles);
  }
  if (i.login) {
    w.Key("login");
    w.StartObject();
    w.Key("created_ms");
    w.Int64(i.login->created_ms);
    w.Key("changed_ms");
    w.Int64(i.login->changed_ms);
    w.Key("reset");
    w.Bool(i.login->reset_required);
    json::KV(w, "hash", i.login->password_hash);
    w.Key("history");
    json::WriteStringList(w, i.login->previous_hashes);
    w.EndObject();
  }
  if (!i.ssh_keys.empty()) {
    w.Key("ssh_keys");
    w.StartArray();
    for (const auto& k : i.ssh_keys) {
      w.StartObject();
      WriteUploaded(w, k.id, k.body, k.status, k.uploaded_ms);
      json::KV(w, "fingerprint", k.fingerprint);
      json::KV(w, "pem", k.pem);
      w.EndObject();
    }
    w.EndArray();
  }
  if (!i.certificates.empty()) {
    w.Key("certificates");
    w.StartArray();
    for (const auto& c : i.certificates) {
      w.StartObject();
      WriteUploaded(w, c.id, c.body, c.status, c.uploaded_ms);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  return {i.account, i.kind, i.name, i.id, i.path, json::Finish(buf), i.created_ms, i.revision};
}

Result<Identity> IdentityFromEntity(const IamEntity& e) {
  ARCANA_ASSIGN_OR_RETURN(auto d, Parse(e.doc, e.kind));
  Identity i;
  i.account = e.account;
  i.kind = e.kind;
  i.name = e.name;
  i.path = e.path;
  i.id = e.id;
  i.created_ms = e.created_ms;
  i.revision = e.revision;
  i.tags = ReadTags(d);
  if (auto it = d.FindMember("inline"); it != d.MemberEnd() && it->value.IsObject()) {
    for (auto m = it->value.MemberBegin(); m != it->value.MemberEnd(); ++m) {
      if (m->value.IsString()) i.inline_policies[m->name.GetString()] = m->value.GetString();
    }
  }
  i.attached = ReadStrings(d, "attached");
  i.boundary_arn = json::StrField(d, "boundary");
  i.groups = ReadStrings(d, "groups");
  i.trust_policy = json::StrField(d, "trust");
  i.bound_trust_policy = json::StrField(d, "trust_bound");
  if (auto it = d.FindMember("trust_ids"); it != d.MemberEnd() && it->value.IsObject()) {
    for (auto m = it->value.MemberBegin(); m != it->value.MemberEnd(); ++m) {
      if (m->value.IsString()) i.trust_principal_ids[m->name.GetString()] = m->value.GetString();
    }
  }
  i.description = json::StrField(d, "description");
  i.max_session_duration = json::IntField(d, "max_session", 3600);
  i.mfa_devices = ReadStrings(d, "mfa");
  i.instance_profiles = ReadStrings(d, "profiles");
  if (auto it = d.FindMember("login"); it != d.MemberEnd() && it->value.IsObject()) {
    domain::iam::LoginProfile l;
    l.created_ms = json::IntField(it->value, "created_ms");
    l.changed_ms = json::IntField(it->value, "changed_ms");
    l.reset_required = json::BoolField(it->value, "reset");
    l.password_hash = json::StrField(it->value, "hash");
    l.previous_hashes = ReadStrings(it->value, "history");
    i.login = std::move(l);
  }
  if (auto it = d.FindMember("ssh_keys"); it != d.MemberEnd() && it->value.IsArray()) {
    for (const auto& k : it->value.GetArray()) {
      if (!k.IsObject()) continue;
      i.ssh_keys.push_back({json::StrField(k, "id"), json::StrField(k, "body"),
                            json::StrField(k, "fingerprint"), json::StrField(k, "pem"),
                            json::StrField(k, "status"), json::IntField(k, "uploaded_ms")});
    }
  }
  if (auto it = d.FindMember("certificates"); it != d.MemberEnd() && it->value.IsArray()) {
    for (const auto& c : it->value.GetArray()) {
      if (!c.IsObject()) continue;
      i.certificates.push_back({json::StrField(c, "id"), json::StrField(c, "body"),
                                json::StrField(c, "status"), json::IntField(c, "uploaded_ms")});
    }
  }
  return i;
}

IamEntity ToEntity(const ManagedPolicy& p) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  WriteTags(w, p.tags);
  json::KV(w, "description", p.description);
  json::KV(w, "default", p.default_version);
  w.Key("next");
  w.Int64(p.next_version);
  w.Key("updated_ms");
  w.Int64(p.updated_ms);
  w.Key(kPolicyAttachmentsMember);
  w.Int64(p.attachment_count);
  w.Key("boundary_uses");
  w.Int64(p.boundary_count);
  w.Key("versions");
  w.StartArray();
  for (const auto& v : p.versions) {
    w.StartObject();
    json::KV(w, "id", v.version_id);
    json::KV(w, "document", v.document);
    w.Key("created_ms");
    w.Int64(v.created_ms);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {p.account, "policy", p.name, p.id, p.path, json::Finish(buf), p.created_ms, p.revision};
}

Result<ManagedPolicy> PolicyFromEntity(const IamEntity& e) {
  ARCANA_ASSIGN_OR_RETURN(auto d, Parse(e.doc, "policy"));
  ManagedPolicy p;
  p.account = e.account;
  p.name = e.name;
  p.path = e.path;
  p.id = e.id;
  p.created_ms = e.created_ms;
  p.revision = e.revision;
  p.tags = ReadTags(d);
  p.description = json::StrField(d, "description");
  p.default_version = json::StrField(d, "default");
  p.next_version = json::IntField(d, "next", 2);
  p.updated_ms = json::IntField(d, "updated_ms");
  p.attachment_count = json::IntField(d, kPolicyAttachmentsMember);
  p.boundary_count = json::IntField(d, "boundary_uses");
  if (auto it = d.FindMember("versions"); it != d.MemberEnd() && it->value.IsArray()) {
    for (const auto& v : it->value.GetArray()) {
      if (!v.IsObject()) return Corrupt("policy");
      p.versions.push_back({json::StrField(v, "id"), json::StrField(v, "document"),
                            json::IntField(v, "created_ms")});
    }
  }
  return p;
}

std::string EncodeSession(const Session& s) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "kind", s.kind);
  json::KV(w, "subject", s.subject);
  if (!s.subject_id.empty()) json::KV(w, "subject_id", s.subject_id);
  json::KV(w, "session", s.session_name);
  w.Key("policies");
  json::WriteStringList(w, s.policies);
  w.Key("policy_arns");
  json::WriteStringList(w, s.policy_arns);
  w.Key("session_tags");
  w.StartObject();
  for (const auto& [k, v] : s.tags) json::KV(w, k.c_str(), v);
  w.EndObject();
  w.Key("transitive");
  json::WriteStringList(w, s.transitive_tag_keys);
  if (!s.source_identity.empty()) json::KV(w, "source_identity", s.source_identity);
  // Only web identity sessions carry these: other sessions' documents are as before.
  if (!s.web_identity_provider.empty()) {
    json::KV(w, "web_provider", s.web_identity_provider);
    json::KV(w, "web_subject", s.web_identity_subject);
  }
  if (s.mfa_authenticated_ms != 0) {
    w.Key("mfa_ms");
    w.Int64(s.mfa_authenticated_ms);
  }
  w.EndObject();
  return json::Finish(buf);
}

Result<Session> DecodeSession(const std::string& doc) {
  ARCANA_ASSIGN_OR_RETURN(auto d, Parse(doc, "session"));
  Session s;
  s.kind = json::StrField(d, "kind");
  s.subject = json::StrField(d, "subject");
  s.subject_id = json::StrField(d, "subject_id");
  s.session_name = json::StrField(d, "session");
  s.policies = ReadStrings(d, "policies");
  s.policy_arns = ReadStrings(d, "policy_arns");
  if (auto it = d.FindMember("session_tags"); it != d.MemberEnd() && it->value.IsObject()) {
    for (auto m = it->value.MemberBegin(); m != it->value.MemberEnd(); ++m) {
      if (m->value.IsString()) s.tags[m->name.GetString()] = m->value.GetString();
    }
  }
  s.transitive_tag_keys = ReadStrings(d, "transitive");
  s.source_identity = json::StrField(d, "source_identity");
  s.web_identity_provider = json::StrField(d, "web_provider");
  s.web_identity_subject = json::StrField(d, "web_subject");
  s.mfa_authenticated_ms = json::IntField(d, "mfa_ms");
  return s;
}

IamEntity ToEntity(const domain::iam::OidcProvider& p) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  WriteTags(w, p.tags);
  w.Key("client_ids");
  json::WriteStringList(w, p.client_ids);
  w.Key("thumbprints");
  json::WriteStringList(w, p.thumbprints);
  w.EndObject();
  // IAM gives providers no unique id and no path.
  return {p.account, kOidcProviderKind, p.url, "", "/", json::Finish(buf), p.created_ms,
          p.revision};
}

Result<domain::iam::OidcProvider> OidcProviderFromEntity(const IamEntity& e) {
  ARCANA_ASSIGN_OR_RETURN(auto d, Parse(e.doc, kOidcProviderKind));
  domain::iam::OidcProvider p;
  p.account = e.account;
  p.url = e.name;
  p.created_ms = e.created_ms;
  p.revision = e.revision;
  p.tags = ReadTags(d);
  p.client_ids = ReadStrings(d, "client_ids");
  p.thumbprints = ReadStrings(d, "thumbprints");
  return p;
}

IamEntity ToEntity(const domain::iam::SamlProvider& p) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  WriteTags(w, p.tags);
  json::KV(w, "metadata", p.metadata);
  w.Key("valid_until_ms");
  w.Int64(p.valid_until_ms);
  json::KV(w, "encryption_mode", p.encryption_mode);
  w.Key("private_keys");
  w.StartArray();
  for (const auto& k : p.private_keys) {
    w.StartObject();
    json::KV(w, "id", k.id);
    w.Key("added_ms");
    w.Int64(k.added_ms);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {p.account, kSamlProviderKind, p.name, p.uuid, "/", json::Finish(buf), p.created_ms,
          p.revision};
}

Result<domain::iam::SamlProvider> SamlProviderFromEntity(const IamEntity& e) {
  ARCANA_ASSIGN_OR_RETURN(auto d, Parse(e.doc, kSamlProviderKind));
  domain::iam::SamlProvider p;
  p.account = e.account;
  p.name = e.name;
  p.uuid = e.id;
  p.created_ms = e.created_ms;
  p.revision = e.revision;
  p.tags = ReadTags(d);
  p.metadata = json::StrField(d, "metadata");
  p.valid_until_ms = json::IntField(d, "valid_until_ms");
  if (std::string mode = json::StrField(d, "encryption_mode"); !mode.empty()) {
    p.encryption_mode = mode;
  }
  if (auto it = d.FindMember("private_keys"); it != d.MemberEnd() && it->value.IsArray()) {
    for (const auto& k : it->value.GetArray()) {
      p.private_keys.push_back({json::StrField(k, "id"), json::IntField(k, "added_ms")});
    }
  }
  return p;
}

std::string EncodeSamlPrivateKeys(
    const std::vector<std::pair<std::string, std::string_view>>& keys) {
  std::string out;
  for (const auto& [id, pem] : keys) {
    out += id + " " + std::to_string(pem.size()) + "\n";
    out.append(pem);
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string_view>>> DecodeSamlPrivateKeys(
    std::string_view secret) {
  std::vector<std::pair<std::string, std::string_view>> keys;
  while (!secret.empty()) {
    const size_t space = secret.find(' ');
    const size_t eol = secret.find('\n');
    if (space == std::string_view::npos || eol == std::string_view::npos || space > eol) {
      return Corrupt(kSamlProviderKind);
    }
    size_t length = 0;
    const auto digits = secret.substr(space + 1, eol - space - 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (ec != std::errc() || end != digits.data() + digits.size() ||
        length > secret.size() - eol - 1) {
      return Corrupt(kSamlProviderKind);
    }
    keys.emplace_back(std::string(secret.substr(0, space)), secret.substr(eol + 1, length));
    secret.remove_prefix(eol + 1 + length);
  }
  return keys;
}

std::string ServiceCredentialPath(const std::string& user_id) { return "/" + user_id + "/"; }

IamEntity ToEntity(const domain::iam::ServiceCredential& c) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "service", c.service);
  json::KV(w, "service_user_name", c.service_user);
  json::KV(w, "status", c.status);
  w.EndObject();
  return {c.account, kServiceCredentialKind, c.id, c.id, ServiceCredentialPath(c.user_id),
          json::Finish(buf), c.created_ms, c.revision};
}

Result<domain::iam::ServiceCredential> ServiceCredentialFromEntity(const IamEntity& e) {
  ARCANA_ASSIGN_OR_RETURN(auto d, Parse(e.doc, kServiceCredentialKind));
  const std::string& p = e.path;
  if (p.size() < 3 || p.front() != '/' || p.back() != '/') return Corrupt(kServiceCredentialKind);
  domain::iam::ServiceCredential c;
  c.account = e.account;
  c.id = e.id;
  c.user_id = p.substr(1, p.size() - 2);
  c.service = json::StrField(d, "service");
  c.service_user = json::StrField(d, "service_user_name");
  c.status = json::StrField(d, "status");
  c.created_ms = e.created_ms;
  c.revision = e.revision;
  return c;
}

IamEntity ToEntity(const domain::iam::InstanceProfile& p) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  WriteTags(w, p.tags);
  w.Key("roles");
  json::WriteStringList(w, p.roles);
  w.EndObject();
  return {p.account, kInstanceProfileKind, p.name, p.id, p.path, json::Finish(buf),
          p.created_ms, p.revision};
}

Result<domain::iam::InstanceProfile> InstanceProfileFromEntity(const IamEntity& e) {
  ARCANA_ASSIGN_OR_RETURN(auto d, Parse(e.doc, kInstanceProfileKind));
  domain::iam::InstanceProfile p;
  p.account = e.account;
  p.name = e.name;
  p.path = e.path;
  p.id = e.id;
  p.created_ms = e.created_ms;
  p.revision = e.revision;
  p.tags = ReadTags(d);
  p.roles = ReadStrings(d, "roles");
  return p;
}

IamEntity ToEntity(const domain::iam::MfaDevice& m) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  WriteTags(w, m.tags);
  json::KV(w, "user", m.user);
  json::KV(w, "user_id", m.user_id);
  w.Key("enabled_ms");
  w.Int64(m.enabled_ms);
  w.Key("last_step");
  w.Int64(m.last_step);
  w.Key("drift");
  w.Int64(m.drift_steps);
  if (m.failed_codes != 0) {
    w.Key("failed_step");
    w.Int64(m.failed_step);
    w.Key("failed_codes");
    w.Int64(m.failed_codes);
  }
  w.EndObject();
  return {m.account, kMfaDeviceKind, m.name, m.SerialNumber(), m.path, json::Finish(buf),
          m.created_ms, m.revision};
}

Result<domain::iam::MfaDevice> MfaDeviceFromEntity(const IamEntity& e) {
  ARCANA_ASSIGN_OR_RETURN(auto d, Parse(e.doc, kMfaDeviceKind));
  domain::iam::MfaDevice m;
  m.account = e.account;
  m.name = e.name;
  m.path = e.path;
  m.created_ms = e.created_ms;
  m.revision = e.revision;
  m.tags = ReadTags(d);
  m.user = json::StrField(d, "user");
  m.user_id = json::StrField(d, "user_id");
  m.enabled_ms = json::IntField(d, "enabled_ms");
  m.last_step = json::IntField(d, "last_step");
  m.drift_steps = json::IntField(d, "drift");
  m.failed_step = json::IntField(d, "failed_step");
  m.failed_codes = json::IntField(d, "failed_codes");
  return m;
}

IamEntity ToEntity(const domain::iam::ServerCertificate& c) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  WriteTags(w, c.tags);
  json::KV(w, "body", c.body);
  if (!c.chain.empty()) json::KV(w, "chain", c.chain);
  w.Key("expires_ms");
  w.Int64(c.expires_ms);
  w.EndObject();
  return {c.account, kServerCertificateKind, c.name, c.id, c.path, json::Finish(buf),
          c.uploaded_ms, c.revision};
}

Result<domain::iam::ServerCertificate> ServerCertificateFromEntity(const IamEntity& e) {
  ARCANA_ASSIGN_OR_RETURN(auto d, Parse(e.doc, kServerCertificateKind));
  domain::iam::ServerCertificate c;
  c.account = e.account;
  c.name = e.name;
  c.path = e.path;
  c.id = e.id;
  c.uploaded_ms = e.created_ms;
  c.revision = e.revision;
  c.tags = ReadTags(d);
  c.body = json::StrField(d, "body");
  c.chain = json::StrField(d, "chain");
  c.expires_ms = json::IntField(d, "expires_ms");
  return c;
}

IamEntity ToEntity(const AwsPolicyUses& u) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("attached");
  w.Int64(u.attached);
  w.Key("bounding");
  w.Int64(u.bounding);
  w.EndObject();
  return {u.account, kAwsPolicyUsesKind, u.arn, "", "/", json::Finish(buf), u.created_ms,
          u.revision};
}

Result<AwsPolicyUses> AwsPolicyUsesFromEntity(const IamEntity& e) {
  ARCANA_ASSIGN_OR_RETURN(auto d, Parse(e.doc, kAwsPolicyUsesKind));
  AwsPolicyUses u;
  u.account = e.account;
  u.arn = e.name;
  u.attached = json::IntField(d, "attached");
  u.bounding = json::IntField(d, "bounding");
  u.created_ms = e.created_ms;
  u.revision = e.revision;
  return u;
}

}  // namespace arcana::storage
