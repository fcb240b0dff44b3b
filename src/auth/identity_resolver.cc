#include "auth/identity_resolver.h"

#include "auth/access_keys.h"
#include "crypto/base64.h"
#include "crypto/random.h"
#include "crypto/secure_memory.h"
#include "domain/iam/aws_managed_policies.h"
#include "storage/identity_codec.h"

namespace arcana::auth {
namespace {

using domain::iam::Identity;
using domain::iam::Session;

constexpr const char* kSessionSubject = "sts-session";

// The record the sealed secret is bound to (auth/access_keys.h).
storage::AccessKeyRecord BindingOf(const std::string& id, const std::string& account,
                                   const std::string& subject, const std::string& sealed) {
  storage::AccessKeyRecord r;
  r.access_key_id = id;
  r.account_id = account;
  r.principal_arn = subject;
  r.sealed_secret = sealed;
  return r;
}

std::string UserSubject(const std::string& user) { return "user:" + storage::IamNameKey(user); }
// What an entity's secret is bound to besides its id and account (storage/identity_store.h).
std::string EntitySubject(const storage::IamEntity& e) { return "iam-entity:" + e.kind; }

Result<Identity> LoadIdentity(storage::IdentityStore& store, const std::string& account,
                              const std::string& kind, const std::string& name) {
  ARCANA_ASSIGN_OR_RETURN(auto e, store.GetEntity(account, kind, name));
  if (!e) {
    return Status(ErrorCode::kResourceNotFound,
                  "The " + kind + " with name " + name + " cannot be found.");
  }
  return storage::IdentityFromEntity(*e);
}

// The session's subject is no longer the identity it was issued to: refused like a deleted one.
Status SubjectGone(const Session& s) {
  return Status(ErrorCode::kResourceNotFound,
                "The identity " + s.subject + " the session was issued to no longer exists.");
}

// A session issued before subject ids were recorded (Session::subject_id empty) belongs to the
// identity of its subject's name only if that identity already existed when it was issued: one
// created later under the same name is someone else. Sessions last at most 36 hours, so this
// only matters for those that were live across the upgrade.
Status CheckUnboundSubject(storage::IdentityStore& store, const std::string& account,
                           const Session& s, int64_t issued_ms) {
  const bool has_subject = s.kind == "role" || s.kind == "user" ||
                           (s.kind == "federated" && !s.subject.empty());
  if (!has_subject || !s.subject_id.empty()) return Status::Ok();
  ARCANA_ASSIGN_OR_RETURN(Identity who,
                          LoadIdentity(store, account, s.kind == "role" ? "role" : "user",
                                       s.subject));
  if (who.created_ms > issued_ms) return SubjectGone(s);
  return Status::Ok();
}

// Sets one aws:PrincipalTag: a key is the same key in any case (a user's, a role's and a
// session's tag keys are not case sensitive, and condition key names are compared without
// case), so a tag given later replaces one of another spelling, with its own spelling and
// value. The Principal never holds two spellings of a key: the policy context would keep
// whichever sorted first, and a session tag team=blue could hide the role's Team=red from a
// Deny on aws:PrincipalTag/Team (AWS: "the session tag ... takes precedence").
void SetTag(const std::string& key, const std::string& value, Principal& p) {
  std::erase_if(p.tags, [&](const auto& t) {
    return domain::iam::SameTagKeyIgnoringCase(t.first, key);
  });
  p.tags[key] = value;
}

// Tags over those already set, a later one winning: a user's or role's (in the order stored:
// a later spelling of a key, stored before keys were compared without case, wins as TagUser
// would have made it), then a session's over the identity's it was issued to.
template <typename TagList>
void AddTags(const TagList& tags, Principal& p) {
  for (const auto& [k, v] : tags) SetTag(k, v, p);
}

}  // namespace

Principal RootPrincipal(const std::string& account, const std::string& access_key_id) {
  Principal p;
  p.type = Principal::Type::kRoot;
  p.account = account;
  p.arn = "arn:aws:iam::" + account + ":root";
  p.principal_arn = p.arn;
  p.user_id = account;
  p.access_key_id = access_key_id;
  return p;
}

// A session Arcana issues for its own work (kind "service", e.g. a rotation function's
// credentials): no stored role; its session policies are all it may do (they are both its
// identity policies and its session policies, so nothing else is allowed).
Principal ServiceSessionPrincipal(const std::string& account, const Session& s) {
  Principal p;
  p.type = Principal::Type::kAssumedRole;
  p.account = account;
  p.arn = "arn:aws:sts::" + account + ":assumed-role/" + s.subject + "/" + s.session_name;
  p.principal_arn = "arn:aws:iam::" + account + ":role/" + s.subject;
  p.user_id = "AROAARCANASERVICE:" + s.session_name;
  for (size_t i = 0; i < s.policies.size(); ++i) {
    std::string id = "session:" + std::to_string(i + 1);
    const PolicyText text(s.policies[i]);  // one copy for both lists
    p.identity_policies.push_back({text, id, PolicySource::Kind::kIdentity});
    p.session_policies.push_back({text, id, PolicySource::Kind::kSession});
  }
  return p;
}

Result<std::optional<PolicySource>> IdentityResolver::ManagedPolicyDocument(
    const std::string& arn, PolicySource::Kind kind) const {
  // An AWS managed policy is the catalog's, never a stored one; one Arcana does not hold
  // grants nothing (as a deleted policy).
  if (domain::iam::IsAwsManagedPolicyArn(arn)) {
    const auto* aws = domain::iam::FindAwsManagedPolicy(arn);
    if (aws == nullptr || aws->DefaultVersion() == nullptr) return std::optional<PolicySource>();
    // The catalog's own text, referenced: it outlives every Principal.
    return std::optional<PolicySource>(
        PolicySource{PolicyText::Static(aws->DefaultVersion()->document), arn, kind});
  }
  auto parsed = domain::iam::ParsePolicyArn(arn);
  if (!parsed) return std::optional<PolicySource>();
  ARCANA_ASSIGN_OR_RETURN(auto e, store_.GetEntity(parsed->first, "policy", parsed->second));
  if (!e) return std::optional<PolicySource>();  // deleted meanwhile: grants nothing
  ARCANA_ASSIGN_OR_RETURN(auto policy, storage::PolicyFromEntity(*e));
  if (policy.Arn() != arn) return std::optional<PolicySource>();
  const auto* v = policy.DefaultVersion();
  if (v == nullptr) return std::optional<PolicySource>();
  return std::optional<PolicySource>(PolicySource{v->document, arn, kind});
}

Status IdentityResolver::AddPolicies(const Identity& who, Principal& p) const {
  for (const auto& [name, doc] : who.inline_policies) {
    p.identity_policies.push_back({doc, who.kind + "/" + who.name + ":" + name,
                                   PolicySource::Kind::kIdentity});
  }
  for (const auto& arn : who.attached) {
    ARCANA_ASSIGN_OR_RETURN(auto src, ManagedPolicyDocument(arn, PolicySource::Kind::kIdentity));
    if (src) p.identity_policies.push_back(std::move(*src));
  }
  if (!who.boundary_arn.empty()) {
    ARCANA_ASSIGN_OR_RETURN(auto src,
                            ManagedPolicyDocument(who.boundary_arn, PolicySource::Kind::kBoundary));
    if (src) {
      p.permissions_boundary = std::move(*src);
    } else {
      // A boundary that no longer resolves allows nothing (never everything).
      p.permissions_boundary =
          PolicySource{R"({"Version":"2012-10-17","Statement":[]})", who.boundary_arn,
                       PolicySource::Kind::kBoundary};
    }
  }
  return Status::Ok();
}

Result<Principal> IdentityResolver::UserPrincipal(const std::string& account,
                                                  const std::string& user) const {
  ARCANA_ASSIGN_OR_RETURN(Identity u, LoadIdentity(store_, account, "user", user));
  Principal p;
  p.type = Principal::Type::kUser;
  p.account = account;
  p.arn = u.Arn();
  p.principal_arn = p.arn;
  p.user_id = u.id;
  p.user_name = u.name;
  AddTags(u.tags, p);
  ARCANA_RETURN_IF_ERROR(AddPolicies(u, p));
  for (const auto& g : u.groups) {
    auto group = LoadIdentity(store_, account, "group", g);
    if (!group.ok()) {
      if (group.status().code() == ErrorCode::kResourceNotFound) continue;
      return group.status();
    }
    Identity copy = *group;
    copy.boundary_arn.clear();  // groups have no boundary
    ARCANA_RETURN_IF_ERROR(AddPolicies(copy, p));
  }
  return p;
}

Result<Principal> IdentityResolver::GroupPrincipal(const std::string& account,
                                                   const std::string& group) const {
  ARCANA_ASSIGN_OR_RETURN(Identity g, LoadIdentity(store_, account, "group", group));
  g.boundary_arn.clear();  // groups have no boundary
  Principal p;
  p.type = Principal::Type::kUser;  // evaluated as a user in that group would be
  p.account = account;
  p.arn = g.Arn();
  p.principal_arn = p.arn;
  p.user_id = g.id;
  ARCANA_RETURN_IF_ERROR(AddPolicies(g, p));
  return p;
}

Result<std::optional<Identity>> IdentityResolver::FindRole(const std::string& account,
                                                           const std::string& name) const {
  ARCANA_ASSIGN_OR_RETURN(auto e, store_.GetEntity(account, "role", name));
  if (!e) return std::optional<Identity>();
  ARCANA_ASSIGN_OR_RETURN(Identity role, storage::IdentityFromEntity(*e));
  return std::optional<Identity>(std::move(role));
}

Result<Principal> IdentityResolver::RolePrincipal(const std::string& account,
                                                  const Session& s) const {
  ARCANA_ASSIGN_OR_RETURN(Identity role, LoadIdentity(store_, account, "role", s.subject));
  // A role of the same name that is not the one the session was issued for.
  if (!s.subject_id.empty() && role.id != s.subject_id) return SubjectGone(s);
  Principal p;
  p.type = Principal::Type::kAssumedRole;
  p.account = account;
  p.arn = "arn:aws:sts::" + account + ":assumed-role/" + role.name + "/" + s.session_name;
  p.principal_arn = role.Arn();
  p.user_id = role.id + ":" + s.session_name;
  AddTags(role.tags, p);
  AddTags(s.tags, p);  // session tags win over the role's, whatever their case
  p.transitive_tag_keys = s.transitive_tag_keys;
  p.source_identity = s.source_identity;
  ARCANA_RETURN_IF_ERROR(AddPolicies(role, p));
  ARCANA_RETURN_IF_ERROR(AddSessionPolicies(s, p));
  return p;
}

Status IdentityResolver::AddSessionPolicies(const Session& s, Principal& p) const {
  for (size_t i = 0; i < s.policies.size(); ++i) {
    p.session_policies.push_back(
        {s.policies[i], "session:" + std::to_string(i + 1), PolicySource::Kind::kSession});
  }
  for (const auto& arn : s.policy_arns) {
    ARCANA_ASSIGN_OR_RETURN(auto src, ManagedPolicyDocument(arn, PolicySource::Kind::kSession));
    // A session policy ARN that no longer resolves still narrows: it allows nothing.
    p.session_policies.push_back(
        src ? std::move(*src)
            : PolicySource{R"({"Version":"2012-10-17","Statement":[]})", arn,
                           PolicySource::Kind::kSession});
  }
  return Status::Ok();
}

Result<Principal> IdentityResolver::FederatedPrincipal(const std::string& account,
                                                       const Session& s) const {
  Principal p;
  if (!s.subject.empty()) {
    ARCANA_ASSIGN_OR_RETURN(Principal user, UserPrincipal(account, s.subject));
    if (!s.subject_id.empty() && user.user_id != s.subject_id) return SubjectGone(s);
    p.identity_policies = std::move(user.identity_policies);
    p.permissions_boundary = std::move(user.permissions_boundary);
    // The calling user's tags are the federated user's principal tags, its session tags
    // overriding a user tag of the same key (STS GetFederationToken, Tags).
    p.tags = std::move(user.tags);
    p.issuer_arn = user.arn;
    p.issuer_id = user.user_id;
    p.issuer_user_name = user.user_name;
  } else {
    p.issuer_arn = "arn:aws:iam::" + account + ":root";
    p.issuer_id = account;
    p.identity_policies.push_back(
        {R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})",
         "root", PolicySource::Kind::kIdentity});
  }
  p.type = Principal::Type::kFederatedUser;
  p.account = account;
  p.arn = "arn:aws:sts::" + account + ":federated-user/" + s.session_name;
  p.principal_arn = p.arn;
  p.user_id = account + ":" + s.session_name;
  AddTags(s.tags, p);
  ARCANA_RETURN_IF_ERROR(AddSessionPolicies(s, p));
  if (p.session_policies.empty()) {  // no session policy: the session may do nothing
    p.session_policies.push_back({R"({"Version":"2012-10-17","Statement":[]})", "session:none",
                                  PolicySource::Kind::kSession});
  }
  return p;
}

