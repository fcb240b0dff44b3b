// The SQLite IdentityStore (storage/identity_store.h): tables iam_entities, iam_access_keys,
// sts_sessions, iam_entity_secrets, and for last accessed information iam_service_last_access,
// iam_service_access_tracking and iam_service_access_jobs (component "iam").
#pragma once

#include "storage/identity_store.h"
#include "storage/sqlite/database.h"

namespace arcana::storage::sqlite {

class SqliteIdentityStore : public IdentityStore {
 public:
  explicit SqliteIdentityStore(Database& db) : db_(db) {}
  static Migrations Schema();

  Result<std::optional<IamEntity>> GetEntity(const std::string& account, const std::string& kind,
                                             const std::string& name) override;
  Result<std::vector<IamEntity>> ListEntities(const std::string& account, const std::string& kind,
                                              const std::string& path_prefix,
                                              const std::string& after_name,
                                              size_t limit) override;
  Result<IamEntityCounts> CountEntities(const std::string& account,
                                        const std::vector<std::string>& kinds) override;
  Status WriteEntities(const std::vector<EntityWrite>& writes, const std::string& op) override;
  Result<std::optional<std::string>> GetEntitySecret(const std::string& entity_id) override;
  Status PutUserAccessKey(const UserAccessKey& key, size_t max_per_user) override;
  Result<std::optional<UserAccessKey>> GetUserAccessKey(const std::string& id) override;
  Result<std::vector<UserAccessKey>> ListUserAccessKeys(const std::string& account,
                                                        const std::string& user) override;
  Status SetUserAccessKeyStatus(const std::string& account, const std::string& user,
                                const std::string& id, const std::string& status) override;
  Status DeleteUserAccessKey(const std::string& account, const std::string& user,
                             const std::string& id) override;
  Status RecordAccessKeyUses(const std::vector<AccessKeyUse>& uses) override;
  Status RenameUser(const std::string& account, const std::string& old_name,
                    const std::vector<UserAccessKey>& rebound,
                    const std::vector<EntityWrite>& writes) override;
  Status RecordServiceUses(const std::vector<ServiceUse>& uses) override;
  Result<std::vector<ServiceUse>> ListServiceUses(
      const std::string& account, const std::vector<std::string>& entity_ids) override;
  Result<int64_t> ServiceUseTrackingSince() override;
  Status PutServiceAccessJob(const ServiceAccessJob& job) override;
  Result<std::optional<ServiceAccessJob>> GetServiceAccessJob(const std::string& job_id,
                                                              int64_t now_ms) override;
  Status PutSession(const StsSession& session) override;
  Result<std::optional<StsSession>> GetSession(const std::string& id) override;
  Result<size_t> DeleteExpiredSessions(int64_t before_ms, size_t limit) override;
  // Dev-mode reset.
  Status WipeIdentities();

 private:
  Database& db_;
};

}  // namespace arcana::storage::sqlite
