// Repository commands: init, key, list, show, check/verify, prune, replicate, export, config check.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "config/sanitization.h"
#include "core/bytes.h"
#include "crypto/crypto.h"
#include "repo/check.h"
#include "repo/lock.h"
#include "repo/prune.h"
#include "repo/replicate.h"
#include "repo/retention.h"
#include "repo/snapshot.h"
#include "restore/runner.h"
#include "sources/neo4j/neo4j.h"
#include "sources/postgres/export.h"
#include "sources/redis/redis_source.h"
#include "transform/rules.h"

namespace summit::cli {
namespace {

std::string Host() {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  return host;
}

void PrintJson(const nlohmann::json& j) { std::printf("%s\n", j.dump(2).c_str()); }

}  // namespace

int CmdInit(Context& ctx, const std::string& repository) {
  const auto& opts = ctx.options();
  std::string name = repository.empty() ? ctx.DefaultRepository() : repository;
  auto existing = ctx.Open(name, false);
  if (existing) {
    return ReportError(Error(ErrorCode::kAlreadyExists, "repository '" + name + "' already exists at " + existing->describe), opts);
  }
  if (existing.error().code() != ErrorCode::kNotFound && existing.error().code() != ErrorCode::kWrongKey)
    return ReportError(existing.error(), opts);
  if (existing.error().code() == ErrorCode::kWrongKey && existing.error().message().find("no encryption key") == std::string::npos)
    return ReportError(existing.error(), opts);
  auto opened = ctx.Open(name, true);
  if (!opened) return ReportError(opened.error(), opts);
  if (opts.json) PrintJson({{"ok", true}, {"repository", name}, {"location", opened->describe}, {"id", opened->repo->config().id}});
  else std::printf("created repository '%s' at %s (id %s)\n", name.c_str(), opened->describe.c_str(), opened->repo->config().id.substr(0, 12).c_str());
  return 0;
}

int CmdKey(Context& ctx, const std::string& action, const std::string& repository, const std::string& id) {
  const auto& opts = ctx.options();
  std::string name = repository.empty() ? ctx.DefaultRepository() : repository;
  auto opened = ctx.Open(name, false);
  if (!opened) return ReportError(opened.error(), opts);
  auto& repo = *opened->repo;
  if (action == "list") {
    auto keys = repo.ListKeys();
    if (!keys) return ReportError(keys.error(), opts);
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& k : *keys)
      arr.push_back({{"id", k.id}, {"created", k.created}, {"host", k.host}, {"user", k.username}, {"label", k.label}, {"current", k.current}});
    if (opts.json) PrintJson(arr);
    else
      for (const auto& k : *keys)
        std::printf("%s %-16s %s %s@%s %s\n", k.current ? "*" : " ", k.id.substr(0, 16).c_str(), k.created.c_str(),
                    k.username.c_str(), k.host.c_str(), k.label.c_str());
    return 0;
  }
  if (action == "add" || action == "rotate") {
    auto new_key = ctx.Env("NEW_ENCRYPTION_KEY");
    if (!new_key || new_key->empty())
      return ReportError(Error(ErrorCode::kInvalidInput, "key " + action + " needs the new key in NEW_ENCRYPTION_KEY",
                               "NEW_ENCRYPTION_KEY=... summit-dr key " + action),
                         opts);
    crypto::KdfParams kdf;
    Result<std::string> added = action == "add" ? repo.AddKey(SecretString(*new_key), kdf, "added by summit-dr key add", ctx.clock())
                                                : repo.RotateKey(SecretString(*new_key), kdf, ctx.clock());
    if (!added) return ReportError(added.error(), opts);
    if (opts.json) PrintJson({{"ok", true}, {"id", *added}});
    else std::printf("%s key %s%s\n", action == "add" ? "added" : "rotated to", added->c_str(),
                     action == "rotate" ? " (the old key no longer opens the repository; data was not rewritten)" : "");
    return 0;
  }
  if (action == "remove") {
    if (id.empty()) return ReportError(Error(ErrorCode::kInvalidInput, "key remove needs a key id (see `summit-dr key list`)"), opts);
    auto s = repo.RemoveKey(id);
    if (!s) return ReportError(s.error(), opts);
    if (opts.json) PrintJson({{"ok", true}, {"removed", id}});
    else std::printf("removed key %s\n", id.c_str());
    return 0;
  }
  return ReportError(Error(ErrorCode::kInvalidInput, "unknown key action '" + action + "'", "use add, list, remove or rotate"), opts);
}