Result<std::optional<ResolvedKey>> IdentityResolver::Resolve(const std::string& id,
                                                             int64_t now_ms) const {
  if (id.starts_with("ASIA")) {
    ARCANA_ASSIGN_OR_RETURN(auto s, store_.GetSession(id));
    if (!s) return std::optional<ResolvedKey>();
    if (s->expires_ms <= now_ms) {
      return Status(ErrorCode::kExpiredToken,
                    "The security token included in the request is expired");
    }
    auto opened = OpenAccessKeySecret(root_, BindingOf(id, s->account, kSessionSubject, s->sealed));
    if (!opened.ok()) {
      if (opened.status().code() == ErrorCode::kServiceUnavailable) return opened.status();
      return InvalidSecurityToken();
    }
    crypto::SecretString both = crypto::SecretString::Take(*opened);
    std::string_view view = both.view();
    size_t nl = view.find('\n');
    if (nl == std::string_view::npos) return InvalidSecurityToken();
    ARCANA_ASSIGN_OR_RETURN(Session session, storage::DecodeSession(s->doc));
    // A subject deleted, or another identity re-created or renamed into its name after the
    // session was issued: the session stops working and never acts as the newcomer.
    if (Status bound = CheckUnboundSubject(store_, s->account, session, s->created_ms);
        !bound.ok()) {
      if (bound.code() == ErrorCode::kResourceNotFound) return InvalidSecurityToken();
      return bound;
    }
    Principal p;
    if (session.kind == "role") {
      auto role = RolePrincipal(s->account, session);
      if (!role.ok()) {
        // The role was deleted: its sessions stop working.
        if (role.status().code() == ErrorCode::kResourceNotFound) return InvalidSecurityToken();
        return role.status();
      }
      p = std::move(role).value();
    } else if (session.kind == "root") {
      p = RootPrincipal(s->account, id);
    } else if (session.kind == "service") {
      p = ServiceSessionPrincipal(s->account, session);
    } else if (session.kind == "federated") {
      auto fed = FederatedPrincipal(s->account, session);
      if (!fed.ok()) {
        // The user who asked for it was deleted: its federation sessions stop working.
        if (fed.status().code() == ErrorCode::kResourceNotFound) return InvalidSecurityToken();
        return fed.status();
      }
      p = std::move(fed).value();
    } else {
      auto user = UserPrincipal(s->account, session.subject);
      if (!user.ok()) {
        if (user.status().code() == ErrorCode::kResourceNotFound) return InvalidSecurityToken();
        return user.status();
      }
      // Another user now holds the name: the session's own user is gone.
      if (!session.subject_id.empty() && user->user_id != session.subject_id) {
        return InvalidSecurityToken();
      }
      p = std::move(user).value();
      p.type = Principal::Type::kFederated;
    }
    p.access_key_id = id;
    p.temporary = true;
    p.session_expires_ms = s->expires_ms;
    p.session_issued_ms = s->created_ms;
    p.mfa_authenticated_ms = session.mfa_authenticated_ms;
    ResolvedKey r;
    r.credential = Credential{id, crypto::SecretString(view.substr(0, nl)), s->account, p.arn,
                              std::string(view.substr(nl + 1))};
    r.principal = std::make_shared<const Principal>(std::move(p));
    r.expires_ms = s->expires_ms;
    return std::optional<ResolvedKey>(std::move(r));
  }
  ARCANA_ASSIGN_OR_RETURN(auto k, store_.GetUserAccessKey(id));
  if (!k) return std::optional<ResolvedKey>();
  if (k->status != "Active") return InvalidSecurityToken();
  auto opened =
      OpenAccessKeySecret(root_, BindingOf(id, k->account, UserSubject(k->user_name), k->sealed_secret));
  if (!opened.ok()) {
    if (opened.status().code() == ErrorCode::kServiceUnavailable) return opened.status();
    return InvalidSecurityToken();
  }
  crypto::SecretString secret = crypto::SecretString::Take(*opened);
  auto user = UserPrincipal(k->account, k->user_name);
  if (!user.ok()) {
    if (user.status().code() == ErrorCode::kResourceNotFound) return InvalidSecurityToken();
    return user.status();
  }
  Principal p = std::move(user).value();
  p.access_key_id = id;
  ResolvedKey r;
  r.credential = Credential{id, std::move(secret), k->account, p.arn, std::nullopt};
  r.principal = std::make_shared<const Principal>(std::move(p));
  return std::optional<ResolvedKey>(std::move(r));
}

