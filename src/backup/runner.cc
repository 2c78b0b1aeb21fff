#include "backup/runner.h"

#include <chrono>

#include "io/process.h"
#include "repo/snapshot.h"
#include "sources/audit/audit_chain.h"
#include "sources/files/files.h"
#include "sources/neo4j/neo4j.h"
#include "sources/postgres/backup.h"
#include "sources/redis/redis_source.h"

namespace summit::backup {
namespace {

// Writes every stream to several sinks (one per repository) and counts the bytes once.
class TeeSink final : public ByteSink {
 public:
  TeeSink(std::vector<std::unique_ptr<ByteSink>> inner, BackupObserver& observer)
      : inner_(std::move(inner)), observer_(observer) {}
  Status Write(ByteView data) override {
    observer_.BytesCaptured(data.size());
    for (auto& s : inner_) SUMMIT_TRY(s->Write(data));
    return Ok();
  }
  Status Close() override {
    for (auto& s : inner_) SUMMIT_TRY(s->Close());
    return Ok();
  }

 private:
  std::vector<std::unique_ptr<ByteSink>> inner_;
  BackupObserver& observer_;
};

class TeeCapture final : public CaptureSink {
 public:
  TeeCapture(std::vector<CaptureSink*> inner, BackupObserver& observer) : inner_(std::move(inner)), observer_(observer) {}
  Result<std::unique_ptr<ByteSink>> OpenStream(std::string_view name) override {
    std::vector<std::unique_ptr<ByteSink>> sinks;
    for (auto* c : inner_) {
      SUMMIT_ASSIGN_OR_RETURN(auto s, c->OpenStream(name));
      sinks.push_back(std::move(s));
    }
    return std::unique_ptr<ByteSink>(new TeeSink(std::move(sinks), observer_));
  }
  void SetAttribute(std::string_view key, nlohmann::json value) override {
    for (auto* c : inner_) c->SetAttribute(key, value);
  }