int CmdList(Context& ctx, const std::string& set, const std::string& repository) {
  const auto& opts = ctx.options();
  std::string name = repository.empty() ? ctx.DefaultRepository() : repository;
  auto opened = ctx.Open(name, false);
  if (!opened) {
    if (opened.error().code() == ErrorCode::kNotFound) {
      if (opts.json) PrintJson(nlohmann::json::array());
      else std::fprintf(stderr, "no backups yet: repository '%s' does not exist\n", name.c_str());
      return 0;
    }
    return ReportError(opened.error(), opts);
  }
  auto list = repo::ListSnapshots(*opened->repo);
  if (!list) return ReportError(list.error(), opts);
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& m : *list) {
    if (!set.empty() && m.set != set) continue;
    nlohmann::json meta = repo::MetadataJson(m);
    std::vector<std::string> comps;
    for (const auto& c : m.components) comps.push_back(c.name);
    arr.push_back({{"id", m.id}, {"set", m.set}, {"tenant", meta["tenant"]}, {"project", meta["project"]},
                   {"finished", m.finished}, {"size", meta["size"]}, {"new_bytes", m.new_bytes}, {"components", comps},
                   {"bases", m.bases}});
  }
  if (opts.json) {
    PrintJson(arr);
  } else {
    std::printf("%-58s %-20s %10s %10s  %s\n", "ID", "FINISHED", "SIZE", "ADDED", "COMPONENTS");
    for (const auto& e : arr) {
      std::string comps;
      for (const auto& c : e["components"]) comps += (comps.empty() ? "" : ",") + c.get<std::string>();
      // An incremental snapshot needs its base: say so where an operator looks first.
      for (const auto& b : e["bases"]) comps += "  (incremental on " + b.get<std::string>() + ")";
      std::printf("%-58s %-20s %10s %10s  %s\n", e["id"].get<std::string>().c_str(), e["finished"].get<std::string>().c_str(),
                  FormatBytes(e["size"].get<uint64_t>()).c_str(), FormatBytes(e["new_bytes"].get<uint64_t>()).c_str(), comps.c_str());
    }
  }
  return 0;
}

int CmdShow(Context& ctx, const std::string& id, const std::string& repository) {
  auto opened = ctx.OpenHolding(id, repository);
  if (!opened) return ReportError(opened.error(), ctx.options());
  auto m = repo::LoadManifest(*opened->repo, id);
  if (!m) return ReportError(m.error(), ctx.options());
  PrintJson(repo::MetadataJson(*m));
  return 0;
}

int CmdCheck(Context& ctx, bool read_data, const std::vector<std::string>& ids, const std::string& repository) {
  const auto& opts = ctx.options();
  std::string name = repository.empty() ? ctx.DefaultRepository() : repository;
  auto opened = ids.size() == 1 && repository.empty() ? ctx.OpenHolding(ids[0], "") : ctx.Open(name, false);
  if (!opened) return ReportError(opened.error(), opts);
  auto lock = repo::RepositoryLock::Acquire(*opened->backend, repo::LockKind::kShared, ctx.clock(), {.purpose = "check", .host = Host()});
  if (!lock) return ReportError(lock.error(), opts);
  repo::CheckOptions co;
  co.read_data = read_data;
  co.snapshots = ids;
  auto report = repo::Check(*opened->repo, co);
  if (!report) return ReportError(report.error(), opts);
  if (opts.json) {
    auto j = report->ToJson();
    j["ok"] = report->ok();
    PrintJson(j);
  } else {
    std::printf("%s repository '%s': %llu snapshots, %llu packs, %llu index files, %llu blobs%s\n", report->ok() ? "✅" : "❌",
                opened->name.c_str(), (unsigned long long)report->snapshots, (unsigned long long)report->packs,
                (unsigned long long)report->index_files, (unsigned long long)report->blobs,
                read_data ? (", " + FormatBytes(report->bytes_read) + " read and verified").c_str() : "");
    for (const auto& e : report->errors) std::printf("   error: %s\n", e.c_str());
    for (const auto& p : report->damaged_packs) std::printf("   damaged pack: %s\n", p.c_str());
    for (const auto& d : report->damaged)
      std::printf("   breaks: snapshot %s, component %s, stream %s (%s)\n", d.snapshot.c_str(), d.component.c_str(), d.stream.c_str(), d.reason.c_str());
    for (const auto& w : report->warnings) std::printf("   warning: %s\n", w.c_str());
  }
  return report->ok() ? 0 : ExitCodeFor(ErrorCode::kCorruption);
}

