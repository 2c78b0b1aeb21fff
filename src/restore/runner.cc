#include "restore/runner.h"

#include <algorithm>
#include <filesystem>

#include "sources/audit/audit_chain.h"
#include "sources/files/files.h"
#include "sources/neo4j/neo4j.h"
#include "sources/postgres/incremental.h"
#include "sources/postgres/restore.h"
#include "sources/redis/redis_source.h"

namespace summit::restore {
namespace {

// Counts bytes read out of the repository, for progress.
class CountingSource final : public ByteSource {
 public:
  CountingSource(std::unique_ptr<ByteSource> inner, RestoreObserver& o) : inner_(std::move(inner)), observer_(o) {}
  Result<size_t> Read(std::span<uint8_t> buf) override {
    auto n = inner_->Read(buf);
    if (n && *n) observer_.BytesRestored(*n);
    return n;
  }

 private:
  std::unique_ptr<ByteSource> inner_;
  RestoreObserver& observer_;
};

class CountingCapture final : public CaptureSource {
 public:
  CountingCapture(std::unique_ptr<CaptureSource> inner, RestoreObserver& o) : inner_(std::move(inner)), observer_(o) {}
  std::vector<std::string> ListStreams() const override { return inner_->ListStreams(); }
  Result<std::unique_ptr<ByteSource>> OpenStream(std::string_view name) override {
    SUMMIT_ASSIGN_OR_RETURN(auto s, inner_->OpenStream(name));
    return std::unique_ptr<ByteSource>(new CountingSource(std::move(s), observer_));
  }
  Result<uint64_t> StreamSize(std::string_view name) const override { return inner_->StreamSize(name); }
  nlohmann::json Attributes() const override { return inner_->Attributes(); }
  uint64_t TotalSize() const {
    uint64_t total = 0;
    for (const auto& s : inner_->ListStreams()) total += inner_->StreamSize(s).value_or(0);
    return total;
  }

