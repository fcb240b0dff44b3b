#include "cli/operator_commands.h"

#include <arpa/inet.h>
#include <rapidjson/document.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

#include "auth/access_keys.h"
#include "cli/audit_commands.h"
#include "cli/operator_client.h"
#include "common/json.h"
#include "crypto/aead.h"
#include "seal/operator_token.h"
#include "seal/seal_manager.h"
#include "storage/committed_changes.h"

namespace arcana::cli {
namespace {

std::string Env(const char* name, const std::string& fallback = "") {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

int Die(const std::string& msg) {
  std::cerr << "arcana: " << msg << "\n";
  return 1;
}

// A share from stdin: prompted without echo on a terminal, else the first line.
std::string ReadShare() {
  std::string line;
  if (::isatty(STDIN_FILENO)) {
    std::cerr << "Unseal share (input hidden): " << std::flush;
    termios old{};
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::getline(std::cin, line);
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
  } else {
    std::getline(std::cin, line);
  }
  return line;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// Whether the endpoint is plain http to a host that is not this machine. The server accepts
// the operator token and Shamir shares only over TLS or from a loopback address, so sending
// them there can only fail, and only after they crossed the network in clear text (the CLI
// sent them: `operator --endpoint http://10.0.0.5:7770 seal` put X-Arcana-Operator-Token on
// the wire). Loopback by address, not by name prefix ("127.evil.example" is not one).
bool PlainRemote(const Endpoint& ep) {
  if (ep.tls || ep.host == "localhost") return false;
  in_addr v4{};
  if (::inet_pton(AF_INET, ep.host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) != 127;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, ep.host.c_str(), &v6) == 1) return !IN6_IS_ADDR_LOOPBACK(&v6);
  return true;
}

void PrintStatus(const rapidjson::Document& d) {
  bool sealed = d.HasMember("sealed") && d["sealed"].IsBool() && d["sealed"].GetBool();
  std::string type = d.HasMember("type") && d["type"].IsString() ? d["type"].GetString() : "";
  std::cout << "Sealed:        " << (sealed ? "true" : "false") << "\n"
            << "Root of trust: " << type << "\n";
  if (d.HasMember("threshold") && d["threshold"].IsInt()) {
    std::cout << "Threshold:     " << d["threshold"].GetInt() << " of "
              << (d.HasMember("shares") && d["shares"].IsInt() ? d["shares"].GetInt() : 0) << "\n";
    if (sealed && d.HasMember("progress") && d["progress"].IsInt()) {
      std::cout << "Unseal progress: " << d["progress"].GetInt() << "/"
                << d["threshold"].GetInt() << "\n";
    }
  }
  if (d.HasMember("root_key_id") && d["root_key_id"].IsString()) {
    std::cout << "Root key id:   " << d["root_key_id"].GetString() << "\n";
  }
}

}  // namespace

OperatorCommands::OperatorCommands(CLI::App& app, const std::string& data_dir,
                                   const std::string& store_url)
    : data_dir_(data_dir), store_url_(store_url) {
  op_ = app.add_subcommand("operator", "root of trust: init, unseal, seal, rotate-root, status");
  op_->require_subcommand(1);
  op_->add_option("--endpoint", endpoint_, "arcanad endpoint (http://HOST:PORT or https://HOST:PORT)")
      ->envname("ARCANA_ENDPOINT")->capture_default_str();
  op_->add_option("--timeout", timeout_s_,
                  "seconds the whole exchange with arcanad may take (connect, send, answer)")
      ->check(CLI::Range(1, 3600))->capture_default_str();
  op_->add_flag("--json", json_, "print the server's JSON answer");
  op_->add_option("--operator-token-file", token_file_,
                  "file holding the operator token (default <data-dir>/operator.token; "
                  "ARCANA_OPERATOR_TOKEN gives the token itself)")
      ->envname("ARCANA_OPERATOR_TOKEN_FILE");
  init_ = op_->add_subcommand(
      "init", "make a new data dir Shamir-sealed: generate the root key and print its shares once");
  init_->add_option("--shares", shares_, "number of shares")->capture_default_str();
  init_->add_option("--threshold", threshold_, "shares needed to unseal")->capture_default_str();
  init_->add_option("--account-id", account_, "account of the root identity")
      ->envname("ARCANA_ACCOUNT_ID")->capture_default_str();
  status_ = op_->add_subcommand("status", "show whether the server is sealed");
  unseal_ = op_->add_subcommand(
      "unseal", "give the server one share (argument, or stdin / prompt when omitted)");
  unseal_->add_option("share", share_, "the share text (arcs1-...)");
  unseal_->add_option("--nonce", nonce_,
                      "nonce of the unseal attempt (printed after its first share)")
      ->envname("ARCANA_OPERATOR_NONCE");
  unseal_->add_flag("--reset", reset_,
                    "discard the shares given so far (needs the operator token)");
  seal_ = op_->add_subcommand("seal", "seal the running server (needs operator credentials)");
  rotate_ = op_->add_subcommand(
      "rotate-root",
      "rewrap every key under a new root key (needs operator credentials). Shamir: prints a "
      "nonce; then each share holder runs `rotate-root --nonce N` with a current share");
  rotate_->add_option("share", share_, "Shamir: a current share (stdin / prompt when omitted)");
  rotate_->add_option("--nonce", nonce_, "Shamir: nonce of the rotation attempt")
      ->envname("ARCANA_OPERATOR_NONCE");
  rotate_->add_flag("--cancel", cancel_, "Shamir: drop the rotation attempt in progress");
}

std::optional<int> OperatorCommands::Run() {
  if (!op_->parsed()) return std::nullopt;
  if (init_->parsed()) return Init();
  if (status_->parsed()) return Online("status");
  if (unseal_->parsed()) return Online("unseal");
  if (seal_->parsed()) return Online("seal");
  if (rotate_->parsed()) return Online("rotate-root");
  return 0;
}

int OperatorCommands::Init() {
  // The first step of a new node: its data dir need not exist yet (arcanad makes it too).
  std::error_code ec;
  std::filesystem::create_directories(data_dir_, ec);
  if (ec) return Die("cannot create data dir " + data_dir_ + ": " + ec.message());
  ::chmod(data_dir_.c_str(), 0700);
  auto store = OpenOfflineStores(data_dir_, store_url_);
  if (!store.ok()) return Die(store.status().message());
  crypto::RootKey root;
  auto shares = seal::SealManager::InitShamir((*store)->meta(), (*store)->root(), root, shares_,
                                              threshold_);
  if (!shares.ok()) return Die(shares.status().message());
  // The root access key's change row, for its record (RecordCliAction below).
  storage::CommittedChanges committed;
  storage::CommittedChanges::Scope collect(&committed);
  auto fixed_id = Env("ARCANA_ROOT_ACCESS_KEY_ID");
  auto fixed_secret = Env("ARCANA_ROOT_SECRET_ACCESS_KEY");
  auto key = auth::CreateAccessKey(
      (*store)->access_keys(), root, account_,
      fixed_id.empty() ? std::nullopt : std::optional<std::string>(fixed_id),
      fixed_secret.empty() ? std::nullopt : std::optional<std::string>(fixed_secret));
  if (!key.ok()) return Die("cannot create the root access key: " + key.status().message());
  Status m = (*store)->meta().PutMeta("initialized", "1");
  if (!m.ok()) return Die(m.message());
  // Recorded like `arcana access-key create`; a failure must not hide the shares below.
  Status rec = RecordCliAction(data_dir_ + "/audit", "CreateAccessKey", key->access_key_id,
                               account_, root, **store);
  if (!rec.ok()) std::cerr << "arcana: the root access key was not recorded in the audit trail: "
                           << rec.message() << "\n";
  const std::string root_id = root.id();
  root.Wipe();
  std::cout << "Arcana root of trust initialised: Shamir " << threshold_ << " of " << shares_
            << ", root key id " << root_id;
  std::cout << "\n\nUnseal shares (shown ONCE; give each to a different operator):\n";
  for (size_t i = 0; i < shares->size(); ++i) {
    std::cout << "  Share " << (i + 1) << ": " << (*shares)[i] << "\n";
  }
  std::cout << "\narcanad starts SEALED on this data dir; unseal it with " << threshold_
            << " shares: arcana operator unseal\n";
  if (fixed_secret.empty()) {
    std::cout << "\nRoot identity access key (shown ONCE):\n"
              << "  AWS_ACCESS_KEY_ID=" << key->access_key_id << "\n"
              << "  AWS_SECRET_ACCESS_KEY=" << key->secret_access_key << "\n";
  } else {
    std::cout << "\nRoot access key " << key->access_key_id
              << " taken from ARCANA_ROOT_* (secret not shown)\n";
  }
  for (auto& s : *shares) crypto::SecureWipe(s);
  return 0;
}

OperatorAuth OperatorCommands::Credentials() const {
  OperatorAuth a;
  a.token = Env("ARCANA_OPERATOR_TOKEN");
  if (a.token.empty()) {
    std::string file = token_file_;
    if (file.empty()) {
      std::string dflt = seal::OperatorTokenPathIn(data_dir_);
      if (::access(dflt.c_str(), R_OK) == 0) file = dflt;
    }
    if (!file.empty()) {
      auto t = seal::ReadOperatorTokenFile(file);
      if (t.ok()) {
        a.token = std::move(t).value();
      } else {
        std::cerr << "arcana: warning: " << t.status().message() << "\n";
      }
    }
  }
  a.akid = Env("AWS_ACCESS_KEY_ID");
  a.secret = Env("AWS_SECRET_ACCESS_KEY");
  if (a.secret.empty()) a.akid.clear();
  return a;
}

int OperatorCommands::Online(const std::string& what) {
  auto ep = ParseEndpoint(endpoint_);
  if (!ep.ok()) return Die(ep.status().message());
  ep->timeout = std::chrono::seconds(timeout_s_);
  // Every branch below assigns it; the placeholder is an error, never an empty success.
  Result<HttpReply> reply = Status(ErrorCode::kInternalFailure, "no operator call was made");
  OperatorAuth auth = Credentials();
  struct Wipe {
    OperatorAuth& a;
    ~Wipe() {
      crypto::SecureWipe(a.token);
      crypto::SecureWipe(a.secret);
    }
  } wipe_auth{auth};
  auto need_auth = [&]() -> bool { return !auth.token.empty() || !auth.akid.empty(); };
  // Refuses before anything secret is sent (see PlainRemote): the token always, a share
  // when the request carries one. A SigV4 signature alone is no reusable secret.
  const bool plain_remote = PlainRemote(*ep);
  auto exposes = [&](bool with_share) -> std::optional<int> {
    if (!plain_remote || (!with_share && auth.token.empty())) return std::nullopt;
    return Die(std::string("refusing to send ") +
               (with_share ? "an unseal share" : "the operator token") + " over plain http to " +
               ep->host + " (not this machine): use an https:// --endpoint");
  };
  const char* kNoAuth =
      "no operator credentials: set ARCANA_OPERATOR_TOKEN (or --operator-token-file; the "
      "server writes <data-dir>/operator.token at first start), or AWS_ACCESS_KEY_ID and "
      "AWS_SECRET_ACCESS_KEY to a root identity key";
  // The body of a share submission: {"share": ..., "nonce": ...}.
  auto share_body = [&](std::string share) {
    std::string body = "{\"share\":" + JsonString(share);
    if (!nonce_.empty()) body += ",\"nonce\":" + JsonString(nonce_);
    crypto::SecureWipe(share);
    return body + "}";
  };
  if (what == "status") {
    reply = OperatorCall(*ep, "GET", "/_arcana/seal-status", "");
  } else if (what == "unseal") {
    std::string body;
    if (reset_) {
      if (!need_auth()) return Die(kNoAuth);
      if (auto rc = exposes(false)) return *rc;
      body = R"({"reset":true})";
    } else {
      // Key file / HSM servers unseal again without a share, with credentials.
      auto st = OperatorCall(*ep, "GET", "/_arcana/seal-status", "");
      if (!st.ok()) return Die(st.status().message());
      bool shamir = st->body.find("\"shamir\"") != std::string::npos;
      if (shamir) {
        if (auto rc = exposes(true)) return *rc;
        std::string share = share_;
        if (share.empty() || share == "-") share = ReadShare();
        body = share_body(std::move(share));
      } else {
        if (!need_auth()) return Die(kNoAuth);
        if (auto rc = exposes(false)) return *rc;
        body = "{}";
      }
    }
    reply = OperatorCall(*ep, "POST", "/_arcana/operator/unseal", body, &auth);
    crypto::SecureWipe(body);
  } else if (what == "rotate-root" && !nonce_.empty()) {
    if (auto rc = exposes(true)) return *rc;
    std::string share = share_;
    if (share.empty() || share == "-") share = ReadShare();
    std::string body = share_body(std::move(share));
    reply = OperatorCall(*ep, "POST", "/_arcana/operator/rotate-root", body, &auth);
    crypto::SecureWipe(body);
  } else {
    if (!need_auth()) return Die(kNoAuth);
    if (auto rc = exposes(false)) return *rc;
    std::string body = cancel_ ? R"({"cancel":true})" : "{}";
    reply = OperatorCall(*ep, "POST", "/_arcana/operator/" + what, body, &auth);
  }
  if (!reply.ok()) return Die(reply.status().message());
  rapidjson::Document d;
  const bool parsed = json::ParseBounded(reply->body, &d).ok();
  if (json_) std::cout << reply->body << "\n";
  if (reply->status != 200) {
    std::string msg = parsed && d.IsObject() && d.HasMember("message") &&
                              d["message"].IsString()
                          ? d["message"].GetString()
                          : reply->body;
    return Die(what + " failed (HTTP " + std::to_string(reply->status) + "): " + msg);
  }
  if (json_ || !parsed || !d.IsObject()) return 0;
  // The action took effect but the server's audit trail could not record it.
  if (d.HasMember("audit_warning") && d["audit_warning"].IsString()) {
    std::cerr << "arcana: WARNING: " << d["audit_warning"].GetString() << "\n";
  }
  if (what == "rotate-root" && d.HasMember("cancelled")) {
    std::cout << "Root rotation attempt cancelled\n";
    return 0;
  }
  if (what == "rotate-root" && !d.HasMember("root_key_id") && d.HasMember("nonce") &&
      d["nonce"].IsString()) {
    // Shamir: the rotation waits for a quorum of current shares under this nonce.
    int progress = d.HasMember("progress") && d["progress"].IsInt() ? d["progress"].GetInt() : 0;
    int threshold = d.HasMember("threshold") && d["threshold"].IsInt() ? d["threshold"].GetInt() : 0;
    std::cout << "Rotation nonce: " << d["nonce"].GetString() << "\n"
              << "Rotation progress: " << progress << "/" << threshold << "\n";
    if (progress == 0) {
      std::cout << "Each of " << threshold << " share holders runs: arcana operator rotate-root "
                << "--nonce " << d["nonce"].GetString() << "\n"
                << "(the new shares are printed ONCE, to the holder of the last share)\n";
    }
    return 0;
  }
  if (what == "rotate-root") {
    // A rotation's report names both keys; anything else is not one (never print shares or
    // "rotated" from an answer that does not say so).
    const bool report = d.HasMember("old_root_key_id") && d["old_root_key_id"].IsString() &&
                        d.HasMember("root_key_id") && d["root_key_id"].IsString() &&
                        d.HasMember("rewrapped") && d["rewrapped"].IsUint64();
    bool shares_ok = true;
    if (d.HasMember("shares")) {
      shares_ok = d["shares"].IsArray();
      if (shares_ok) {
        for (const auto& s : d["shares"].GetArray()) shares_ok = shares_ok && s.IsString();
      }
    }
    if (!report || !shares_ok) {
      // Not echoed: what it holds may be shares.
      return Die("rotate-root: the server's answer is not a rotation report (run `arcana "
                 "operator status` to see whether the key changed; --json shows the answer)");
    }
    std::cout << "Root key rotated: " << d["old_root_key_id"].GetString() << " -> "
              << d["root_key_id"].GetString() << " (" << d["rewrapped"].GetUint64()
              << " wrapped keys rewrapped)\n";
    if (d.HasMember("warning") && d["warning"].IsString()) {
      std::cout << "WARNING: " << d["warning"].GetString() << "\n";
    }
    if (d.HasMember("shares") && d["shares"].IsArray()) {
      std::cout << "\nNEW unseal shares (shown ONCE; the old shares no longer work):\n";
      int i = 0;
      for (const auto& s : d["shares"].GetArray()) {
        std::cout << "  Share " << ++i << ": " << s.GetString() << "\n";
      }
    }
    return 0;
  }
  PrintStatus(d);
  if (d.HasMember("nonce") && d["nonce"].IsString()) {
    std::cout << "Unseal nonce:  " << d["nonce"].GetString() << "\n"
              << "(the other share holders run: arcana operator unseal --nonce "
              << d["nonce"].GetString() << ")\n";
  }
  return 0;
}

Result<std::unique_ptr<storage::Stores>> OpenOfflineStores(const std::string& data_dir,
                                                           const std::string& store_url) {
  ARCANA_ASSIGN_OR_RETURN(auto where, storage::ParseStoreLocation(
                                          store_url.empty() ? "sqlite:" + data_dir : store_url));
  return storage::OpenStores(where);
}

Status UnsealOffline(storage::Stores& stores, const std::string& data_dir,
                     const std::string& root_key_file, crypto::RootKey& root) {
  storage::MetaStore& store = stores.meta();
  auto init = store.GetMeta("initialized");
  if (!init.ok()) return init.status();
  if (!init->has_value()) {
    return Status(ErrorCode::kInvalidParameter,
                  "this data dir is not initialised (start arcanad on it, or operator init)");
  }
  auto pending = store.GetMeta("root.pending");
  if (!pending.ok()) return pending.status();
  if (pending->has_value()) {
    return Status(ErrorCode::kInvalidParameter,
                  "a root key rotation is in progress (or was interrupted); try again later");
  }
  seal::SealOptions o;
  o.type = Env("ARCANA_SEAL");
  o.data_dir = data_dir;
  o.root_key_file = root_key_file;
  o.pkcs11.module = Env("ARCANA_PKCS11_MODULE");
  o.pkcs11.token_label = Env("ARCANA_PKCS11_TOKEN_LABEL");
  o.pkcs11.slot = std::atol(Env("ARCANA_PKCS11_SLOT", "-1").c_str());
  o.pkcs11.pin = Env("ARCANA_PKCS11_PIN");
  o.pkcs11.key_label = Env("ARCANA_PKCS11_KEY_LABEL", "arcana-root-wrap");
  seal::SealManager m(o, store, stores.root(), root);
  ARCANA_RETURN_IF_ERROR(m.Start());
  if (root.sealed()) {
    return Status(ErrorCode::kInvalidParameter,
                  "this data dir is Shamir-sealed: its root key exists only in the running "
                  "server once unsealed, so access keys cannot be created offline");
  }
  return Status::Ok();
}

}  // namespace arcana::cli