int CmdPrune(Context& ctx, bool dry_run, const std::string& repository) {
  const auto& opts = ctx.options();
  std::string name = repository.empty() ? ctx.DefaultRepository() : repository;
  auto opened = ctx.Open(name, false);
  if (!opened) return ReportError(opened.error(), opts);
  std::unique_ptr<repo::RepositoryLock> lock;
  if (!dry_run) {
    auto l = repo::RepositoryLock::Acquire(*opened->backend, repo::LockKind::kExclusive, ctx.clock(), {.purpose = "prune", .host = Host()});
    if (!l) return ReportError(l.error(), opts);
    lock = std::move(*l);
  }
  auto list = repo::ListSnapshots(*opened->repo);
  if (!list) return ReportError(list.error(), opts);
  std::vector<repo::SnapshotSummary> summaries;
  for (const auto& m : *list) {
    repo::SnapshotSummary s;
    s.id = m.id;
    s.set = m.set;
    s.scope = !m.tenant.empty() ? m.tenant : m.project;
    if (!ParseUtc(m.finished, &s.finished)) s.finished = ctx.clock().Now();
    s.verified = opened->backend->Stat("verified/" + m.id).has_value();
    s.bases = m.bases;
    summaries.push_back(s);
  }
  repo::RetentionPolicy policy;
  for (const auto& [set_name, set] : ctx.config().sets) policy.per_set[set_name].keep_days = set.retention_days;
  if (auto rd = ctx.Env("RETENTION_DAYS"); rd && !rd->empty()) {
    try {
      policy.retention_days_override = std::stoi(*rd);
    } catch (...) {
      return ReportError(Error(ErrorCode::kInvalidInput, "RETENTION_DAYS='" + *rd + "' is not a number of days"), opts);
    }
  }
  auto plan = repo::PlanRetention(summaries, policy, ctx.clock().Now());
  if (!plan) return ReportError(plan.error(), opts);
  repo::PruneOptions po;
  po.dry_run = dry_run;
  for (const auto& f : plan->forget) po.forget.push_back(f.snapshot.id);
  auto report = repo::Prune(*opened->repo, po);
  if (!report) return ReportError(report.error(), opts);
  if (opts.json) {
    auto j = report->ToJson();
    nlohmann::json forget = nlohmann::json::array(), keep = nlohmann::json::array();
    for (const auto& f : plan->forget) forget.push_back({{"id", f.snapshot.id}, {"reasons", f.reasons}});
    for (const auto& k : plan->keep) keep.push_back({{"id", k.snapshot.id}, {"reasons", k.reasons}});
    j["forget"] = forget;
    j["keep"] = keep;
    j["warnings"] = plan->warnings;
    PrintJson(j);
  } else {
    for (const auto& f : plan->forget) {
      std::string why;
      for (const auto& r : f.reasons) why += (why.empty() ? "" : "; ") + r;
      std::printf("%s %s (%s)\n", dry_run ? "would forget" : "forgot", f.snapshot.id.c_str(), why.c_str());
    }
    std::printf("%s %zu snapshots, %zu packs deleted, %zu repacked, %s freed\n", dry_run ? "dry run: would remove" : "removed",
                plan->forget.size(), report->packs_deleted.size(), report->packs_repacked.size(), FormatBytes(report->bytes_freed).c_str());
    for (const auto& w : plan->warnings) std::fprintf(stderr, "⚠️  %s\n", w.c_str());
  }
  return 0;
}

