// EventBridge event buses, rules and targets on the same endpoint (X-Amz-Target "AWSEvents.*",
// signing name "events", JSON 1.1), per account and region:
//  - buses: the default bus (every account's in every region, never created: its
//    CreationTime is the first time it was asked about in its account and region, kept in
//    the store's meta so that every node and restart answers the same) and custom buses
//    (CreateEventBus with Name, Description and Tags, UpdateEventBus's Description,
//    DeleteEventBus of one without rules, DescribeEventBus, ListEventBuses by name with the
//    default bus among them; at most kMaxBusesPerRegion; partner sources, KMS keys and
//    dead-letter or log configurations are refused), and any bus's resource-based policy
//    (PutPermission, RemovePermission; at most kMaxBusPolicyChars, else
//    PolicyLengthExceededException; answered as Policy; PutEvents from another account onto
//    the bus needs it), in AWS's recorded words (a bus that does
//    not exist is "Event bus <name> does not exist.", named by its name even when given by
//    ARN; deleting one succeeds; "Cannot delete event bus default.");
//  - rules of a bus (EventBusName: a name or an ARN of this account and region, absent: the
//    default bus): PutRule, DescribeRule, ListRules, DeleteRule, EnableRule, DisableRule,
//    PutTargets, ListTargetsByRule, ListRuleNamesByTarget, RemoveTargets; a rule of a custom
//    bus is arn:...:rule/<bus>/<name> and the same name on two buses is two rules;
//  - TestEventPattern; PutEvents (an application's own events onto the bus each entry names,
//    matched and delivered like Arcana's, which go to the default bus; an entry for a bus that
//    does not exist is accepted and dropped, as AWS does; per-entry errors as EventBridge
//    answers them: a missing Source, DetailType or Detail InvalidArgument, a Detail that is
//    no JSON object MalformedDetail "Detail is malformed.", an "aws." source
//    NotAuthorizedForSourceException "Not authorized for the source.", as AWS reserves it);
//  - TagResource, UntagResource and ListTagsForResource of rules and buses
//    (domain/events/rule_tags.h: 50 tags per resource, "aws:" keys reserved; PutRule's and
//    CreateEventBus's Tags apply on creation (PutRule's are ignored on an update, as on AWS);
//    a rule's or custom bus's tags are deleted with it, the default bus's stay, as the bus
//    does);
//  - archives and replays (events_archive_ops.cc): CreateArchive, DescribeArchive,
//    ListArchives, UpdateArchive, DeleteArchive (an archive keeps the events of its bus its
//    pattern matches: events/event_bus.h), StartReplay, DescribeReplay, ListReplays,
//    CancelReplay (a replay runs as a leased job: events/replays.h).
// Buses, rules, archives and replays live in the store (storage/event_rule_store.h); what
// matches them and where events go is events/.
//
// Targets are HTTP(S) endpoints (a target's Arn is the endpoint URL itself:
// "https://hooks.example.com/arcana") or Lambda functions of the rule's account and region
// (arn:aws:lambda:REGION:ACCOUNT:function:NAME, invoked asynchronously with the event; the
// function's policy must let events.amazonaws.com invoke it for the rule, as on AWS) or event
// buses of the rule's account and region (arn:aws:events:REGION:ACCOUNT:event-bus/NAME: the
// event is put onto that bus as it is) or API destinations of the rule's account and region
// (arn:aws:events:REGION:ACCOUNT:api-destination/NAME/UUID, with the target's HttpParameters:
// static path, header and query string values); any other ARN is refused with
// ValidationException.
//
// Connections and API destinations (events_connection_ops.cc): CreateConnection,
// DescribeConnection, ListConnections, UpdateConnection, DeleteConnection,
// DeauthorizeConnection (BASIC, API_KEY, OAUTH_CLIENT_CREDENTIALS with their
// InvocationHttpParameters) and CreateApiDestination, DescribeApiDestination,
// ListApiDestinations, UpdateApiDestination, DeleteApiDestination, answered in AWS's recorded
// shapes and words (LocalStack's AWS-validated test_api_destinations_and_connection snapshot).
// A connection's credentials (Password, ApiKeyValue, ClientSecret, IsValueSecret parameter
// values) are sealed under the root key (as IAM entities' secrets are, bound to the
// connection's ARN, re-sealed by the root's rotation)
// in the connection's own row (storage/event_connection_store.h), which deliveries read, and
// never answered, logged or audited. As on AWS they are also kept in a Secrets Manager secret
// managed by EventBridge (KeepCredentialsIn): "events!connection/<name>/<uuid>" (a UUID of
// its own), OwningService "events", its value the credentials as EventBridge stores them
// (domain/events/connection.h: ManagedSecretValue), readable with GetSecretValue by whoever
// may read it, changed only here. DescribeConnection answers its ARN as SecretArn. It gets a
// new version when UpdateConnection changes the credentials, and is scheduled for deletion
// (7 days) when the connection is deauthorized (a later UpdateConnection with credentials
// creates a new one) or deleted. CreateConnection also makes the account's service-linked
// role for API destinations when it has none (EnsureLinkedRolesWith), as AWS does. It is written after the connection's row is read and
// authorized: created before the row (whose document names it; a failed row write deletes
// it), changed and deleted after the row's write. An API destination's target is resolved at
// each delivery attempt (ApiDestinationRequest): a destination or connection deleted or
// deauthorized meanwhile fails the attempt, and the delivery dead-letters after its retries.
// API destinations must be https:// (as AWS requires); InvocationRateLimitPerSecond is
// enforced per node by the deliverer (events/delivery.h).
// Of a target's members Input (a constant JSON body instead of the event), InputPath and
// InputTransformer (domain/events/input_transform.h; at most one of the three, and every
// placeholder of a template defined, as AWS checks them), RetryPolicy (MaximumRetryAttempts
// kept and answered as given; delivery retries at most 8 times) and RoleArn (kept, unused)
// are honoured; the others
// (DeadLetterConfig, SqsParameters, ...) are refused.
// Limits as AWS: 300 rules per bus, 5 targets per rule. A rule of the default bus may have a
// ScheduleExpression (rate(...) or cron(...), with or without an EventPattern): it runs on
// that schedule once across every node (events/scheduled_rules.h), sending its targets a
// "Scheduled Event"; a malformed one is refused as AWS refuses it ("Parameter
// ScheduleExpression is not valid.", domain/events/schedule_expression.h), and one on another
// bus with AWS's "ScheduleExpression is supported only on the default event bus.".
// Rule names and target ids are checked against the model's patterns ([\.\-_A-Za-z0-9]+) with
// AWS's "1 validation error detected" wording, and so are event bus names or ARNs
// (EventBusNameOrArn, matched by EventBusNameOrArnMatches).
// Thread-safety: Call may run concurrently (state is in the store).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/root_key.h"
#include "domain/events/archive.h"
#include "domain/events/connection.h"
#include "events/event_bus.h"
#include "events/oauth_token_cache.h"
#include "services/common/service.h"
#include "storage/event_connection_store.h"
#include "storage/event_delivery_store.h"
#include "storage/event_rule_store.h"
#include "storage/job_store.h"
#include "storage/meta_store.h"

