// Custom key stores (AWS CloudHSM clusters, external key store proxies). Arcana keeps every
// key's material itself, under its own root of trust, and connects to no HSM cluster or XKS
// proxy, so an account here never has a custom key store. The operations answer as AWS does
// for an account without one: the list is empty and every store id names nothing
// (CustomKeyStoreNotFoundException); creating one is refused as unsupported, since it could
// never connect.
#include "domain/kms/rules.h"
#include "services/kms/kms_encode.h"
#include "services/kms/kms_service.h"

namespace arcana::services::kms {

namespace dk = domain::kms;

Status KmsService::NoSuchCustomKeyStore(const std::string& id_or_name) {
  return Status(ErrorCode::kCustomKeyStoreNotFound,
                "Custom key store " + id_or_name + " does not exist in this account and Region.");
}

Result<std::string> KmsService::DescribeCustomKeyStores(const In& in, const CallContext&) {
  if (auto id = in.Str("CustomKeyStoreId")) return NoSuchCustomKeyStore(*id);
  if (auto name = in.Str("CustomKeyStoreName")) return NoSuchCustomKeyStore(*name);
  // The (empty) list is paged like every other KMS list: a Marker names no position in it.
  std::vector<std::string> none;
  std::string next;
  ARCANA_ASSIGN_OR_RETURN(auto page, dk::Page(none, [](const std::string& n) { return n; },
                                              in.Int("Limit"), in.Str("Marker"), 1000, &next));
  return Body([&](json::Writer& w) {
    w.Key("CustomKeyStores");
    w.StartArray();
    w.EndArray();
    WritePageEnd(w, next);
  });
}

Result<std::string> KmsService::CreateCustomKeyStore(const In&, const CallContext&) {
  return Status(ErrorCode::kUnsupportedOperation,
                "Custom key stores are not supported by this server: it holds every key's "
                "material under its own root of trust.");
}

// ConnectCustomKeyStore, DisconnectCustomKeyStore, UpdateCustomKeyStore, DeleteCustomKeyStore.
Result<std::string> KmsService::CustomKeyStoreById(const In& in, const CallContext&) {
  return NoSuchCustomKeyStore(in.Str("CustomKeyStoreId").value_or(""));
}

}  // namespace arcana::services::kms
