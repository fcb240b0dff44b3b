// The KMS service (X-Amz-Target "TrentService.*", API 2014-11-01, SigV4 name "kms"):
// keys, aliases, the symmetric/asymmetric/HMAC data plane, rotation, grants, key policies
// and tags, per account and region. Handlers are grouped per concern in kms_*_ops.cc;
// the cryptographic engine (key resolution, materials, ciphertexts) is KeyRing.
// Errors and HTTP statuses follow spec sections 1.5 and 5; crypto operations return the
// key ARN in KeyId.
// Thread-safety: reads run concurrently; read-modify-write handlers hold the KeyRing's
// write mutex.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>

#include "auth/policy/evaluator.h"
#include "common/json.h"
#include "crypto/asymmetric.h"
#include "crypto/envelope.h"
#include "services/common/service.h"
#include "services/kms/key_ring.h"
#include "services/kms/kms_access.h"
#include "services/kms/kms_key_use_log.h"

namespace arcana::services::kms {

class KmsService : public Service {
 public:
  explicit KmsService(KeyRing& ring);

  // Where successful cryptographic operations are noted and GetKeyLastUsage reads them
  // (kms_key_use_log.h); unset, nothing is noted and GetKeyLastUsage is unsupported.
  void RecordKeyUsesIn(KmsKeyUseLog* log) { key_uses_ = log; }

  // How key policies' IAM user and role principals are looked up (CreateKey, PutKeyPolicy,
  // ReplicateKey: CheckStorableKeyPolicy); the server passes IAM's lookup. Unset (a service
  // driven directly by unit tests), only their form is checked.
  void LookUpPrincipalsWith(PrincipalExists exists) { principal_exists_ = std::move(exists); }

  std::string_view target_prefix() const override { return "TrentService"; }
  std::string_view signing_name() const override { return "kms"; }
  const ModelValidator& validator() const override { return validator_; }
  // Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext) and DescribeKey. With an
  // RSA key, Encrypt/Decrypt/ReEncrypt void the inline attempt before the RSA work.
  bool MayAnswerInline(std::string_view operation) const override;
  Result<std::string> Call(std::string_view operation, const rapidjson::Value& input,
                           const CallContext& ctx) override;

  // Purges keys whose deletion window ended and rotates keys whose automatic rotation is
  // due. Run by the "kms.maintenance" job (app/background_jobs.h); safe to call at any time.
  // report (may be empty): DeleteKey / RotateKey actions for what it did.
  Status Maintain(int64_t now_ms, const ServiceActionFn& report = {});

  // One due key's maintenance step (re-reads the key; see Maintain).
  Status MaintainKey(const storage::Scope& scope, const std::string& key_id, int64_t now_ms,
                     const ServiceActionFn& report);

 private:
  using In = json::Input;
  using Handler = Result<std::string> (KmsService::*)(const In&, const CallContext&);