 private:
  std::vector<CaptureSink*> inner_;
  BackupObserver& observer_;
};

Status RunHooks(const std::vector<std::string>& hooks, const std::string& phase, const BackupPlan& plan) {
  for (const auto& h : hooks) {
    ProcessOptions o = ShellCommand(h);
    o.env = {{"SUMMIT_BACKUP_ID", plan.id}, {"SUMMIT_BACKUP_SET", plan.set}, {"SUMMIT_HOOK", phase}};
    SUMMIT_TRY(RunChecked(o, phase + " hook '" + h + "'"));
  }
  return Ok();
}

Result<nlohmann::json> CaptureComponent(const ComponentPlan& c, CaptureSink& out, const StoreSettings& stores,
                                        std::vector<std::string>& warnings) {
  if (c.name == "postgres") {
    for (const auto& table : c.audit_tables) {
      sources::audit::ChainSpec spec;
      spec.table = table;
      sources::audit::VerifyOptions vo;
      if (c.postgres.tenant) vo.partition = *c.postgres.tenant;
      auto report = sources::audit::Verify(stores.postgres, spec, vo);
      if (!report) return Fail(std::move(report).error().Context("verifying the audit chain"));
      out.SetAttribute("audit_chain." + table, report->ToJson());
      if (!report->ok()) {
        const auto& b = report->broken.front();
        warnings.push_back("audit chain of " + table + " is broken: chain '" + b.chain + "' at position " +
                           std::to_string(b.position) + " (id " + std::to_string(b.id) + "): " + b.reason +
                           " — backed up as found, for investigation");
      }
    }
    SUMMIT_ASSIGN_OR_RETURN(auto r, sources::postgres::Backup(stores.postgres, c.postgres, out));
    return nlohmann::json{{"tables", r.tables.size()}, {"rows", r.rows}, {"bytes", r.bytes}, {"lsn", r.lsn}};
  }
  if (c.name == "neo4j") {
    SUMMIT_ASSIGN_OR_RETURN(auto r, sources::neo4j::Backup(stores.neo4j, c.neo4j, out));
    if (!r.snapshot)
      warnings.push_back("neo4j: the graph changed during the export (" + std::to_string(r.drift) +
                         " transactions); recorded as not a snapshot — pause writers with a pre-hook for an exact copy");
    return nlohmann::json{{"nodes", r.nodes}, {"relationships", r.relationships}, {"bytes", r.bytes},
                          {"snapshot", r.snapshot}};
  }
  if (c.name == "redis") {
    if (c.redis_full) {
      SUMMIT_ASSIGN_OR_RETURN(auto r, sources::redis::CaptureFull(stores.redis, out));
      return r.ToJson();
    }
    sources::redis::FilteredCaptureOptions o;
    o.filter = c.redis_filter;
    SUMMIT_ASSIGN_OR_RETURN(auto r, sources::redis::CaptureFiltered(stores.redis, o, out));
    return r.ToJson();
  }
  if (c.name == "secrets") {
    SUMMIT_ASSIGN_OR_RETURN(auto r, sources::files::Backup(c.files, out));
    SUMMIT_ASSIGN_OR_RETURN(auto e, sources::files::BackupEnvironment(c.secret_env, stores.environment, out));
    return nlohmann::json{{"files", r.files}, {"env", e.files}};
  }
  if (!c.command.empty()) {
    std::string cmd;
    for (const auto& a : c.command) cmd += (cmd.empty() ? "" : " ") + a;
    if (!c.command_workdir.empty()) cmd = "cd '" + c.command_workdir + "' && " + cmd;
    SUMMIT_TRY(sources::files::BackupCommand(c.name, cmd, out));
    return nlohmann::json{{"command", c.command.front()}};
  }
  SUMMIT_ASSIGN_OR_RETURN(auto r, sources::files::Backup(c.files, out));
  return nlohmann::json{{"files", r.files}, {"bytes", r.bytes}};
}

}  // namespace

Result<BackupOutcome> RunBackup(const BackupPlan& plan, const std::vector<repo::Repository*>& repos,
                                const StoreSettings& stores, BackupObserver& observer, const Clock& clock,
                                const std::string& host) {
  if (repos.empty()) return Fail(ErrorCode::kInternal, "RunBackup: no repository");
  BackupOutcome outcome;
  outcome.id = plan.id;
  SUMMIT_TRY(RunHooks(plan.pre_hooks, "pre", plan));
  auto result = [&]() -> Status {
    repo::SnapshotInfo info;
    info.id = plan.id;
    info.set = plan.set;
    info.tenant = plan.tenant;
    info.project = plan.project;
    info.host = host;
    info.tool_version = SUMMIT_VERSION;
    info.labels = {{"coverage", plan.coverage}};
    if (!plan.only.empty()) info.labels["only"] = plan.only;  // a narrowed set says so in its metadata
    std::vector<std::unique_ptr<repo::SnapshotWriter>> writers;
    for (auto* r : repos) {
      SUMMIT_ASSIGN_OR_RETURN(auto w, repo::SnapshotWriter::Begin(*r, info, clock));
      writers.push_back(std::move(w));
    }
    for (const auto& c : plan.components) {
      observer.ComponentStarted(c.name);
      std::vector<CaptureSink*> sinks;
      for (auto& w : writers) {
        SUMMIT_ASSIGN_OR_RETURN(CaptureSink * sink, w->Component(c.name));
        sinks.push_back(sink);
      }
      TeeCapture counting(std::move(sinks), observer);
      std::vector<std::string> warnings;
      auto summary = CaptureComponent(c, counting, stores, warnings);
      if (!summary) return Fail(std::move(summary).error().Context(c.name));
      for (auto& w : warnings) {
        observer.Warning(w);
        outcome.warnings.push_back(std::move(w));
      }
      observer.ComponentFinished(c.name, *summary);
    }
    // Commit order: every repository's manifest is written only after all captures succeeded.
    for (size_t i = 0; i < writers.size(); ++i) {
      SUMMIT_ASSIGN_OR_RETURN(auto meta, writers[i]->Finish());
      if (i == 0) outcome.metadata = std::move(meta);
    }
    return Ok();
  }();
  Status post = RunHooks(plan.post_hooks, "post", plan);
  if (!result) return Fail(std::move(result).error().Context("backup " + plan.id));
  if (!post) return Fail(std::move(post).error().Context("snapshot " + plan.id + " was written, but"));
  for (const auto& n : plan.notes) outcome.warnings.push_back(n);
  outcome.metadata["warnings"] = outcome.warnings;
  return outcome;
}

}  // namespace summit::backup