int CmdReplicate(Context& ctx, const std::string& to, const std::vector<std::string>& ids, const std::string& from) {
  const auto& opts = ctx.options();
  if (to.empty()) return ReportError(Error(ErrorCode::kInvalidInput, "replicate needs --to=NAME (a repository of the config)"), opts);
  auto src = ctx.Open(from.empty() ? ctx.DefaultRepository() : from, false);
  if (!src) return ReportError(src.error(), opts);
  auto dst = ctx.OpenBackend(to);
  if (!dst) return ReportError(dst.error(), opts);
  auto report = repo::Replicate(*src->repo, **dst, ids);
  if (!report) return ReportError(report.error().Context("replicating to '" + to + "'"), opts);
  if (opts.json) {
    auto j = report->ToJson();
    j["ok"] = true;
    PrintJson(j);
  } else {
    std::printf("✅ replicated to '%s': %zu snapshots copied, %zu already there; %llu packs (%s) copied and verified\n", to.c_str(),
                report->snapshots_copied.size(), report->snapshots_present.size(), (unsigned long long)report->packs_copied,
                FormatBytes(report->bytes_copied).c_str());
  }
  return 0;
}

int CmdExport(Context& ctx, const std::string& id, const std::string& component, const std::string& format,
              const std::string& output, const std::string& from) {
  const auto& opts = ctx.options();
  if (output.empty()) return ReportError(Error(ErrorCode::kInvalidInput, "export needs -o FILE"), opts);
  auto opened = ctx.OpenHolding(id, from);
  if (!opened) return ReportError(opened.error(), opts);
  auto snap = repo::SnapshotReader::Open(*opened->repo, id);
  if (!snap) return ReportError(snap.error(), opts);
  auto comp = restore::OpenComponent(**snap, component);
  if (!comp) return ReportError(comp.error(), opts);
  auto sink = OpenOutputSink(output);
  if (!sink) return ReportError(sink.error(), opts);
  Status s;
  if (component == "postgres") {
    sources::postgres::ExportOptions eo;
    if (format == "plain" || format.empty()) eo.format = sources::postgres::ExportFormat::kPlain;
    else if (format == "custom") {
      eo.format = sources::postgres::ExportFormat::kCustom;
      eo.scratch = ctx.SourceStores().postgres;
    } else {
      return ReportError(Error(ErrorCode::kInvalidInput, "postgres exports as --format=plain or custom"), opts);
    }
    s = sources::postgres::Export(**comp, eo, **sink);
  } else if (component == "redis") {
    if (!format.empty() && format != "rdb") return ReportError(Error(ErrorCode::kInvalidInput, "redis exports as --format=rdb"), opts);
    s = sources::redis::Export(**comp, sources::redis::ExportFormat::kRdb, **sink);
  } else if (component == "neo4j") {
    if (!format.empty() && format != "cypher") return ReportError(Error(ErrorCode::kInvalidInput, "neo4j exports as --format=cypher"), opts);
    s = sources::neo4j::Export(**comp, sources::neo4j::ExportFormat::kCypher, **sink);
  } else {
    return ReportError(Error(ErrorCode::kUnsupported, "export supports postgres, redis and neo4j; restore files with `summit-dr restore --only=" + component + " --target " + component + "=DIR`"), opts);
  }
  if (!s) return ReportError(s.error().Context("exporting " + component + " of " + id), opts);
  if (output == "-") {
    // The archive went to standard output: the summary must not follow it there.
    if (!opts.quiet) std::fprintf(stderr, "wrote %s of %s to standard output\n", component.c_str(), id.c_str());
  } else if (opts.json) {
    PrintJson({{"ok", true}, {"file", output}});
  } else {
    std::printf("wrote %s\n", output.c_str());
  }
  return 0;
}