 private:
  std::unique_ptr<CaptureSource> inner_;
  RestoreObserver& observer_;
};

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

Result<nlohmann::json> RestoreComponent(const std::string& name, const repo::SnapshotManifest& m, CaptureSource& in,
                                        const TargetSettings& t, const RestoreOptions& o, RestoreOutcome& outcome) {
  if (name == "postgres") {
    sources::postgres::RestoreOptions po;
    po.dry_run = o.dry_run;
    po.jobs = o.jobs;
    if (!o.postgres_group_for_index) po.ordered_load_min_bytes = 0;
    po.spill_dir = o.postgres_spill_dir;
    po.allow_drop = o.allow_destructive;
    if (!m.tenant.empty() || !m.project.empty()) {
      po.mode = sources::postgres::RestoreMode::kReplaceFiltered;
    } else if (!o.tables.empty()) {
      po.mode = sources::postgres::RestoreMode::kTables;
      po.tables = o.tables;
    } else if (in.Attributes().value("partial", false)) {
      // A partial capture (the minimal set's core tables) replaces those tables only.
      po.mode = sources::postgres::RestoreMode::kTables;
      for (const auto& t : in.Attributes().value("tables", nlohmann::json::array()))
        po.tables.push_back(t.value("table", ""));
    }
    // The audit chain is verified as soon as its table is loaded, inside a full restore's graph
    // (beside the other tables' index builds); other modes verify it after the restore.
    const bool verify_chain = !o.dry_run && o.verify_audit_chain && in.Attributes().contains("audit_chain.audit_logs");
    sources::audit::ChainSpec spec;
    sources::audit::VerifyOptions vo;
    vo.allow_truncated_head = o.audit_truncated_head;
    if (!m.tenant.empty()) vo.partition = m.tenant;
    std::optional<sources::audit::ChainReport> chain;
    if (verify_chain && po.mode == sources::postgres::RestoreMode::kFull) {
      const std::string table = spec.table.find('.') == std::string::npos ? "public." + spec.table : spec.table;
      po.checks_after_load.push_back({table, "verifying the audit chain of", [&](sources::postgres::PgConn& conn) -> Status {
                                        SUMMIT_ASSIGN_OR_RETURN(chain, sources::audit::Verify(conn, spec, vo));
                                        return Ok();
                                      }});
    }
    SUMMIT_ASSIGN_OR_RETURN(auto r, sources::postgres::Restore(t.postgres, po, in, o.postgres_transform));
    nlohmann::json s = {{"rows", r.rows}, {"bytes", r.bytes}, {"tables", r.tables.size()}};
    // How the rows went to the server: COPY binary where every column type converts exactly.
    s["tables_in_binary"] = std::count_if(r.tables.begin(), r.tables.end(), [](const auto& t) { return t.copy_format == "binary"; });
    if (o.dry_run) s["plan"] = sources::postgres::FormatPlan(r);
    // Tables sent grouped for one of their indexes (load_order.h), and which index.
    nlohmann::json ordered = nlohmann::json::object();
    for (const auto& t : r.tables)
      if (!t.ordered_for.empty()) ordered[t.table] = t.ordered_for;
    if (!ordered.empty()) s["ordered_for_index"] = std::move(ordered);
    // Seconds per phase (schema; data, indexes, keys, analyze; sequences; post-data; ...), for
    // whoever tunes a restore window.
    nlohmann::json phases = nlohmann::json::object();
    for (const auto& [phase, seconds] : r.phase_seconds) phases[phase] = seconds;
    if (!o.dry_run) s["phases"] = std::move(phases);
    // Every step of a full restore's graph in start order (a table's load, an index, a foreign
    // key, ANALYZE, the chain check): where the restore window went, step by step.
    if (!r.steps.empty()) {
      auto steps = r.steps;
      std::stable_sort(steps.begin(), steps.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
      nlohmann::json js = nlohmann::json::array();
      for (const auto& st : steps)
        js.push_back({{"step", st.what}, {"start", st.start}, {"seconds", st.seconds}, {"connection", st.connection}});
      s["steps"] = std::move(js);
    }
    for (const auto& w : r.warnings) outcome.warnings.push_back("postgres: " + w);
    if (verify_chain) {
      if (!chain) {
        SUMMIT_ASSIGN_OR_RETURN_CTX(chain, sources::audit::Verify(t.postgres, spec, vo), "verifying the audit chain");
      }
      s["audit_chain"] = chain->ToJson();
      if (!chain->ok()) {
        outcome.audit_chain_ok = false;
        const auto& b = chain->broken.front();
        outcome.warnings.push_back("audit chain broken after restore: chain '" + b.chain + "' position " +
                                   std::to_string(b.position) + " (id " + std::to_string(b.id) + "): " + b.reason);
      }
    }
    return s;
  }
  if (name == "neo4j") {
    sources::neo4j::RestoreOptions no;
    no.dry_run = o.dry_run;
    no.allow_wipe = o.allow_destructive;
    if (!m.tenant.empty()) no.tenant = m.tenant;
    SUMMIT_ASSIGN_OR_RETURN(auto r, sources::neo4j::Restore(t.neo4j, no, in, o.neo4j_transform));
    nlohmann::json s = {{"nodes", r.nodes}, {"relationships", r.relationships}, {"nodes_dropped", r.nodes_dropped}};
    if (o.dry_run) s["plan"] = r.plan;
    return s;
  }
  if (name == "redis") {
    sources::redis::RestoreOptions ro;
    ro.dry_run = o.dry_run;
    ro.flush = o.allow_destructive && m.tenant.empty() && m.project.empty();
    SUMMIT_ASSIGN_OR_RETURN(auto r, sources::redis::Restore(t.redis, ro, in, o.redis_transform));
    return r.ToJson();
  }
  // File-backed components: config, secrets, kubernetes, terraform.
  if (in.HasStream(name + ".out")) {
    auto cmd = t.commands.find(name);
    if (cmd == t.commands.end() || cmd->second.empty())
      return Fail(ErrorCode::kInvalidInput, "no restore command configured for " + name,
                  "set sources.commands." + name + ".restore in the configuration");
    std::string line;
    for (const auto& a : cmd->second) line += (line.empty() ? "" : " ") + a;
    if (o.dry_run) return nlohmann::json{{"plan", "pipe " + name + ".out into '" + line + "'"}};
    SUMMIT_TRY(sources::files::RestoreCommand(name, line, in));
    return nlohmann::json{{"command", line}};
  }
  sources::files::RestoreOptions fo;
  fo.target_root = name == "secrets" ? t.secrets_root : t.files_root;
  fo.secret = name == "secrets";
  fo.dry_run = o.dry_run;
  SUMMIT_ASSIGN_OR_RETURN(auto r, sources::files::Restore(fo, in));
  nlohmann::json s = {{"files", r.files}, {"bytes", r.bytes}, {"target", fo.target_root}};
  if (o.dry_run) {
    nlohmann::json plan = nlohmann::json::array();
    for (const auto& p : r.plan) plan.push_back(p.action + " " + p.path + (name == "secrets" ? "" : " (" + std::to_string(p.size) + " bytes)"));
    s["plan"] = plan;
  }
  return s;
}

Result<std::unique_ptr<CaptureSource>> OpenMaterializedPostgres(repo::Repository& repo, const std::string& id) {
  SUMMIT_ASSIGN_OR_RETURN(auto snapshot, repo::SnapshotReader::Open(repo, id));
  SUMMIT_ASSIGN_OR_RETURN(auto raw, snapshot->Component("postgres"));
  return sources::postgres::MaterializeCapture(
      std::move(raw), id, [&repo](const std::string& base) { return OpenMaterializedPostgres(repo, base); });
}

}  // namespace

Result<std::unique_ptr<CaptureSource>> OpenComponent(repo::SnapshotReader& snapshot, std::string_view name) {
  SUMMIT_ASSIGN_OR_RETURN(auto raw, snapshot.Component(name));
  if (name != "postgres") return raw;
  repo::Repository& repo = snapshot.repository();
  return sources::postgres::MaterializeCapture(
      std::move(raw), snapshot.manifest().id,
      [&repo](const std::string& base) { return OpenMaterializedPostgres(repo, base); });
}

Result<RestoreOutcome> RunRestore(repo::SnapshotReader& snapshot, const TargetSettings& targets,
                                  const RestoreOptions& options, RestoreObserver& observer) {
  const auto& m = snapshot.manifest();
  std::vector<std::string> present = snapshot.Components();
  std::vector<std::string> chosen;
  for (const auto& c : options.components)
    if (std::find(present.begin(), present.end(), c) == present.end())
      return Fail(ErrorCode::kInvalidInput, "snapshot " + m.id + " has no " + c + " component",
                  "it has: " + Join(present));
  // Databases first, then files: the order of the plan.
  for (const char* name : {"postgres", "neo4j", "redis", "config", "secrets", "kubernetes", "terraform"}) {
    if (std::find(present.begin(), present.end(), name) == present.end()) continue;
    if (!options.components.empty() &&
        std::find(options.components.begin(), options.components.end(), name) == options.components.end())
      continue;
    chosen.push_back(name);
  }
  RestoreOutcome outcome;
  for (const auto& name : chosen) {
    if (name == "secrets" && options.skip_secrets) {
      outcome.components[name] = {{"skipped", "production secrets are never restored into a sanitized environment"}};
      outcome.warnings.push_back("secrets: skipped (sanitized environment)");
      continue;
    }
    SUMMIT_ASSIGN_OR_RETURN_CTX(auto raw, OpenComponent(snapshot, name), name);
    CountingCapture in(std::move(raw), observer);
    observer.ComponentStarted(name, in.TotalSize());
    auto summary = RestoreComponent(name, m, in, targets, options, outcome);
    if (!summary) return Fail(std::move(summary).error().Context(name));
    observer.ComponentFinished(name, *summary);
    outcome.components[name] = *summary;
  }
  for (const auto& w : outcome.warnings) observer.Warning(w);
  return outcome;
}

}  // namespace summit::restore