namespace arcana::services::sm {
class SecretsManagerService;
}  // namespace arcana::services::sm

namespace arcana::services::events {

inline constexpr size_t kMaxRulesPerBus = 300;
inline constexpr size_t kMaxBusesPerRegion = 100;  // custom buses (AWS's quota, adjustable)
inline constexpr size_t kMaxBusPolicyChars = 10240;  // a bus's policy (AWS's quota)
inline constexpr size_t kMaxTargetsPerRule = 5;

class EventsService final : public Service {
 public:
  // `meta` keeps the default bus's creation time per account and region.
  EventsService(storage::EventRuleStore& rules, storage::MetaStore& meta);
  // PutEvents hands its events to `bus` (this node's event bus; it must outlive this object).
  // Without one (no bus configured) PutEvents accepts events that then match no rule.
  void PublishTo(::arcana::events::EventBus* bus) { bus_ = bus; }
  // Where scheduled rules' runs are scheduled (the store's jobs), and how this node's
  // scheduler is woken to see a new one. Without it PutRule refuses a ScheduleExpression.
  void ScheduleRunsWith(storage::JobStore* jobs, std::function<void()> wake) {
    jobs_ = jobs;
    wake_ = std::move(wake);
  }
  // Serves connections and API destinations from `connections`, their credentials sealed
  // under `root` (both must outlive this object); without them those operations are refused.
  void ServeConnectionsWith(storage::EventConnectionStore* connections,
                            const crypto::RootKey* root) {
    connections_ = connections;
    root_ = root;
  }
  // Keeps each connection's credentials in a managed secret of `secrets` as well (it must
  // outlive this object); without it connections have no SecretArn.
  void KeepCredentialsIn(sm::SecretsManagerService* secrets) { secrets_ = secrets; }
  // How CreateConnection makes sure of its account's service-linked role
  // (AWSServiceRoleForAmazonEventBridgeApiDestinations, of principal
  // apidestinations.events.amazonaws.com), as AWS's EventBridge does; without it, it does not.
  using LinkedRoleFn = std::function<Status(const CallContext&, const std::string& principal)>;
  void EnsureLinkedRolesWith(LinkedRoleFn fn) { linked_role_ = std::move(fn); }
  // The call (request and the destination's InvocationRateLimitPerSecond) one delivery
  // attempt of `d` (whose url is an API destination's ARN) makes:
  // the destination and its connection as they are now, the connection's credentials
  // unsealed, an OAuth token fetched (or cached), and the HttpParameters of the rule's target
  // d.target_id. Errors: a destination or connection that no longer exists, a deauthorized
  // connection, a token endpoint that fails: the attempt fails (and is retried).
  Result<domain::events::ApiDestinationCall> ApiDestinationRequest(
      const storage::EventDelivery& d);
  std::string_view target_prefix() const override { return "AWSEvents"; }
  std::string_view signing_name() const override { return "events"; }
  const ModelValidator& validator() const override { return validator_; }
  Result<std::string> Call(std::string_view operation, const rapidjson::Value& input,
                           const CallContext& ctx) override;