namespace {

std::string ConfigPath(const GlobalOptions& options, const std::string& file) {
  std::string path = file.empty() ? options.config_path : file;
  if (path.empty()) {
    const char* env = std::getenv("SUMMIT_DR_CONFIG");
    path = env ? env : "config/backup-sets.yaml";
  }
  return path;
}

// The rules files a dev/test restore applies: the config's sanitization file, then
// sanitization-beyond-spec.yaml beside it when present (as `restore --env=dev` merges them).
// The main file is cross-checked against the environments.
Result<std::vector<transform::RuleSet>> LoadRuleFiles(const config::Config& c) {
  std::vector<transform::RuleSet> out;
  SUMMIT_ASSIGN_OR_RETURN(auto main, config::LoadSanitizationRules(c));
  std::string extra = (std::filesystem::path(config::SanitizationPath(c)).parent_path() / "sanitization-beyond-spec.yaml").string();
  out.push_back(std::move(main));
  if (std::filesystem::exists(extra)) {
    SUMMIT_ASSIGN_OR_RETURN(auto e, transform::LoadRules(extra));
    out.push_back(std::move(e));
  }
  return out;
}

// Labels and property keys of a Neo4j capture, from its nodes stream (one JSON object a line).
Status ReadGraphSchema(CaptureSource& in, transform::Schema& schema) {
  SUMMIT_ASSIGN_OR_RETURN(auto src, in.OpenStream("nodes.jsonl"));
  std::string pending;
  std::vector<uint8_t> buf(1 << 20);
  uint64_t lineno = 0;
  auto line = [&](std::string_view l) -> Status {
    ++lineno;
    if (l.empty()) return Ok();
    auto j = nlohmann::json::parse(l, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      return Fail(ErrorCode::kCorruption, "neo4j capture: nodes.jsonl line " + std::to_string(lineno) + " is not a JSON object");
    std::vector<std::string> labels;
    if (auto it = j.find("labels"); it != j.end() && it->is_array())
      for (const auto& x : *it)
        if (x.is_string()) labels.push_back(x.get<std::string>());
    for (const auto& l : labels) schema.labels.insert(l);
    if (auto it = j.find("props"); it != j.end() && it->is_object()) {
      for (const auto& [k, v] : it->items()) {
        if (v.is_null()) continue;
        schema.properties.insert(k);
        for (const auto& l : labels) schema.label_properties[l].insert(k);
      }
    }
    return Ok();
  };
  for (;;) {
    SUMMIT_ASSIGN_OR_RETURN(size_t n, src->Read(std::span<uint8_t>(buf.data(), buf.size())));
    if (n == 0) break;
    pending.append(reinterpret_cast<const char*>(buf.data()), n);
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1)
      SUMMIT_TRY(line(std::string_view(pending).substr(start, nl - start)));
    pending.erase(0, start);
  }
  return line(pending);
}

}  // namespace

int CmdConfigCheck(const GlobalOptions& options, const std::string& file) {
  std::string path = ConfigPath(options, file);
  auto c = config::LoadConfig(path, config::ProcessEnv());
  if (!c) return ReportError(c.error(), options);
  auto rules = LoadRuleFiles(*c);
  if (!rules) return ReportError(rules.error(), options);
  if (options.json) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& r : *rules) files.push_back(r.file);
    PrintJson({{"ok", true}, {"file", path}, {"sets", c->sets.size()}, {"environments", c->environments.size()}, {"rules", files}});
  } else {
    std::printf("✅ %s: %zu sets, %zu environments, %zu repositories\n", path.c_str(), c->sets.size(), c->environments.size(), c->repositories.size());
    for (const auto& r : *rules)
      std::printf("✅ %s: %zu postgres, %zu neo4j, %zu redis rules\n", r.file.c_str(), r.postgres.size(), r.neo4j.size(), r.redis.size());
  }
  return 0;
}

