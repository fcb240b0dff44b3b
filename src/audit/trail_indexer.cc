#include "audit/trail_indexer.h"

#include <spdlog/spdlog.h>

#include "audit/lookup_keys.h"
#include "audit/trail_query.h"
#include "audit/trail_reader.h"
#include "common/json.h"

namespace arcana::audit {
namespace {

// The node's record files, oldest first (none when it has none yet).
Result<NodeFiles> FilesOf(const std::string& dir, const std::string& node) {
  ARCANA_ASSIGN_OR_RETURN(auto nodes, ListNodes(dir));
  for (auto& n : nodes) {
    if (n.node == node) return std::move(n);
  }
  return NodeFiles{};
}

}  // namespace

TrailIndexer::TrailIndexer(std::string dir, std::string node, storage::AuditIndexStore& store,
                           std::function<uint64_t()> durable_through,
                           std::function<int64_t()> now_ms, std::chrono::milliseconds period)
    : dir_(std::move(dir)),
      node_(std::move(node)),
      store_(store),
      durable_through_(std::move(durable_through)),
      now_ms_(std::move(now_ms)),
      thread_(period, [this] {
        // Logged when shipping starts failing and when it works again, not every second of
        // an outage; nothing is lost meanwhile (the files keep the records).
        const Status st = CatchUp();
        if (!st.ok() && !failing_) {
          spdlog::warn("audit: cannot ship records to the store's index (LookupEvents on other "
                       "nodes lacks this node's newest records until it can): {}", st.message());
        } else if (st.ok() && failing_) {
          spdlog::info("audit: shipping records to the store's index again");
        }
        failing_ = !st.ok();
      }) {}

TrailIndexer::~TrailIndexer() { Stop(); }

void TrailIndexer::Start() { thread_.Start(); }
void TrailIndexer::Stop() { thread_.Stop(); }

int64_t TrailIndexer::Now() const {
  if (now_ms_) return now_ms_();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status TrailIndexer::CatchUp(std::chrono::steady_clock::time_point until) {
  std::unique_lock<std::timed_mutex> lock(mu_, std::defer_lock);
  if (!lock.try_lock_until(until)) return Status::Ok();
  return ShipLocked(until);
}

Status TrailIndexer::Locate() {
  ARCANA_ASSIGN_OR_RETURN(const uint64_t shipped, store_.LastAuditSequence(node_));
  ARCANA_ASSIGN_OR_RETURN(const NodeFiles files, FilesOf(dir_, node_));
  at_ = Position{files.numbers.empty() ? 0 : files.numbers.front(), 0, shipped};
  shipped_.store(shipped, std::memory_order_release);
  // The newest file that begins at or before the first record the store lacks.
  for (size_t i = files.numbers.size(); i-- > 0;) {
    uint64_t first = 0;
    ARCANA_RETURN_IF_ERROR(ForEachLineFrom(files.record_files[i], 0, [&](std::string_view line) {
      first = SequenceOf(line);
      return false;
    }));
    if (first != 0 && first <= shipped + 1) {
      at_.file = files.numbers[i];
      break;
    }
  }
  return Status::Ok();
}

Status TrailIndexer::ShipLocked(std::chrono::steady_clock::time_point until) {
  if (!located_) {
    ARCANA_RETURN_IF_ERROR(Locate());
    located_ = true;
  }
  const uint64_t durable = durable_through_();
  if (at_.shipped >= durable) return Status::Ok();
  const int64_t oldest_ms =
      Now() - std::chrono::duration_cast<std::chrono::milliseconds>(
                  storage::AuditIndexStore::kRetention).count();
  Position cur = at_;
  std::vector<storage::IndexedAuditRecord> batch;
  // The store has the batch: the position may move past it (and past what was skipped).
  auto flush = [&]() -> Status {
    if (!batch.empty()) ARCANA_RETURN_IF_ERROR(store_.AddAuditRecords(batch));
    batch.clear();
    at_ = cur;
    shipped_.store(at_.shipped, std::memory_order_release);
    return Status::Ok();
  };
  bool stop = false;
  Status failed = Status::Ok();
  while (!stop) {
    ARCANA_ASSIGN_OR_RETURN(const NodeFiles files, FilesOf(dir_, node_));
    size_t i = 0;
    while (i < files.numbers.size() && files.numbers[i] < cur.file) ++i;
    if (i == files.numbers.size()) break;
    if (files.numbers[i] != cur.file) cur = Position{files.numbers[i], 0, cur.shipped};
    ARCANA_RETURN_IF_ERROR(ForEachLineFrom(files.record_files[i], cur.offset,
                                           [&](std::string_view line) {
      const uint64_t seq = SequenceOf(line);
      if (seq > durable) {  // not durable yet: it may still be cut off
        stop = true;
        return false;
      }
      if (seq > cur.shipped) {
        rapidjson::Document doc;
        if (json::ParseBounded(line, &doc).ok() && doc.IsObject()) {
          auto t = doc.FindMember("eventTime");
          const int64_t time_ms =
              t != doc.MemberEnd() && t->value.IsString() ? ParseIsoTime(t->value.GetString()) : -1;
          if (time_ms >= oldest_ms) {
            auto str = [&](const char* k) {
              auto it = doc.FindMember(k);
              return it != doc.MemberEnd() && it->value.IsString()
                         ? std::string(it->value.GetString(), it->value.GetStringLength())
                         : std::string();
            };
            batch.push_back(storage::IndexedAuditRecord{node_, seq, time_ms,
                                                        str("recipientAccountId"),
                                                        str("awsRegion"), LookupKeysOf(doc),
                                                        std::string(line)});
          }
        }
        cur.shipped = seq;
      }
      cur.offset += line.size() + 1;
      if (batch.size() >= kBatch) {
        failed = flush();
        if (!failed.ok() || std::chrono::steady_clock::now() >= until) {
          stop = true;
          return false;
        }
      }
      return true;
    }));
    ARCANA_RETURN_IF_ERROR(failed);
    // A file with a newer one after it is complete (the trail rotated past it).
    if (stop || i + 1 >= files.numbers.size()) break;
    cur = Position{files.numbers[i + 1], 0, cur.shipped};
  }
  return flush();
}

}  // namespace arcana::audit
