#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "backup/plan.h"
#include "backup/runner.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "core/bytes.h"
#include "repo/check.h"
#include "repo/lock.h"
#include "repo/snapshot.h"
#include "restore/pii_scan.h"
#include "restore/runner.h"
#include "sources/postgres/copy_text.h"
#include "transform/reducer.h"
#include "transform/rules.h"
#include "transform/sanitizer.h"

namespace summit::cli {
namespace fs = std::filesystem;
namespace {

class CliRestoreObserver final : public restore::RestoreObserver {
 public:
  explicit CliRestoreObserver(Progress& p) : progress_(p) {}
  void ComponentStarted(const std::string& c, uint64_t expected) override { progress_.BeginComponent(c, expected); }
  void BytesRestored(uint64_t n) override { progress_.Add(n); }
  void ComponentFinished(const std::string&, const nlohmann::json&) override { progress_.EndComponent(); }

 private:
  Progress& progress_;
};

// The environment's transforms, owned for the duration of the restore.
struct Transforms {
  std::unique_ptr<transform::PgSanitizer> pg;
  std::unique_ptr<transform::GraphSanitizer> graph;
  std::unique_ptr<transform::RedisSanitizer> redis;
  std::unique_ptr<transform::Reducer> reducer;
  std::unique_ptr<transform::ChainedPgTransform> chained;
  std::string profile;
  double reduction = 1.0;
};

Result<Transforms> BuildTransforms(Context& ctx, const std::string& env, bool sanitize, double reduction,
                                   repo::SnapshotReader& snapshot) {
  Transforms t;
  t.reduction = reduction;
  if (!sanitize && reduction >= 1.0) return t;
  std::string rules_path = ctx.config().sanitization_file;
  if (!rules_path.empty() && rules_path[0] != '/')
    rules_path = (fs::path(ctx.config().file).parent_path() / rules_path).string();
  SUMMIT_ASSIGN_OR_RETURN(auto rules, transform::LoadRules(rules_path));
  // Rules beyond the spec's (sanitization-beyond-spec.yaml beside the main file) run after them.
  std::string extra_path = (fs::path(rules_path).parent_path() / "sanitization-beyond-spec.yaml").string();
  std::optional<transform::RuleSet> extra;
  if (fs::exists(extra_path)) {
    SUMMIT_ASSIGN_OR_RETURN(auto e, transform::LoadRules(extra_path));
    for (const auto& r : e.postgres) rules.postgres.push_back(r);
    for (const auto& r : e.neo4j) rules.neo4j.push_back(r);
    for (const auto& r : e.redis) rules.redis.push_back(r);
    extra = std::move(e);
  }
  if (sanitize) {
    bool forced = false;
    auto profile = rules.ProfileFor(env);
    // --sanitize=true on an environment without a sanitizing profile applies the dev profile.
    if (!profile || profile->groups.empty()) profile = rules.ProfileFor("dev"), forced = true;
    if (!profile) return Fail(std::move(profile).error().Context(rules_path));
    if (extra) {
      auto more = extra->ProfileFor(forced ? "dev" : env);
      if (more) profile->groups.insert(more->groups.begin(), more->groups.end());
    }
    t.profile = profile->name;
    std::string salt = ctx.Env("SUMMIT_SANITIZE_SALT").value_or("");
    SUMMIT_ASSIGN_OR_RETURN(t.pg, transform::PgSanitizer::Create(rules, *profile, salt));
    SUMMIT_ASSIGN_OR_RETURN(t.graph, transform::GraphSanitizer::Create(rules, *profile, salt));
    SUMMIT_ASSIGN_OR_RETURN(t.redis, transform::RedisSanitizer::Create(rules, *profile, salt));
  }
  std::vector<const transform::PgRowTransform*> parts;
  if (reduction < 1.0) {
    auto comps = snapshot.Components();
    if (std::find(comps.begin(), comps.end(), "postgres") != comps.end()) {
      const auto* pg = snapshot.manifest().FindComponent("postgres");
      TimePoint reference;
      if (!ParseUtc(snapshot.manifest().finished, &reference)) reference = ctx.clock().Now();
      SUMMIT_ASSIGN_OR_RETURN(t.reducer, transform::Reducer::Create(rules.reduction, reduction,
                                                                    transform::SchemaFromPgAttributes(pg ? pg->attributes : nlohmann::json::object()),
                                                                    reference));
      parts.push_back(t.reducer.get());
    }
  }
  if (t.pg) parts.push_back(t.pg.get());
  if (!parts.empty()) t.chained = std::make_unique<transform::ChainedPgTransform>(parts);
  return t;
}

bool Confirm(const std::string& question) {
  if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) return false;
  std::fprintf(stderr, "%s [type 'yes' to continue] ", question.c_str());
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "yes";
}

std::string PgKey(const sources::postgres::Settings& s) { return s.host + ":" + std::to_string(s.port) + "/" + s.dbname; }
// A Redis capture restores every database it holds into the same-numbered database of the
// target, so only another server isolates an environment: compare servers, not databases.
std::string RedisKey(const sources::redis::Settings& s) { return s.host + ":" + std::to_string(s.port); }

int VerifyOnly(Context& ctx, const std::string& id, const std::string& from) {
  const auto& opts = ctx.options();
  auto opened = ctx.OpenHolding(id, from);
  if (!opened) return ReportError(opened.error(), opts);
  repo::CheckOptions co;
  co.read_data = true;
  co.snapshots = {id};
  if (!opts.json && !opts.quiet) std::fprintf(stderr, "verifying %s in %s: decrypting and hashing every byte\n", id.c_str(), opened->name.c_str());
  auto report = repo::Check(*opened->repo, co);
  if (!report) return ReportError(report.error(), opts);
  auto manifest = repo::LoadManifest(*opened->repo, id);
  if (!manifest) return ReportError(manifest.error(), opts);
  // The audit chain as verified when the backup was taken (recorded in the capture).
  nlohmann::json chains = nlohmann::json::array();
  bool chain_ok = true;
  if (const auto* pg = manifest->FindComponent("postgres")) {
    for (const auto& [k, v] : pg->attributes.items()) {
      if (!k.starts_with("audit_chain.")) continue;
      chains.push_back(v);
      chain_ok = chain_ok && v.value("verified", false);
    }
  }
  bool ok = report->ok() && chain_ok;
  if (ok) {
    // Retention never forgets the newest *verified* backup of a set: record that this one is.
    std::string marker = nlohmann::json({{"verified", FormatRfc3339(ctx.clock().Now())}}).dump();
    if (auto s = opened->backend->Put("verified/" + id, AsBytes(marker)); !s)
      std::fprintf(stderr, "⚠️  could not record the verification: %s\n", s.error().message().c_str());
  }
  if (opts.json) {
    std::printf("%s\n", nlohmann::json({{"ok", ok}, {"id", id}, {"check", report->ToJson()}, {"audit_chain", chains}}).dump(2).c_str());
  } else {
    std::printf("%s %s: %llu streams' chunks read, %s decrypted and hashed\n", ok ? "✅" : "❌", id.c_str(),
                static_cast<unsigned long long>(report->blobs), FormatBytes(report->bytes_read).c_str());
    for (const auto& d : report->damaged)
      std::printf("   damaged: component %s, stream %s: %s\n", d.component.c_str(), d.stream.c_str(), d.reason.c_str());
    for (const auto& e : report->errors) std::printf("   error: %s\n", e.c_str());
    for (const auto& c : chains)
      std::printf("   audit chain %s: %s (%llu rows)\n", c.value("table", "").c_str(),
                  c.value("verified", false) ? "intact" : "BROKEN", static_cast<unsigned long long>(c.value("rows", 0)));
  }
  return ok ? 0 : ExitCodeFor(ErrorCode::kCorruption);
}


// Production credential values of the backup (the configuration table's key/secret/password
// rows), so the scan can prove none of them reached the environment.
std::vector<SecretString> CredentialsOf(repo::SnapshotReader& snapshot) {
  std::vector<SecretString> out;
  auto comp = restore::OpenComponent(snapshot, "postgres");
  if (!comp) return out;
  for (const auto& t : (*comp)->Attributes().value("tables", nlohmann::json::array())) {
    if (t.value("name", "") != "configuration") continue;
    auto columns = t.value("columns", std::vector<std::string>{});
    auto name_it = std::find(columns.begin(), columns.end(), "name");
    auto value_it = std::find(columns.begin(), columns.end(), "value");
    if (name_it == columns.end() || value_it == columns.end()) continue;
    size_t ni = name_it - columns.begin(), vi = value_it - columns.begin();
    auto src = (*comp)->OpenStream(t.value("stream", ""));
    if (!src) continue;
    auto text = (*src)->ReadAll();
    if (!text) continue;
    size_t start = 0;
    while (start < text->size()) {
      size_t end = text->find('\n', start);
      if (end == std::string::npos) end = text->size();
      auto row = sources::postgres::DecodeCopyRow(std::string_view(*text).substr(start, end - start));
      start = end + 1;
      if (!row || row->size() <= std::max(ni, vi) || !(*row)[ni] || !(*row)[vi]) continue;
      const std::string& name = *(*row)[ni];
      for (const char* marker : {"KEY", "SECRET", "PASSWORD", "TOKEN"})
        if (name.find(marker) != std::string::npos) {
          out.emplace_back(*(*row)[vi]);
          break;
        }
    }
  }
  return out;
}

}  // namespace

