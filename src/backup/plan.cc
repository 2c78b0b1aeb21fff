#include "backup/plan.h"

#include <algorithm>
#include <set>

#include "backup/backup_id.h"

namespace summit::backup {
namespace {

const std::set<std::string>& TableTypes() {
  static const std::set<std::string> k = {"timescaledb", "provenance", "policy", "catalog", "audit_chain"};
  return k;
}
const std::set<std::string>& FileGroupTypes() {
  static const std::set<std::string> k = {"config_files",        "opa_policies",  "policy_bundles",
                                          "catalog_definitions", "tenant_config", "project_artifacts"};
  return k;
}

std::string Substitute(std::string glob, const std::string& tenant, const std::string& project) {
  auto replace = [&](const std::string& key, const std::string& value) {
    for (size_t p; (p = glob.find(key)) != std::string::npos;) glob.replace(p, key.size(), value);
  };
  replace("{tenant_id}", tenant);
  replace("{project_id}", project);
  return glob;
}

void AddUnique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

}  // namespace

Result<BackupPlan> PlanBackup(const config::Config& config, const BackupRequest& request, const PlanContext& ctx) {
  SUMMIT_TRY(ValidateBackupRequest(request));
  const config::SetConfig* set = config.FindSet(request.set);
  if (!set)
    return Fail(ErrorCode::kInvalidInput, "set '" + request.set + "' is not defined in " + config.file,
                "add it under sets: in the configuration");
  BackupPlan plan;
  plan.set = request.set;
  plan.tenant = request.set == "tenant" ? request.tenant : "";
  plan.project = request.set == "project" ? request.project : "";
  plan.id = FormatBackupId({plan.set, plan.tenant.empty() ? plan.project : plan.tenant, ctx.now});
  plan.storage = set->storage;
  plan.replicate = set->replicate;
  plan.pre_hooks = set->pre_hooks;
  plan.post_hooks = set->post_hooks;
  plan.only = request.only;
  plan.incremental.enabled = request.incremental || !request.base.empty();
  plan.incremental.base = request.base;
  plan.incremental.max_chain = config.sources.postgres_incremental.max_chain;
  plan.incremental.max_delta_fraction = config.sources.postgres_incremental.max_delta_fraction;

  std::map<std::string, ComponentPlan> comps;
  bool pg_all_tables = false;
  std::vector<std::string> pg_tables;
  std::string pg_filter;
  auto component = [&](const std::string& name) -> ComponentPlan& {
    auto& c = comps[name];
    c.name = name;
    return c;
  };
  const auto& src = config.sources;
  std::vector<std::string> file_globs;

  for (const auto& c : set->components) {
    const std::string& t = c.type;
    if (!c.filter.empty()) pg_filter = pg_filter.empty() ? c.filter : pg_filter;
    if (t == "postgres") {
      component("postgres");
      if (c.tables.empty()) pg_all_tables = true;
      for (const auto& tb : c.tables) AddUnique(pg_tables, tb);
      plan.coverage[t] = c.tables.empty() ? "postgres: every table" : "postgres: listed tables";
    } else if (TableTypes().count(t)) {
      std::vector<std::string> tables = c.tables;
      if (tables.empty()) {
        if (t == "timescaledb") tables = src.hypertables;
        auto it = src.stores.find(t);
        if (it != src.stores.end()) tables = it->second.tables;
      }
      component("postgres");
      for (const auto& tb : tables) AddUnique(pg_tables, tb);
      if (t == "audit_chain")
        for (const auto& tb : tables) AddUnique(comps["postgres"].audit_tables, tb);
      std::string list;
      for (const auto& tb : tables) list += (list.empty() ? "" : ", ") + tb;
      plan.coverage[t] = "postgres tables: " + list;
    } else if (t == "neo4j") {
      auto& n = component("neo4j");
      n.neo4j.filter.labels = c.labels;
      n.neo4j.filter.relationship_types = c.relationships;
      if (c.filter == "tenant") n.neo4j.filter.tenant = request.tenant;
      if (c.filter == "project") n.neo4j.filter.project = request.project;
      plan.coverage[t] = "neo4j";
    } else if (t == "redis") {
      auto& r = component("redis");
      r.redis_full = c.mode != "scan" && c.include.empty() && c.exclude.empty();
      r.redis_filter.include = c.include;
      r.redis_filter.exclude = c.exclude;
      plan.coverage[t] = r.redis_full ? "redis: point-in-time RDB" : "redis: filtered keys";
    } else if (FileGroupTypes().count(t)) {
      std::vector<std::string> globs = c.include;
      if (globs.empty()) {
        auto it = src.file_groups.find(t);
        if (it != src.file_groups.end()) globs = it->second;
      }
      for (const auto& g : globs) AddUnique(file_globs, Substitute(g, request.tenant, request.project));
      plan.coverage[t] = "config files";
    } else if (t == "secrets") {
      auto& s = component("secrets");
      s.files.root = src.files_root;
      s.files.include = src.secret_files;
      s.files.secret = true;
      s.secret_env = src.secret_env;
      plan.coverage[t] = "secrets (encrypted, restored 0600)";
    } else if (t == "kubernetes" || t == "terraform") {
      auto& k = component(t);
      auto cmd = src.commands.find(t);
      if (cmd != src.commands.end() && !cmd->second.backup_argv.empty() && ctx.have_program &&
          ctx.have_program(cmd->second.backup_argv[0])) {
        k.command = cmd->second.backup_argv;
        k.command_workdir = cmd->second.workdir;
        if (!k.command_workdir.empty() && k.command_workdir[0] != '/')
          k.command_workdir = src.files_root + "/" + k.command_workdir;
        plan.coverage[t] = "command: " + cmd->second.backup_argv[0];
      } else {
        auto it = src.file_groups.find(t);
        k.files.root = src.files_root;
        if (it != src.file_groups.end()) k.files.include = it->second;
        std::string why = cmd == src.commands.end() || cmd->second.backup_argv.empty()
                              ? "no command configured"
                              : "'" + cmd->second.backup_argv[0] + "' is not on PATH";
        plan.notes.push_back(t + ": " + why + "; capturing its files from " + src.files_root + " instead");
        plan.coverage[t] = "files (" + why + ")";
      }
    }
  }

  if (comps.count("postgres")) {
    auto& p = comps["postgres"];
    if (!pg_all_tables) p.postgres.include_tables = pg_tables;
    if (pg_filter == "tenant") p.postgres.tenant = request.tenant;
    if (pg_filter == "project") p.postgres.project = request.project;
    p.postgres.jobs = ctx.jobs;
  }
  if (!file_globs.empty()) {
    auto& f = component("config");
    f.files.root = src.files_root;
    f.files.include = file_globs;
    // Secret files belong to the secrets component only (restored 0600, never listed in
    // plain metadata), even when a file group's glob also matches them.
    if (comps.count("secrets")) f.files.exclude = src.secret_files;
  }

  for (const auto& only : request.only)
    if (!comps.count(only))
      return Fail(ErrorCode::kInvalidInput, "--only=" + only + ": the " + request.set + " set has no " + only + " component");
  // Components in a fixed order: databases first, then files.
  for (const char* name : {"postgres", "neo4j", "redis", "config", "secrets", "kubernetes", "terraform"}) {
    auto it = comps.find(name);
    if (it == comps.end()) continue;
    if (!request.only.empty() && std::find(request.only.begin(), request.only.end(), name) == request.only.end())
      continue;
    plan.components.push_back(std::move(it->second));
  }
  if (plan.components.empty())
    return Fail(ErrorCode::kInvalidInput, "the " + request.set + " set has no components to back up");
  return plan;
}

}  // namespace summit::backup
