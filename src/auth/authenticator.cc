#include "auth/authenticator.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "auth/access_keys.h"
#include "crypto/aead.h"

namespace arcana::auth {

Authenticator::Authenticator(storage::AccessKeyStore& store, const crypto::RootKey& root, AuthOptions opts)
    : store_(store), root_(root), opts_(std::move(opts)) {
  VerifyOptions vo;
  vo.max_skew = opts_.max_skew;
  vo.ignore_skew = opts_.dev;
  vo.path_mode = PathMode::kEither;
  vo.on_mismatch = [](std::string_view canonical, std::string_view) {
    spdlog::debug("signature mismatch; server canonical request:\n{}", canonical);
  };
  verifier_ = std::make_unique<Verifier>([this](std::string_view id) { return Lookup(id); }, vo);
}

void Authenticator::ForgetCredentials() const {
  {
    std::lock_guard<std::mutex> l(mu_);
    ClearCached();  // the cached SecretStrings wipe themselves
    dev_unknown_.clear();
  }
  verifier_->ClearCache();
}

void Authenticator::EraseCached(const std::string& access_key_id) const {
  auto it = cache_.find(access_key_id);
  if (it == cache_.end()) return;
  cached_bytes_ -= it->second.bytes;
  cache_.erase(it);
}

void Authenticator::ClearCached() const {
  cache_.clear();
  cached_bytes_ = 0;
}

size_t Authenticator::ApproxBytes(const Entry& e) {
  // The key twice (the map's key and the credential's), the secret, the map's node.
  return sizeof(Cached) + 2 * e.cred.access_key_id.size() + e.cred.account_id.size() +
         e.cred.principal_arn.size() + e.cred.session_token.value_or("").size() + 128 +
         (e.principal ? ApproxOwnedBytes(*e.principal) : 0);
}

void Authenticator::FollowChanges(storage::ChangeFollower& follower) {
  follower_ = &follower;
  follower.Subscribe({[this](const storage::Change& c) {
                        if (c.service != "arcana" && c.service != "iam" && c.service != "sts") {
                          return;
                        }
                        std::lock_guard<std::mutex> l(mu_);
                        ++epoch_;
                        // An identity change (a policy detached, a group left, a role's
                        // policy edited) may change any cached Principal: IAM writes are
                        // rare, so every entry goes.
                        if (c.IsRootRewrap() || c.service == "iam") {
                          ClearCached();  // every sealed secret was rewrapped
                          dev_unknown_.clear();
                        } else {
                          EraseCached(c.resource);  // the access key id
                          dev_unknown_.erase(c.resource);
                        }
                      },
                      [this] {
                        std::lock_guard<std::mutex> l(mu_);
                        ++epoch_;
                        ClearCached();
                        dev_unknown_.clear();
                      }});
}

namespace {
int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
Status Expired() {
  return Status(ErrorCode::kExpiredToken, "The security token included in the request is expired");
}
}  // namespace

Result<Credential> Authenticator::Lookup(std::string_view access_key_id) const {
  ARCANA_ASSIGN_OR_RETURN(Entry e, Load(std::string(access_key_id)));
  return std::move(e.cred);
}

Result<std::optional<Authenticator::Entry>> Authenticator::Read(const std::string& id) const {
  auto rec = store_.GetAccessKey(id);
  if (!rec.ok()) return rec.status();
  if (!rec->has_value() && resolver_ != nullptr) {
    // A key the resolver knows but refuses (an inactive user key, a session whose role is
    // gone) is its error; only a key no store holds is nullopt.
    ARCANA_ASSIGN_OR_RETURN(auto resolved, resolver_->Resolve(id, WallMs()));
    if (resolved) {
      return std::optional<Entry>(Entry{std::move(resolved->credential),
                                        std::move(resolved->principal), resolved->expires_ms});
    }
  }
  if (!rec->has_value()) return std::optional<Entry>();
  auto opened = OpenAccessKeySecret(root_, **rec);
  if (!opened.ok()) {
    if (opened.status().code() == ErrorCode::kServiceUnavailable) return opened.status();
    // The stored secret is not bound to this row's key id, account and principal (a row
    // edited or moved in the database): the key is not valid for that identity.
    spdlog::warn("access key {}: stored secret does not match its account and principal",
                 id);
    return InvalidSecurityToken();
  }
  std::string secret = std::move(opened).value();
  Credential c{id, crypto::SecretString::Take(secret), (*rec)->account_id, (*rec)->principal_arn,
               std::nullopt};
  auto principal = std::make_shared<const Principal>(RootPrincipal((*rec)->account_id, id));
  return std::optional<Entry>(Entry{std::move(c), std::move(principal), 0});
}

Result<Authenticator::Entry> Authenticator::Load(const std::string& id) const {
  ARCANA_ASSIGN_OR_RETURN(auto e, Find(id));
  if (!e) return InvalidSecurityToken();  // a key no store holds
  return std::move(*e);
}

Result<std::optional<Authenticator::Entry>> Authenticator::Find(const std::string& id) const {
  auto now = std::chrono::steady_clock::now();
  if (follower_ != nullptr) {
    // Apply every change committed so far (shared with the rest of the request's reads).
    ARCANA_RETURN_IF_ERROR(follower_->Sync().status());
  }
  uint64_t epoch;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = cache_.find(id);
    if (it != cache_.end() && it->second.expires > now) {
      const Entry& e = it->second.entry;
      if (e.session_expires_ms != 0 && e.session_expires_ms <= WallMs()) return Expired();
      return std::optional<Entry>(e);
    }
    epoch = epoch_;
  }
  ARCANA_ASSIGN_OR_RETURN(auto read, Read(id));
  if (!read) return read;  // unknown keys are not cached here (dev mode keeps dev_unknown_)
  std::lock_guard<std::mutex> l(mu_);
  if (epoch != epoch_) return read;  // a change was applied meanwhile: use, do not keep
  const size_t bytes = ApproxBytes(*read);
  if (bytes > kMaxCachedBytes / 16) return read;  // one entry may not take a sixteenth: not kept
  EraseCached(id);  // an expired entry of the same key
  if (cache_.size() >= kMaxCachedEntries || cached_bytes_ + bytes > kMaxCachedBytes) {
    ClearCached();
  }
  cache_.emplace(id, Cached{*read, now + kCacheTtl, bytes});
  cached_bytes_ += bytes;
  return read;
}