int CmdConfigCheckBackup(const GlobalOptions& options, const std::string& file, const std::string& backup_id,
                         const std::string& from) {
  GlobalOptions g = options;
  g.config_path = ConfigPath(options, file);
  auto ctx = Context::Create(g);
  if (!ctx) return ReportError(ctx.error(), g);
  auto rules = LoadRuleFiles((*ctx)->config());
  if (!rules) return ReportError(rules.error(), g);
  auto opened = (*ctx)->OpenHolding(backup_id, from);
  if (!opened) return ReportError(opened.error(), g);
  auto snapshot = repo::SnapshotReader::Open(*opened->repo, backup_id);
  if (!snapshot) return ReportError(snapshot.error(), g);

  transform::Schema schema;
  std::vector<std::string> notes;
  auto comps = (*snapshot)->Components();
  auto has = [&](const char* name) { return std::find(comps.begin(), comps.end(), name) != comps.end(); };
  if (has("postgres")) {
    auto pg = restore::OpenComponent(**snapshot, "postgres");
    if (!pg) return ReportError(pg.error(), g);
    schema = transform::SchemaFromPgAttributes((*pg)->Attributes());
  } else {
    notes.push_back("the backup has no postgres capture: postgres and reduction rules not checked");
  }
  if (has("neo4j")) {
    auto neo = (*snapshot)->Component("neo4j");
    if (!neo) return ReportError(neo.error(), g);
    auto filter = (*neo)->Attributes().value("filter", nlohmann::json::object());
    schema.partial_graph = filter.is_object() && !filter.empty();
    if (auto s = ReadGraphSchema(**neo, schema); !s) return ReportError(s.error().Context("reading the graph of " + backup_id), g);
    if (schema.labels.empty()) {
      schema.partial_graph = true;  // an empty graph: nothing to check against
      notes.push_back("the backup's graph is empty: neo4j rules not checked");
    }
  } else {
    notes.push_back("the backup has no neo4j capture: neo4j rules not checked");
  }

  std::vector<transform::RuleProblem> problems;
  for (auto r : *rules) {  // a copy: stores the backup lacks are not checked
    if (!has("postgres")) {
      r.postgres.clear();
      r.reduction = {};
    }
    if (!has("neo4j") || schema.labels.empty()) r.neo4j.clear();
    auto p = transform::CheckRules(r, schema, "backup " + backup_id);
    problems.insert(problems.end(), p.begin(), p.end());
  }
  size_t errors = std::count_if(problems.begin(), problems.end(), [](const auto& p) { return !p.warning; });
  if (g.json) {
    nlohmann::json arr = nlohmann::json::array(), files = nlohmann::json::array();
    for (const auto& p : problems)
      arr.push_back({{"file", p.file}, {"line", p.line}, {"message", p.message}, {"severity", p.warning ? "warning" : "error"}});
    for (const auto& r : *rules) files.push_back(r.file);
    PrintJson({{"ok", errors == 0}, {"file", g.config_path}, {"backup", backup_id}, {"rules", files}, {"problems", arr}, {"notes", notes}});
  } else {
    for (const auto& p : problems) {
      if (p.warning) std::fprintf(stderr, "%s:%d: warning: %s\n", p.file.c_str(), p.line, p.message.c_str());
      else std::fprintf(stderr, "%s\n", p.ToString().c_str());
    }
    for (const auto& n : notes) std::fprintf(stderr, "note: %s\n", n.c_str());
    std::string files;
    for (const auto& r : *rules) files += (files.empty() ? "" : ", ") + r.file;
    if (errors == 0)
      std::printf("✅ %s: the sanitization rules (%s) match backup %s\n", g.config_path.c_str(), files.c_str(), backup_id.c_str());
    else
      std::printf("❌ %zu rule reference%s in %s do%s not exist in backup %s\n", errors, errors == 1 ? "" : "s", files.c_str(),
                  errors == 1 ? "es" : "", backup_id.c_str());
  }
  return errors == 0 ? 0 : ExitCodeFor(ErrorCode::kInvalidInput);
}

}  // namespace summit::cli
