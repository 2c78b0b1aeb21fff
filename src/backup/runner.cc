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

// Counts bytes on their way into the repository, for progress.
class CountingSink final : public ByteSink {
 public:
  CountingSink(std::unique_ptr<ByteSink> inner, BackupObserver& observer) : inner_(std::move(inner)), observer_(observer) {}
  Status Write(ByteView data) override {
    observer_.BytesCaptured(data.size());
    return inner_->Write(data);
  }
  Status Close() override { return inner_->Close(); }

 private:
  std::unique_ptr<ByteSink> inner_;
  BackupObserver& observer_;
};

class CountingCapture final : public CaptureSink {
 public:
  CountingCapture(CaptureSink& inner, BackupObserver& observer) : inner_(inner), observer_(observer) {}
  Result<std::unique_ptr<ByteSink>> OpenStream(std::string_view name) override {
    SUMMIT_ASSIGN_OR_RETURN(auto s, inner_.OpenStream(name));
    return std::unique_ptr<ByteSink>(new CountingSink(std::move(s), observer_));
  }
  void SetAttribute(std::string_view key, nlohmann::json value) override { inner_.SetAttribute(key, std::move(value)); }

 private:
  CaptureSink& inner_;
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

Result<BackupOutcome> RunBackup(const BackupPlan& plan, repo::Repository& repo, const StoreSettings& stores,
                                BackupObserver& observer, const Clock& clock, const std::string& host) {
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
    SUMMIT_ASSIGN_OR_RETURN(auto writer, repo::SnapshotWriter::Begin(repo, info, clock));
    for (const auto& c : plan.components) {
      observer.ComponentStarted(c.name);
      SUMMIT_ASSIGN_OR_RETURN(CaptureSink * sink, writer->Component(c.name));
      CountingCapture counting(*sink, observer);
      std::vector<std::string> warnings;
      auto summary = CaptureComponent(c, counting, stores, warnings);
      if (!summary) return Fail(std::move(summary).error().Context(c.name));
      for (auto& w : warnings) {
        observer.Warning(w);
        outcome.warnings.push_back(std::move(w));
      }
      observer.ComponentFinished(c.name, *summary);
    }
    SUMMIT_ASSIGN_OR_RETURN(outcome.metadata, writer->Finish());
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
