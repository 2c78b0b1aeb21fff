#include "backup/runner.h"

#include <chrono>
#include <map>

#include "core/log.h"

#include "io/process.h"
#include "repo/retention.h"
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
    nlohmann::json summary = {{"tables", r.tables.size()}, {"rows", r.rows}, {"bytes", r.bytes}, {"lsn", r.lsn}};
    if (!r.base.empty()) summary["base"] = r.base;
    if (!r.full_reason.empty()) summary["full_reason"] = r.full_reason;
    return summary;
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

// The chain length of a snapshot's postgres capture: 0 for a full capture, else its base's + 1.
int ChainLength(const nlohmann::json& attributes) {
  return attributes.value("incremental", nlohmann::json::object()).value("chain", 0);
}

// Why `chain` (a candidate base and, transitively, its bases) cannot be read from `snapshots`
// of repository `where`; "" when it can.
std::string MissingFromChain(const std::string& base, const std::vector<repo::SnapshotManifest>& snapshots,
                             const std::string& where) {
  std::map<std::string, std::vector<std::string>> bases_of;
  for (const auto& m : snapshots) bases_of[m.id] = m.bases;
  if (!bases_of.count(base)) return "base " + base + " is not in " + where;
  auto closure = repo::ClosureOfBases(bases_of, {base});
  if (closure.missing.empty()) return "";
  return "snapshot " + closure.missing.front().first + ", a base of " + closure.missing.front().second +
         " in the chain of " + base + ", is not in " + where;
}

// Why `base` cannot serve as a base for every repository of the backup; "" when it can.
Result<std::string> BaseRefusal(const repo::SnapshotManifest& base, const std::vector<repo::Repository*>& repos,
                                const std::vector<repo::SnapshotManifest>& first_repo_snapshots,
                                const IncrementalPlan& inc) {
  const repo::SnapshotComponent* pg = base.FindComponent("postgres");
  if (!pg) return "snapshot " + base.id + " has no postgres component";
  if (ChainLength(pg->attributes) + 1 > inc.max_chain)
    return "a chain on " + base.id + " would be longer than max_chain " + std::to_string(inc.max_chain);
  // Each repository gets the same delta, so each must hold the whole chain below the base, or
  // the new snapshot could not be restored from it.
  for (size_t i = 0; i < repos.size(); ++i) {
    std::vector<repo::SnapshotManifest> listed;
    if (i > 0) {
      SUMMIT_ASSIGN_OR_RETURN_CTX(listed, repo::ListSnapshots(*repos[i]), "choosing the base snapshot");
    }
    std::string missing =
        MissingFromChain(base.id, i == 0 ? first_repo_snapshots : listed, repos[i]->backend().Describe());
    if (!missing.empty()) return missing;
  }
  return std::string();
}

// Chooses the base of an incremental postgres capture and fills `options.incremental`, or
// returns why the capture will be full. The base is --base=ID, or else the newest snapshot of
// the same set, tenant and project with a postgres component of the same database.
Result<std::string> ChooseBase(const BackupPlan& plan, const std::vector<repo::Repository*>& repos,
                               const sources::postgres::Settings& pg, sources::postgres::BackupOptions& options) {
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto all, repo::ListSnapshots(*repos.front()), "choosing the base snapshot");
  const repo::SnapshotManifest* base = nullptr;
  if (!plan.incremental.base.empty()) {
    for (const auto& m : all)
      if (m.id == plan.incremental.base) base = &m;
    if (!base)
      return Fail(Error(ErrorCode::kNotFound, "--base=" + plan.incremental.base + ": no such snapshot in " +
                                                  repos.front()->backend().Describe(),
                        "list snapshots with `summit-dr list --set=" + plan.set + "`"));
    if (!base->FindComponent("postgres"))
      return Fail(ErrorCode::kInvalidInput, "--base=" + base->id + ": the snapshot has no postgres component");
  } else {
    for (auto it = all.rbegin(); it != all.rend() && !base; ++it) {
      const repo::SnapshotComponent* c = it->FindComponent("postgres");
      if (it->set != plan.set || it->tenant != plan.tenant || it->project != plan.project || !c) continue;
      std::string db = c->attributes.value("capture", nlohmann::json::object()).value("database", "");
      if (!pg.dbname.empty() && db != pg.dbname) continue;
      base = &*it;
    }
    if (!base) return std::string("no earlier snapshot of set " + plan.set + " with a postgres component");
  }
  SUMMIT_ASSIGN_OR_RETURN(std::string refusal, BaseRefusal(*base, repos, all, plan.incremental));
  if (!refusal.empty()) return refusal;
  options.incremental.snapshot = base->id;
  options.incremental.attributes = base->FindComponent("postgres")->attributes;
  options.incremental.max_delta_fraction = plan.incremental.max_delta_fraction;
  options.incremental.chain = ChainLength(options.incremental.attributes);
  return std::string();
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
      ComponentPlan component = c;
      std::string full_reason;
      if (c.name == "postgres" && plan.incremental.enabled) {
        component.postgres.incremental.enabled = true;
        SUMMIT_ASSIGN_OR_RETURN_CTX(full_reason, ChooseBase(plan, repos, stores.postgres, component.postgres),
                                    "postgres");
      }
      auto summary = CaptureComponent(component, counting, stores, warnings);
      if (!summary) return Fail(std::move(summary).error().Context(c.name));
      if (c.name == "postgres" && plan.incremental.enabled) {
        if (summary->contains("base")) {
          for (auto& w : writers) w->AddBase((*summary)["base"].get<std::string>());
          outcome.incremental = {{"base", (*summary)["base"]}};
          log::Info("postgres captured incrementally", {{"base", (*summary)["base"].get<std::string>()}});
        } else {
          if (full_reason.empty()) full_reason = summary->value("full_reason", "no table could be captured as a delta");
          outcome.incremental = {{"base", nullptr}, {"full_reason", full_reason}};
          warnings.push_back("postgres: incremental backup requested, full capture taken: " + full_reason);
        }
      }
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
  if (!outcome.incremental.is_null()) outcome.metadata["incremental"] = outcome.incremental;
  return outcome;
}

}  // namespace summit::backup