Result<IssuedKey> IdentityResolver::CreateUserKey(const std::string& account,
                                                  const std::string& user, int64_t now_ms) const {
  IssuedKey k;
  k.access_key_id = NewAccessKeyId("AKIA");
  k.secret_access_key = NewSecretAccessKey();
  k.created_ms = now_ms;
  storage::UserAccessKey rec;
  rec.access_key_id = k.access_key_id;
  rec.account = account;
  rec.user_name = user;
  rec.created_ms = now_ms;
  ARCANA_ASSIGN_OR_RETURN(rec.sealed_secret,
                          SealAccessKeySecret(root_, k.secret_access_key,
                                              BindingOf(k.access_key_id, account,
                                                        UserSubject(user), "")));
  ARCANA_RETURN_IF_ERROR(store_.PutUserAccessKey(rec, 2));
  return k;
}

Result<std::vector<storage::UserAccessKey>> IdentityResolver::RebindUserKeys(
    const std::string& account, const std::string& old_name, const std::string& new_name) const {
  ARCANA_ASSIGN_OR_RETURN(auto keys, store_.ListUserAccessKeys(account, old_name));
  for (auto& k : keys) {
    ARCANA_ASSIGN_OR_RETURN(
        std::string secret,
        OpenAccessKeySecret(root_, BindingOf(k.access_key_id, account, UserSubject(k.user_name),
                                             k.sealed_secret)));
    crypto::SecretString wipe = crypto::SecretString::Take(secret);
    ARCANA_ASSIGN_OR_RETURN(
        k.sealed_secret,
        SealAccessKeySecret(root_, wipe.view(),
                            BindingOf(k.access_key_id, account, UserSubject(new_name), "")));
    k.user_name = new_name;
  }
  return keys;
}