int CmdScan(Context& ctx, const std::string& env_name) {
  const auto& opts = ctx.options();
  std::string env = env_name.empty() ? ctx.Env("RESTORE_ENV").value_or("") : env_name;
  if (env.empty()) return ReportError(Error(ErrorCode::kInvalidInput, "scan needs --env=ENV (e.g. dev)"), opts);
  auto targets = ctx.Targets(env, {});
  if (!targets) return ReportError(targets.error(), opts);
  transform::PiiScanner scanner;
  auto report = restore::ScanForPii(*targets, {"postgres", "neo4j", "redis"}, scanner);
  if (!report) return ReportError(report.error(), opts);
  if (opts.json) {
    std::printf("%s\n", report->ToJson().dump(2).c_str());
  } else {
    std::printf("%s %s: %llu values scanned, %zu places with PII\n", report->clean() ? "✅" : "❌", env.c_str(),
                (unsigned long long)report->values, report->findings.size());
    for (const auto& f : report->findings)
      std::printf("   %-8s %-50s %-10s %llu\n", f.store.c_str(), f.where.c_str(), f.kind.c_str(), (unsigned long long)f.count);
  }
  return report->clean() ? 0 : ExitCodeFor(ErrorCode::kCorruption);
}

namespace {
}  // namespace