  // --- shared steps (kms_service.cc) ---
  static storage::Scope ScopeOf(const CallContext& ctx) { return {ctx.account, ctx.region}; }
  // The key `ref` names, after AWS's checks of the identifier itself (malformed key id,
  // key ARN of another region: dk::ParseRequestKeyRef).
  Result<Key> ResolveKey(std::string_view ref, const CallContext& ctx, bool allow_alias,
                         bool create_aws_managed);
  // ResolveKey without the authorization, for handlers that authorize the key themselves
  // (CreateGrant with its requested grant, RetireGrant by the grant's own rule, UpdateAlias
  // and DeleteAlias on the alias's current key); they also Touch the key once authorized.
  Result<Key> ResolveKeyToAuthorize(std::string_view ref, const CallContext& ctx,
                                    bool allow_alias, bool create_aws_managed = false);
  // --- authorization (kms_access.cc) ---
  // ctx.action on the key: its key policy (required), tags, and - when the policy does not
  // allow - its grants (all of them, auth::DecideKmsKeyAccess). requested_grant: CreateGrant's
  // new grant, which a grant allowing kms:CreateGrant must cover. The policies also see the
  // key's properties (AddKeyPropertyKeys), kms:EncryptionAlgorithm SYMMETRIC_DEFAULT for a
  // cryptographic operation that names none, kms:RequestAlias = request_alias (the alias name
  // the request named the key by, "" for none) and kms:ResourceAliases (the key's aliases;
  // read from the store only when one of the policies names that key).
  Status AuthorizeKey(const CallContext& ctx, const Key& key,
                      const auth::policy::KmsGrantView* requested_grant = nullptr,
                      std::string_view request_alias = {});
  // RetireGrant's rule: the grant, not IAM, decides (kms_access.cc).
  Status AuthorizeRetireGrant(const CallContext& ctx, const Key& key,
                              const domain::kms::Grant& grant);
  // CreateKey / PutKeyPolicy / ReplicateKey's policy lockout safety check: unless the request sets
  // BypassPolicyLockoutSafetyCheck, `key` (carrying the new policy and its tags) must let the
  // caller - or, unless it denies the caller, the caller's account - make a later PutKeyPolicy
  // call; else MalformedPolicyDocumentException "The new key
  // policy will not allow you to update the key policy in the future." (AWS API reference,
  // CreateKey/PutKeyPolicy/ReplicateKey BypassPolicyLockoutSafetyCheck).
  Status CheckPolicyLockout(const In& in, const CallContext& ctx, const Key& key);
  // Key named by a member that accepts aliases (crypto ops, DescribeKey).
  Result<Key> KeyFor(const In& in, const char* member, const CallContext& ctx,
                     bool create_aws_managed = true);
  // Key named by a member that takes key id or key ARN only (management ops).
  Result<Key> ManagedKeyFor(const In& in, const char* member, const CallContext& ctx);
  // Validates GrantTokens: each must be a token this server issued for a grant it holds
  // (kms_grant_ops.cc); InvalidGrantTokenException otherwise.
  Status CheckGrantTokens(const In& in, const CallContext& ctx);
  // kDryRunOperation when DryRun is true (after every other check passed).
  static Status CheckDryRun(const In& in);
  static Result<crypto::EncryptionContext> ContextOf(const In& in, const char* member);
  // Notes that `key` served `operation` (one of GetKeyLastUsage's tracked operations) for
  // this call. Called once the operation succeeded, never for a refused or dry-run call.
  void NoteUse(const CallContext& ctx, const Key& key, std::string_view operation);
  static Result<std::string> BlobOf(const In& in, const char* member);

  struct EncryptOut {
    Key key;
    std::string blob;
    std::string algorithm;
    std::string material_id;  // symmetric only
  };
  struct DecryptOut {
    Key key;
    std::string plaintext;
    std::string algorithm;
    std::string material_id;  // symmetric only
  };
  // `operation` names the call in usage errors ("... not valid for ReEncrypt.").
  Result<EncryptOut> DoEncrypt(const Key& key, const std::string& algorithm,
                               const crypto::EncryptionContext& ec, std::string_view plaintext,
                               std::string_view operation);
  // Decrypt's and ReEncrypt's DryRun with DryRunModifiers IGNORE_CIPHERTEXT: the key
  // `member` names (KeyId, SourceKeyId; kValidation when absent), authorized for ctx.action
  // and able to decrypt with `algorithm`. The ciphertext is not read.
  Status CheckDecryptKeyOnly(const In& in, const char* member, const CallContext& ctx,
                             const std::string& algorithm, std::string_view op);
  // kms:ReEncryptOnSameKey: whether ReEncrypt's destination key is the source key (named by
  // SourceKeyId, else by the ciphertext `blob`); nullopt when either does not resolve.
  // Resolves without authorizing (the handler authorizes each end afterwards).
  std::optional<bool> ReEncryptsOnSameKey(const In& in, std::string_view blob,
                                          const CallContext& to_ctx,
                                          const CallContext& from_ctx);
  Result<DecryptOut> DoDecrypt(const CallContext& ctx, std::string_view blob,
                               const std::optional<std::string>& key_ref,
                               const std::string& algorithm, const crypto::EncryptionContext& ec,
                               std::string_view operation);