Status Authenticator::Unsigned(const net::HttpRequest& req, services::CallContext& ctx) const {
  ctx.region = opts_.default_region;
  // Credential=AKID/DATE/REGION/SERVICE/aws4_request: the region only, the rest ignored.
  std::string_view auth = req.Header("Authorization");
  if (size_t at = auth.find("Credential="); at != std::string_view::npos) {
    std::string_view cred = auth.substr(at + 11);
    cred = cred.substr(0, cred.find_first_of(", "));
    size_t s1 = cred.find('/');
    size_t s2 = s1 == std::string_view::npos ? s1 : cred.find('/', s1 + 1);
    size_t s3 = s2 == std::string_view::npos ? s2 : cred.find('/', s2 + 1);
    if (s3 != std::string_view::npos) {
      std::string_view region = cred.substr(s2 + 1, s3 - s2 - 1);
      // Unverified (AWS ignores the signature of an unsigned operation): kept only when it
      // is a region name, since it becomes the region of the ARNs the call builds.
      if (IsRegionName(region)) ctx.region = std::string(region);
    }
  }
  return Status::Ok();
}

Status Authenticator::AuthenticateDev(const SignableRequest& sr, services::CallContext& ctx) const {
  // The scope still decides the region, as in AWS.
  ctx.region = opts_.default_region;
  auto parsed = ParseOnly(sr);
  if (parsed.ok()) {
    // Unsigned here, but a known key still acts with its policies, which match ARNs built
    // from this region: refused as in signed mode unless it is a region name.
    ARCANA_RETURN_IF_ERROR(CheckScopeRegion(parsed->region));
    // An AWS access key id has 16 to 128 characters. Shorter ones stay accepted ("test" is
    // the usual dev key); a longer one is refused as signed mode refuses a key it does not
    // know, since the id is kept in memory (dev_unknown_) and written to every record.
    if (parsed->access_key_id.size() > kMaxAccessKeyIdLength) return InvalidSecurityToken();
    ctx.region = parsed->region;
    ctx.access_key_id = parsed->access_key_id;
  }
  if (!ctx.access_key_id.empty() && !KnownUnknownInDev(ctx.access_key_id)) {
    // A key the store knows (an IAM user's, an STS session's, the root pair) acts as its
    // identity, as it would in AWS: GetCallerIdentity names it, its policies apply, an
    // expired session is refused. Only its signature goes unchecked. A key the store holds
    // but refuses (an inactive user key, a session of a deleted role) is refused as signed
    // mode refuses it, never taken for the root: deactivating a key must stop it here too.
    ARCANA_ASSIGN_OR_RETURN(auto known, Find(ctx.access_key_id));
    if (known) {
      ctx.account = known->cred.account_id;
      ctx.principal_arn = known->cred.principal_arn;
      ctx.principal = std::move(known->principal);
      return Status::Ok();
    }
    std::lock_guard<std::mutex> l(mu_);
    if (dev_unknown_.size() > 10000) dev_unknown_.clear();
    dev_unknown_.insert(ctx.access_key_id);
  }
  // Any other key (test/test, AKIDANYTHING...) is the account root.
  ctx.account = opts_.dev_account;
  ctx.principal_arn = "arn:aws:iam::" + opts_.dev_account + ":root";
  ctx.principal = std::make_shared<const Principal>(RootPrincipal(ctx.account, ctx.access_key_id));
  return Status::Ok();
}

