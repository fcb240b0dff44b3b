// `arcana operator ...`: init (offline, on the data dir), status, unseal, seal, rotate-root
// (online, against a running arcanad; see seal/operator_api.h), and the offline unseal the
// data-dir commands (access-key create) use.
// Credentials of the online commands: the operator token (ARCANA_OPERATOR_TOKEN, else
// --operator-token-file / ARCANA_OPERATOR_TOKEN_FILE, else <data-dir>/operator.token when
// readable), else a root identity's AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (unsealed only).
// Shamir shares go with the attempt's nonce (--nonce / ARCANA_OPERATOR_NONCE), which the
// first share of an unseal, or `rotate-root` itself, prints.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>

#include "cli/operator_client.h"
#include "common/status.h"
#include "crypto/root_key.h"
#include "storage/stores.h"

namespace arcana::cli {

class OperatorCommands {
 public:
  // Registers the `operator` subcommand tree on app; data_dir and store_url (--store; ""
  // = sqlite:<data_dir>) are read at Run time.
  OperatorCommands(CLI::App& app, const std::string& data_dir, const std::string& store_url);
  // The exit code when an operator command was given, nullopt otherwise.
  std::optional<int> Run();

 private:
  int Init();
  int Online(const std::string& what);
  OperatorAuth Credentials() const;

  const std::string& data_dir_;
  const std::string& store_url_;
  CLI::App* op_ = nullptr;
  CLI::App* init_ = nullptr;
  CLI::App* status_ = nullptr;
  CLI::App* unseal_ = nullptr;
  CLI::App* seal_ = nullptr;
  CLI::App* rotate_ = nullptr;
  int shares_ = 5;
  int threshold_ = 3;
  std::string account_ = "123456789012";
  std::string endpoint_ = "http://127.0.0.1:7770";
  int timeout_s_ = 120;  // the whole exchange with arcanad (operator_client.h: Endpoint)
  std::string token_file_;
  std::string share_;
  std::string nonce_;
  bool reset_ = false;
  bool cancel_ = false;
  bool json_ = false;
};

// The store the offline commands open: store_url (--store / ARCANA_STORE), or
// sqlite:<data_dir> when it is empty.
Result<std::unique_ptr<storage::Stores>> OpenOfflineStores(const std::string& data_dir,
                                                           const std::string& store_url);

// Unseals root for offline data-dir work: key file (root_key_file, "" = <data_dir>/root.key),
// or PKCS#11 configured by the ARCANA_SEAL / ARCANA_PKCS11_* variables. A Shamir data dir
// cannot be opened offline (kInvalidParameter).
Status UnsealOffline(storage::Stores& stores, const std::string& data_dir,
                     const std::string& root_key_file, crypto::RootKey& root);

}  // namespace arcana::cli