Result<IssuedKey> IdentityResolver::CreateSession(const std::string& account, const Session& s,
                                                  int64_t now_ms, int64_t duration_s) const {
  IssuedKey k;
  k.access_key_id = NewAccessKeyId("ASIA");
  k.secret_access_key = NewSecretAccessKey();
  k.session_token = crypto::Base64Encode(crypto::RandomBytes(96));
  k.created_ms = now_ms;
  k.expires_ms = now_ms + duration_s * 1000;
  crypto::SecretString both(k.secret_access_key + "\n" + k.session_token);
  storage::StsSession rec;
  rec.access_key_id = k.access_key_id;
  rec.account = account;
  rec.expires_ms = k.expires_ms;
  rec.created_ms = now_ms;
  rec.doc = storage::EncodeSession(s);
  ARCANA_ASSIGN_OR_RETURN(rec.sealed,
                          SealAccessKeySecret(root_, both.view(),
                                              BindingOf(k.access_key_id, account, kSessionSubject, "")));
  ARCANA_RETURN_IF_ERROR(store_.PutSession(rec));
  return k;
}

Result<std::string> IdentityResolver::SealEntitySecret(const storage::IamEntity& e,
                                                      std::string_view secret) const {
  return SealAccessKeySecret(root_, secret, BindingOf(e.id, e.account, EntitySubject(e), ""));
}

Result<crypto::SecretString> IdentityResolver::OpenEntitySecret(const storage::IamEntity& e) const {
  ARCANA_ASSIGN_OR_RETURN(auto sealed, store_.GetEntitySecret(e.id));
  if (!sealed) {
    return Status(ErrorCode::kResourceNotFound, "the " + e.kind + " " + e.name + " has no secret");
  }
  ARCANA_ASSIGN_OR_RETURN(std::string secret,
                          OpenAccessKeySecret(root_, BindingOf(e.id, e.account, EntitySubject(e),
                                                               *sealed)));
  return crypto::SecretString::Take(secret);
}

}  // namespace arcana::auth