bool Authenticator::KnownUnknownInDev(const std::string& access_key_id) const {
  std::lock_guard<std::mutex> l(mu_);
  return dev_unknown_.count(access_key_id) != 0;
}

Status Authenticator::Authenticate(const net::HttpRequest& req, std::string_view signing_name,
                                   services::CallContext& ctx) const {
  net::HttpRequest copy = req;
  return Authenticate(copy, signing_name, ctx);
}

Status Authenticator::Authenticate(net::HttpRequest& req, std::string_view signing_name,
                                   services::CallContext& ctx) const {
  // The signing view borrows the request's fields for the call and gives them back, so
  // the hot path copies no header.
  SignableRequest sr;
  sr.method.swap(req.method);
  sr.target.swap(req.target);
  sr.headers.swap(req.headers);
  sr.body = req.body;
  struct GiveBack {
    SignableRequest& sr;
    net::HttpRequest& req;
    ~GiveBack() {
      req.method.swap(sr.method);
      req.target.swap(sr.target);
      req.headers.swap(sr.headers);
    }
  } give_back{sr, req};
  if (opts_.dev) {
    ARCANA_RETURN_IF_ERROR(AuthenticateDev(sr, ctx));
    NoteKeyUse(signing_name, ctx);
    return Status::Ok();
  }
  ARCANA_ASSIGN_OR_RETURN(VerifiedCaller caller, verifier_->Verify(sr, signing_name));
  ctx.account = caller.account_id;
  ctx.principal_arn = caller.principal_arn;
  ctx.region = caller.region;
  ctx.access_key_id = caller.access_key_id;
  // The Principal of the entry Verify just used: shared, not copied (a miss only when a
  // change dropped the entry meanwhile).
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = cache_.find(caller.access_key_id);
    if (it != cache_.end()) ctx.principal = it->second.entry.principal;
  }
  if (!ctx.principal) {
    ARCANA_ASSIGN_OR_RETURN(Entry e, Load(caller.access_key_id));
    ctx.principal = std::move(e.principal);
  }
  NoteKeyUse(signing_name, ctx);
  return Status::Ok();
}

void Authenticator::NoteKeyUse(std::string_view signing_name,
                               const services::CallContext& ctx) const {
  // AWS reports last use for IAM users' access keys only: not the root pair (managed by the
  // operator, not IAM) and not STS sessions (their keys expire).
  if (key_uses_ == nullptr || !ctx.principal || ctx.principal->type != Principal::Type::kUser ||
      ctx.principal->temporary) {
    return;
  }
  key_uses_->Note(ctx.access_key_id, WallMs(), signing_name, ctx.region);
}

void Authenticator::NoteServiceUse(std::string_view service, std::string_view operation,
                                   const services::CallContext& ctx) const {
  if (service_uses_ == nullptr || !ctx.principal) return;
  service_uses_->Note(*ctx.principal, service, operation, ctx.region, WallMs());
}

}  // namespace arcana::auth