int CmdRestore(Context& ctx, RestoreFlags flags) {
  const auto& opts = ctx.options();
  backup::RestoreRequest req;
  req.backup_id = flags.backup_id;
  // `ls -t backups/summit-backup-full-*` prints directory headers as "backups/<id>:".
  while (!req.backup_id.empty() && (req.backup_id.back() == ':' || req.backup_id.back() == '/')) req.backup_id.pop_back();
  if (size_t slash = req.backup_id.rfind('/'); slash != std::string::npos) req.backup_id = req.backup_id.substr(slash + 1);
  auto mode = backup::ParseRestoreMode(flags.mode);
  if (!mode) return ReportError(mode.error(), opts);
  req.mode = *mode;
  req.env = !flags.env.empty() ? flags.env : ctx.Env("RESTORE_ENV").value_or("production");
  if (!flags.only.empty()) {
    auto only = backup::ParseComponentList(flags.only);
    if (!only) return ReportError(only.error(), opts);
    req.only = *only;
  } else {
    auto vars = backup::ComponentsFromRestoreVariables(ctx.environment());
    if (!vars) return ReportError(vars.error(), opts);
    if (*vars) {
      req.only = **vars;
      if (req.mode == backup::RestoreMode::kFull && flags.mode == "full") req.mode = backup::RestoreMode::kSelective;
    }
  }
  for (const auto& t : flags.targets) {
    auto parsed = backup::ParseTarget(t);
    if (!parsed) return ReportError(parsed.error(), opts);
    req.targets[parsed->first] = parsed->second;
  }
  if (!flags.sanitize.empty()) {
    if (flags.sanitize != "true" && flags.sanitize != "false")
      return ReportError(Error(ErrorCode::kInvalidInput, "--sanitize must be true or false"), opts);
    req.sanitize = flags.sanitize == "true";
  }
  req.pitr = flags.pitr;
  req.dry_run = flags.dry_run;
  req.yes = flags.yes;
  req.no_safety_backup = flags.no_safety_backup;
  if (auto s = backup::ValidateRestoreRequest(req); !s) return ReportError(s.error(), opts);
  if (!req.pitr.empty())
    return ReportError(Error(ErrorCode::kUnsupported, "point-in-time recovery (--pitr) is not built yet in this version",
                             "restore the newest backup before the wanted time instead"),
                       opts);
  if (req.mode == backup::RestoreMode::kVerifyOnly) return VerifyOnly(ctx, req.backup_id, flags.from);

  const config::EnvironmentConfig* env = ctx.config().FindEnvironment(req.env);
  if (!env) return ReportError(Error(ErrorCode::kInvalidInput, "environment '" + req.env + "' is not in " + ctx.config().file), opts);
  bool sanitize = req.sanitize.value_or(env->sanitize != config::EnvironmentConfig::Sanitize::kNone);
  bool profile_sanitizes = env->sanitize == config::EnvironmentConfig::Sanitize::kFull;
  if (req.sanitize && !*req.sanitize && profile_sanitizes && !req.yes)
    return ReportError(Error(ErrorCode::kInvalidInput,
                             "--sanitize=false would put production data into the " + req.env + " environment",
                             "pass --yes as well if that is really intended"),
                       opts);
  bool production = req.env == "production";
  if (production && !req.dry_run && !req.yes) {
    if (!Confirm("Restore " + req.backup_id + " into PRODUCTION? This overwrites live data.")) {
      return ReportError(Error(ErrorCode::kInvalidInput, "refusing to restore into production without confirmation",
                               "pass --yes (or answer 'yes' on a terminal)"),
                         opts);
    }
    req.yes = true;
  }

  auto opened = ctx.OpenHolding(req.backup_id, flags.from);
  if (!opened) return ReportError(opened.error(), opts);
  auto snapshot = repo::SnapshotReader::Open(*opened->repo, req.backup_id);
  if (!snapshot) return ReportError(snapshot.error(), opts);
  auto targets = ctx.Targets(req.env, req.targets);
  if (!targets) return ReportError(targets.error(), opts);

  auto transforms = BuildTransforms(ctx, req.env, sanitize, env->reduction, **snapshot);
  if (!transforms) return ReportError(transforms.error(), opts);

  restore::RestoreOptions ro;
  ro.components = req.only;
  ro.dry_run = req.dry_run;
  ro.jobs = ctx.config().jobs;
  ro.postgres_group_for_index = ctx.config().sources.postgres_restore.group_for_index;
  ro.postgres_spill_dir = ctx.config().sources.postgres_restore.spill_dir;
  // Outside production the environment's own stores are scratch by definition; production
  // needs the confirmation above.
  ro.allow_destructive = !production || req.yes;
  ro.skip_secrets = sanitize;
  ro.postgres_transform = transforms->chained.get();
  ro.neo4j_transform = transforms->graph.get();
  ro.redis_transform = transforms->redis.get();
  ro.verify_audit_chain = !sanitize;
  ro.audit_truncated_head = transforms->reduction < 1.0;
  if (!flags.tables.empty()) {
    size_t start = 0;
    while (start <= flags.tables.size()) {
      size_t end = flags.tables.find(',', start);
      if (end == std::string::npos) end = flags.tables.size();
      if (end > start) ro.tables.push_back(flags.tables.substr(start, end - start));
      start = end + 1;
    }
  }

  // Never write a non-production restore into the stores the backups come from.
  if (!production) {
    backup::StoreSettings src = ctx.SourceStores();
    std::vector<std::string> clash;
    auto comps = (*snapshot)->Components();
    auto wanted = [&](const std::string& c) {
      return std::find(comps.begin(), comps.end(), c) != comps.end() &&
             (ro.components.empty() || std::find(ro.components.begin(), ro.components.end(), c) != ro.components.end());
    };
    if (wanted("postgres") && PgKey(src.postgres) == PgKey(targets->postgres)) clash.push_back("postgres (" + PgKey(src.postgres) + ")");
    if (wanted("redis") && RedisKey(src.redis) == RedisKey(targets->redis)) clash.push_back("redis (" + RedisKey(src.redis) + ")");
    if (wanted("neo4j") && src.neo4j.uri == targets->neo4j.uri && src.neo4j.database == targets->neo4j.database)
      clash.push_back("neo4j (" + src.neo4j.uri + ")");
    if (!clash.empty() && !req.yes) {
      std::string list;
      for (const auto& c : clash) list += (list.empty() ? "" : ", ") + c;
      return ReportError(Error(ErrorCode::kInvalidInput,
                               "the " + req.env + " environment's target is the production source for " + list,
                               "point the environment at its own store (config environments." + req.env +
                                   ".targets, or --target COMPONENT=URL), restrict with --only, or pass --yes to overwrite it"),
                         opts);
    }
  }

  // Production: a safety backup of what is about to be overwritten.
  std::string safety_id;
  if (production && !req.dry_run && !req.no_safety_backup) {
    backup::BackupRequest sreq;
    sreq.set = "full";
    sreq.only = req.only.empty() ? std::vector<std::string>{} : req.only;
    std::vector<std::string> db_only;
    for (const auto& c : (*snapshot)->Components())
      if ((c == "postgres" || c == "neo4j" || c == "redis") &&
          (req.only.empty() || std::find(req.only.begin(), req.only.end(), c) != req.only.end()))
        db_only.push_back(c);
    if (!db_only.empty()) {
      sreq.only = db_only;
      backup::PlanContext pc;
      pc.now = ctx.clock().Now();
      pc.have_program = [](const std::string&) { return false; };
      pc.jobs = ctx.config().jobs;
      auto splan = backup::PlanBackup(ctx.config(), sreq, pc);
      if (!splan) return ReportError(splan.error().Context("planning the safety backup"), opts);
      splan->id = "summit-backup-full-" + FormatCompactUtc(pc.now);
      splan->pre_hooks.clear();
      splan->post_hooks.clear();
      auto local = ctx.Open(ctx.DefaultRepository(), true);
      if (!local) return ReportError(local.error(), opts);
      backup::BackupObserver quiet;
      char host[256] = {0};
      ::gethostname(host, sizeof host - 1);
      std::fprintf(stderr, "taking a safety backup of the current state first (--no-safety-backup skips it)\n");
      auto out = backup::RunBackup(*splan, {local->repo.get()}, ctx.SourceStores(), quiet, ctx.clock(), host);
      if (!out)
        return ReportError(Error(out.error().code(), "safety backup failed, nothing was restored: " + out.error().message(),
                                 "fix it, or pass --no-safety-backup"),
                           opts);
      safety_id = splan->id;
      out->metadata["safety_backup_for"] = req.backup_id;
      (void)WriteFileAtomic(ctx.MetadataBase() + "/" + safety_id + "/backup-metadata.json", out->metadata.dump(2) + "\n");
    }
  }

  if (!opts.json && !opts.quiet)
    std::fprintf(stderr, "%s %s from %s into %s%s%s\n", req.dry_run ? "planning the restore of" : "restoring",
                 req.backup_id.c_str(), opened->name.c_str(), req.env.c_str(),
                 sanitize ? " (sanitized: profile " : "", sanitize ? (transforms->profile + ")").c_str() : "");
  Progress progress("restore", ctx.terminal(), !opts.quiet && !req.dry_run);
  CliRestoreObserver observer(progress);
  auto start = std::chrono::steady_clock::now();
  auto outcome = restore::RunRestore(**snapshot, *targets, ro, observer);
  progress.Finish();
  if (!outcome) {
    std::fprintf(stderr, "❌ Restore failed\n");
    return ReportError(outcome.error(), opts);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  bool ok = outcome->audit_chain_ok;
  // After every dev and test restore: prove that no PII and no production credential landed.
  nlohmann::json scan_json;
  if (!req.dry_run && !flags.skip_scan && (req.env == "dev" || req.env == "test" || (req.sanitize && *req.sanitize))) {
    std::vector<std::string> scanned;
    for (const auto& [name, _] : outcome->components.items())
      if (name == "postgres" || name == "neo4j" || name == "redis") scanned.push_back(name);
    transform::PiiScanner scanner(CredentialsOf(**snapshot));
    auto report = restore::ScanForPii(*targets, scanned, scanner);
    if (!report) return ReportError(report.error().Context("the restore finished, but"), opts);
    scan_json = report->ToJson();
    if (!report->clean()) {
      ok = false;
      for (const auto& f : report->findings)
        outcome->warnings.push_back("PII left in " + f.store + " " + f.where + ": " + std::to_string(f.count) + " " +
                                    f.kind + " value(s)");
    }
  }
  if (opts.json) {
    nlohmann::json j = {{"ok", ok},
                        {"id", req.backup_id},
                        {"env", req.env},
                        {"mode", backup::RestoreModeName(req.mode)},
                        {"dry_run", req.dry_run},
                        {"sanitized", sanitize},
                        {"reduction", transforms->reduction},
                        {"components", outcome->components},
                        {"warnings", outcome->warnings},
                        {"seconds", secs}};
    if (!safety_id.empty()) j["safety_backup"] = safety_id;
    if (!scan_json.is_null()) j["pii_scan"] = scan_json;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    if (req.dry_run) {
      std::printf("dry run: nothing was changed. The restore of %s into %s would:\n", req.backup_id.c_str(), req.env.c_str());
      for (const auto& [name, s] : outcome->components.items()) {
        std::printf("  %s:\n", name.c_str());
        if (s.contains("plan")) {
          if (s["plan"].is_string()) std::printf("%s\n", s["plan"].get<std::string>().c_str());
          else
            for (const auto& line : s["plan"]) std::printf("    %s\n", line.is_string() ? line.get<std::string>().c_str() : line.dump().c_str());
        } else {
          std::printf("    %s\n", s.dump().c_str());
        }
      }
    } else {
      std::printf("%s Restore of %s into %s finished in %.1f s\n", ok ? "✅" : "❌", req.backup_id.c_str(), req.env.c_str(), secs);
      for (const auto& [name, s] : outcome->components.items()) std::printf("   %-10s %s\n", name.c_str(), s.dump().c_str());
      if (!safety_id.empty()) std::printf("   safety backup taken first: %s\n", safety_id.c_str());
      if (!scan_json.is_null())
        std::printf("   PII scan: %llu values, %s\n", (unsigned long long)scan_json.value("values_scanned", 0),
                    scan_json.value("clean", false) ? "nothing found" : "FOUND PII (see warnings)");
    }
    for (const auto& w : outcome->warnings) std::fprintf(stderr, "⚠️  %s\n", w.c_str());
  }
  return ok ? 0 : ExitCodeFor(ErrorCode::kCorruption);
}

}  // namespace summit::cli