  // --- operations ---
  // keys (kms_key_ops.cc)
  Result<std::string> CreateKey(const In&, const CallContext&);
  Result<std::string> DescribeKey(const In&, const CallContext&);
  Result<std::string> ListKeys(const In&, const CallContext&);
  Result<std::string> UpdateKeyDescription(const In&, const CallContext&);
  Result<std::string> EnableKey(const In&, const CallContext&);
  Result<std::string> DisableKey(const In&, const CallContext&);
  Result<std::string> ScheduleKeyDeletion(const In&, const CallContext&);
  Result<std::string> CancelKeyDeletion(const In&, const CallContext&);
  // aliases (kms_alias_ops.cc)
  Result<std::string> CreateAlias(const In&, const CallContext&);
  Result<std::string> UpdateAlias(const In&, const CallContext&);
  Result<std::string> DeleteAlias(const In&, const CallContext&);
  Result<std::string> ListAliases(const In&, const CallContext&);
  // data plane (kms_crypto_ops.cc)
  Result<std::string> Encrypt(const In&, const CallContext&);
  Result<std::string> Decrypt(const In&, const CallContext&);
  Result<std::string> ReEncrypt(const In&, const CallContext&);
  Result<std::string> GenerateDataKey(const In&, const CallContext&);
  Result<std::string> GenerateDataKeyWithoutPlaintext(const In&, const CallContext&);
  Result<std::string> GenerateDataKeyPair(const In&, const CallContext&);
  Result<std::string> GenerateDataKeyPairWithoutPlaintext(const In&, const CallContext&);
  Result<std::string> GenerateRandom(const In&, const CallContext&);
  // signatures and MACs (kms_sign_ops.cc)
  // The private key of key's current material (asymmetric keys).
  Result<crypto::PKey> CurrentPrivateKey(const domain::kms::Key& key);
  // HMAC of message under key's current material (HMAC keys; alg already checked).
  Result<std::string> MacOf(const domain::kms::Key& key, const std::string& alg,
                            const std::string& message);
  Result<std::string> Sign(const In&, const CallContext&);
  Result<std::string> Verify(const In&, const CallContext&);
  Result<std::string> GetPublicKey(const In&, const CallContext&);
  Result<std::string> GenerateMac(const In&, const CallContext&);
  Result<std::string> VerifyMac(const In&, const CallContext&);
  // rotation (kms_rotation_ops.cc)
  Result<std::string> EnableKeyRotation(const In&, const CallContext&);
  Result<std::string> DisableKeyRotation(const In&, const CallContext&);
  Result<std::string> GetKeyRotationStatus(const In&, const CallContext&);
  Result<std::string> RotateKeyOnDemand(const In&, const CallContext&);
  Result<std::string> ListKeyRotations(const In&, const CallContext&);
  // last use (kms_usage_ops.cc)
  Result<std::string> GetKeyLastUsage(const In&, const CallContext&);
  // grants (kms_grant_ops.cc)
  Result<std::string> CreateGrant(const In&, const CallContext&);
  Result<std::string> ListGrants(const In&, const CallContext&);
  Result<std::string> ListRetirableGrants(const In&, const CallContext&);
  Result<std::string> RetireGrant(const In&, const CallContext&);
  Result<std::string> RevokeGrant(const In&, const CallContext&);
  // key agreement (kms_sign_ops.cc)
  Result<std::string> DeriveSharedSecret(const In&, const CallContext&);
  // imported key material (kms_import_ops.cc)
  Result<std::string> GetParametersForImport(const In&, const CallContext&);
  Result<std::string> ImportKeyMaterial(const In&, const CallContext&);
  Result<std::string> DeleteImportedKeyMaterial(const In&, const CallContext&);
  // multi-Region keys (kms_multi_region_ops.cc)
  Result<std::string> ReplicateKey(const In&, const CallContext&);
  Result<std::string> UpdatePrimaryRegion(const In&, const CallContext&);
  // policies and tags (kms_policy_tag_ops.cc)
  Result<std::string> GetKeyPolicy(const In&, const CallContext&);
  Result<std::string> PutKeyPolicy(const In&, const CallContext&);
  Result<std::string> ListKeyPolicies(const In&, const CallContext&);
  Result<std::string> TagResource(const In&, const CallContext&);
  Result<std::string> UntagResource(const In&, const CallContext&);
  Result<std::string> ListResourceTags(const In&, const CallContext&);
  // custom key stores: none exist here (kms_custom_key_store_ops.cc)
  Result<std::string> DescribeCustomKeyStores(const In&, const CallContext&);
  Result<std::string> CreateCustomKeyStore(const In&, const CallContext&);
  Result<std::string> CustomKeyStoreById(const In&, const CallContext&);
  // CustomKeyStoreNotFoundException: what any custom key store id or name gets here (also in
  // CreateKey and GenerateRandom).
  static Status NoSuchCustomKeyStore(const std::string& id_or_name);

  Result<std::string> GenerateDataKeyCommon(const In&, const CallContext&, bool with_plaintext);
  Result<std::string> GenerateDataKeyPairCommon(const In&, const CallContext&, bool with_plaintext);
  Result<std::string> SetEnabled(const In&, const CallContext&, bool enabled);
  Result<std::string> SetRotation(const In&, const CallContext&, bool enabled);

  KeyRing& ring_;
  KmsKeyUseLog* key_uses_ = nullptr;
  PrincipalExists principal_exists_;  // unset: principals are not looked up
  ModelValidator validator_;
  std::unordered_map<std::string, Handler> handlers_;
};

}  // namespace arcana::services::kms