 private:
  Result<std::string> PutRule(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> DescribeRule(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> ListRules(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> DeleteRule(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> SetState(const rapidjson::Value& in, const CallContext& ctx,
                               const char* state);
  Result<std::string> PutTargets(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> ListTargetsByRule(const rapidjson::Value& in, const CallContext& ctx);
  // The names of the rules with a target of this TargetArn (an endpoint URL here), by name.
  Result<std::string> ListRuleNamesByTarget(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> RemoveTargets(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> TestEventPattern(const rapidjson::Value& in, const CallContext& ctx);
  // Custom events onto the default bus, routed to the rules they match like Arcana's own.
  Result<std::string> PutEvents(const rapidjson::Value& in, const CallContext& ctx);
  // events:PutEvents on each bus the entries name (each once), with its policy as the
  // resource policy; the default bus when they name none that can be reached. Returns the
  // ARNs of those that exist (an entry for any other is accepted and dropped).
  Result<std::vector<std::string>> AuthorizePutEvents(const rapidjson::Value& entries,
                                                      const CallContext& ctx);
  Result<std::string> TagResource(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> UntagResource(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> ListTagsForResource(const rapidjson::Value& in, const CallContext& ctx);
  // A bus by name or ARN (Name absent: the default bus); one that does not exist is
  // ResourceNotFoundException "Event bus <name> does not exist.".
  Result<std::string> DescribeEventBus(const rapidjson::Value& in, const CallContext& ctx);
  // The buses whose names start with NamePrefix, by name, the default bus among them.
  Result<std::string> ListEventBuses(const rapidjson::Value& in, const CallContext& ctx);
  // A custom bus (Name, Description, Tags; partner sources, KMS keys, dead-letter and log
  // configurations are refused); UpdateEventBus sets its Description; DeleteEventBus deletes
  // one without rules (a bus that does not exist: success, as on AWS).
  Result<std::string> CreateEventBus(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> UpdateEventBus(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> DeleteEventBus(const rapidjson::Value& in, const CallContext& ctx);
  // Connections and API destinations (events_connection_ops.cc).
  Result<std::string> CreateConnection(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> DescribeConnection(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> ListConnections(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> UpdateConnection(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> DeleteConnection(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> DeauthorizeConnection(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> CreateApiDestination(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> DescribeApiDestination(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> ListApiDestinations(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> UpdateApiDestination(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> DeleteApiDestination(const rapidjson::Value& in, const CallContext& ctx);
  // The connection store, or ValidationException when this server serves none.
  Result<storage::EventConnectionStore*> Connections();
  // A connection's credentials (its full AuthParameters JSON) sealed / opened under the root
  // key, bound to the connection's ARN (base64 text, as stored).
  Result<std::string> SealConnectionSecret(const storage::Scope& scope, const std::string& arn,
                                           const std::string& full);
  Result<std::string> OpenConnectionSecret(const storage::Scope& scope, const std::string& arn,
                                           const std::string& sealed);
  // The connection `name`'s managed secret, holding `full` (AuthParameters of type `type`):
  // its ARN ("" without KeepCredentialsIn).
  Result<std::string> CreateCredentialsSecret(const CallContext& ctx, const std::string& name,
                                              const std::string& type, const std::string& full);
  // A new version of it holding `full`.
  Status PutCredentialsSecret(const CallContext& ctx, const std::string& secret_arn,
                              const std::string& type, const std::string& full);
  // Schedules its deletion (7 days; `at_once`: now). "" : nothing to do. A failure is
  // logged, not answered: the connection that named the secret has let go of it already.
  void DropCredentialsSecret(const CallContext& ctx, const std::string& secret_arn,
                             bool at_once = false);
  Result<storage::EventBusRecord> DefaultBus(const CallContext& ctx);
  // A bus's resource-based policy: PutPermission adds (or replaces, by StatementId) an
  // events:PutEvents statement for an account or "*", or sets a whole Policy document;
  // RemovePermission removes a statement or all of them. DescribeEventBus answers it as
  // Policy; PutEvents honours it (another account's calls onto the bus).
  Result<std::string> PutPermission(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> RemovePermission(const rapidjson::Value& in, const CallContext& ctx);
  // Archives and replays (events_archive_ops.cc).
  Result<std::string> CreateArchive(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> DescribeArchive(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> ListArchives(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> UpdateArchive(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> DeleteArchive(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> StartReplay(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> DescribeReplay(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> ListReplays(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> CancelReplay(const rapidjson::Value& in, const CallContext& ctx);
  // An archive of the caller's scope; ResourceNotFoundException "Archive <name> does not
  // exist." when absent.
  Result<domain::events::Archive> ArchiveOf(const CallContext& ctx, const std::string& name);
  // A replay's state as answered: CANCELLING once cancelled and until its runner ends it.
  Result<std::string> ReplayState(const CallContext& ctx, const domain::events::Replay& r);
  // A replay of the caller's scope (nullopt when absent), and in *state ReplayState's answer.
  Result<std::optional<domain::events::Replay>> ReplayOf(const CallContext& ctx,
                                                        const std::string& name,
                                                        std::string* state);
  // The default bus's creation time in the caller's account and region (epoch ms): stored on
  // first use with MetaStore::PutMetaIfAbsent, so concurrent first uses agree on one value.
  Result<int64_t> DefaultBusCreatedMs(const CallContext& ctx);

  storage::EventRuleStore& rules_;
  storage::MetaStore& meta_;
  ::arcana::events::EventBus* bus_ = nullptr;
  storage::EventConnectionStore* connections_ = nullptr;
  const crypto::RootKey* root_ = nullptr;
  sm::SecretsManagerService* secrets_ = nullptr;
  LinkedRoleFn linked_role_;
  ::arcana::events::OAuthTokenCache oauth_tokens_;
  storage::JobStore* jobs_ = nullptr;
  std::function<void()> wake_;
  ModelValidator validator_;
};

// The rule's ARN: arn:aws:events:<region>:<account>:rule/<name> on the default bus,
// .../rule/<bus>/<name> on a custom one.
std::string RuleArn(const std::string& account, const std::string& region,
                    const std::string& bus, const std::string& name);

// The model's EventBusNameOrArn pattern, as AWS matches it (whole value):
// (arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[/\.\-_A-Za-z0-9]+
bool EventBusNameOrArnMatches(std::string_view s);

// The model's ConnectionArn pattern, as AWS matches it (recorded: "... at 'connectionArn'
// failed to satisfy constraint: Member must satisfy regular expression pattern: ^arn:aws..."):
// ^arn:aws([a-z]|\-)*:events:([a-z]|\d|\-)*:([0-9]{12})?:connection\/[\.\-_A-Za-z0-9]+\/[\-A-Za-z0-9]+$
bool ConnectionArnMatches(std::string_view s);

// The meta key holding the default bus's creation time (epoch ms, decimal) of an account
// and region.
std::string DefaultBusCreatedMetaKey(const std::string& account, const std::string& region);

}  // namespace arcana::services::events
