#include "config/config.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <yaml-cpp/yaml.h>

namespace summit::config {
namespace {

const char kHintSchema[] = "see docs/configuration.md for the schema of config/backup-sets.yaml";

class Loader {
 public:
  Loader(const std::string& file, const EnvLookup& env) : file_(file), env_(env) {}

  SourcePos Pos(const YAML::Node& n, const std::string& path) const {
    int line = n.IsDefined() && n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
    return SourcePos{file_, line, path};
  }
  Error Err(const YAML::Node& n, const std::string& path, const std::string& what,
            std::string hint = kHintSchema) const {
    return Error(ErrorCode::kInvalidInput, Pos(n, path).Describe() + ": " + what, std::move(hint));
  }

  // The map's keys must all be in `allowed`.
  Status CheckMap(const YAML::Node& n, const std::string& path, const std::vector<std::string>& allowed) const {
    if (!n.IsMap()) return Err(n, path, "must be a mapping (key: value), got " + KindName(n));
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string key = it->first.as<std::string>();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string close = DidYouMean(key, allowed);
        std::string hint = close.empty() ? "allowed keys here: " + Join(allowed)
                                         : "did you mean '" + close + "'?";
        return Err(it->first, Join(path, key), "unknown key '" + key + "'", hint);
      }
    }
    return Ok();
  }

  static std::string Join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  }
  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }
  static std::string KindName(const YAML::Node& n) {
    switch (n.Type()) {
      case YAML::NodeType::Map: return "a mapping";
      case YAML::NodeType::Sequence: return "a list";
      case YAML::NodeType::Scalar: return "a scalar";
      case YAML::NodeType::Null: return "nothing (null)";
      default: return "nothing";
    }
  }

  // A scalar with ${VAR} substituted; nullopt when the key is absent, null or empty after
  // substitution (so that environment fallbacks apply).
  Result<std::optional<std::string>> OptStr(const YAML::Node& map, const std::string& path, const char* key) const {
    YAML::Node n = map[key];
    std::string p = Join(path, key);
    if (!n.IsDefined() || n.IsNull()) return std::optional<std::string>();
    if (!n.IsScalar()) return Err(n, p, "must be a string, got " + KindName(n));
    auto v = SubstituteEnv(n.Scalar(), env_);
    if (!v) return Err(n, p, v.error().message());
    if (v->empty()) return std::optional<std::string>();
    return std::optional<std::string>(std::move(*v));
  }
  Result<std::string> ReqStr(const YAML::Node& map, const std::string& path, const char* key) const {
    SUMMIT_ASSIGN_OR_RETURN(auto v, OptStr(map, path, key));
    if (!v) return Err(map[key].IsDefined() ? map[key] : map, Join(path, key), "missing required field '" + std::string(key) + "'");
    return *v;
  }
  Result<std::optional<long long>> OptInt(const YAML::Node& map, const std::string& path, const char* key) const {
    SUMMIT_ASSIGN_OR_RETURN(auto v, OptStr(map, path, key));
    if (!v) return std::optional<long long>();
    char* end = nullptr;
    errno = 0;
    long long x = std::strtoll(v->c_str(), &end, 10);
    if (errno != 0 || end == v->c_str() || *end != '\0') {
      return Err(map[key], Join(path, key), "must be an integer, got '" + *v + "'");
    }
    return std::optional<long long>(x);
  }
  Result<std::optional<double>> OptDouble(const YAML::Node& map, const std::string& path, const char* key) const {
    SUMMIT_ASSIGN_OR_RETURN(auto v, OptStr(map, path, key));
    if (!v) return std::optional<double>();
    char* end = nullptr;
    double x = std::strtod(v->c_str(), &end);
    if (end == v->c_str() || *end != '\0') {
      return Err(map[key], Join(path, key), "must be a number, got '" + *v + "'");
    }
    return std::optional<double>(x);
  }
  Result<std::optional<bool>> OptBool(const YAML::Node& map, const std::string& path, const char* key) const {
    SUMMIT_ASSIGN_OR_RETURN(auto v, OptStr(map, path, key));
    if (!v) return std::optional<bool>();
    if (*v == "true" || *v == "yes" || *v == "on") return std::optional<bool>(true);
    if (*v == "false" || *v == "no" || *v == "off") return std::optional<bool>(false);
    return Err(map[key], Join(path, key), "must be true or false, got '" + *v + "'");
  }
  Result<std::vector<std::string>> StrList(const YAML::Node& map, const std::string& path, const char* key) const {
    YAML::Node n = map[key];
    std::string p = Join(path, key);
    std::vector<std::string> out;
    if (!n.IsDefined() || n.IsNull()) return out;
    if (!n.IsSequence()) return Err(n, p, "must be a list of strings, got " + KindName(n));
    for (size_t i = 0; i < n.size(); ++i) {
      if (!n[i].IsScalar()) return Err(n[i], p + "[" + std::to_string(i) + "]", "must be a string, got " + KindName(n[i]));
      auto v = SubstituteEnv(n[i].Scalar(), env_);
      if (!v) return Err(n[i], p, v.error().message());
      if (!v->empty()) out.push_back(std::move(*v));
    }
    return out;
  }

  std::string Env(const char* name) const {
    auto v = env_(name);
    return v ? *v : std::string();
  }

  // Unset connection fields fall back to the standard environment variables, then defaults.
  Result<PostgresConnection> Postgres(const YAML::Node& n, const std::string& path) const {
    PostgresConnection c;
    YAML::Node m = n.IsDefined() && !n.IsNull() ? n : YAML::Node(YAML::NodeType::Map);
    SUMMIT_TRY(CheckMap(m, path, {"host", "port", "user", "password", "database", "sslmode"}));
    SUMMIT_ASSIGN_OR_RETURN(auto host, OptStr(m, path, "host"));
    SUMMIT_ASSIGN_OR_RETURN(auto port, OptInt(m, path, "port"));
    SUMMIT_ASSIGN_OR_RETURN(auto user, OptStr(m, path, "user"));
    SUMMIT_ASSIGN_OR_RETURN(auto password, OptStr(m, path, "password"));
    SUMMIT_ASSIGN_OR_RETURN(auto database, OptStr(m, path, "database"));
    SUMMIT_ASSIGN_OR_RETURN(auto sslmode, OptStr(m, path, "sslmode"));
    c.host = host ? *host : Or(Env("PGHOST"), "127.0.0.1");
    if (port) {
      c.port = static_cast<int>(*port);
    } else if (std::string p = Env("PGPORT"); !p.empty()) {
      c.port = std::atoi(p.c_str());
    }
    if (c.port <= 0 || c.port > 65535) return Err(m["port"].IsDefined() ? m["port"] : m, Join(path, "port"), "must be a TCP port 1-65535, got " + std::to_string(c.port));
    c.user = user ? *user : Or(Env("PGUSER"), "postgres");
    c.password = SecretString(password ? *password : Env("PGPASSWORD"));
    c.database = database ? *database : Or(Env("PGDATABASE"), "summit");
    c.sslmode = sslmode.value_or("");
    return c;
  }
  Result<RedisConnection> Redis(const YAML::Node& n, const std::string& path) const {
    YAML::Node m = n.IsDefined() && !n.IsNull() ? n : YAML::Node(YAML::NodeType::Map);
    SUMMIT_TRY(CheckMap(m, path, {"url"}));
    SUMMIT_ASSIGN_OR_RETURN(auto url, OptStr(m, path, "url"));
    std::string u = url ? *url : Or(Env("REDIS_URL"), "redis://127.0.0.1:6379/0");
    if (u.rfind("redis://", 0) != 0 && u.rfind("rediss://", 0) != 0 && u.rfind("unix://", 0) != 0) {
      return Err(m["url"].IsDefined() ? m["url"] : m, Join(path, "url"), "must start with redis://, rediss:// or unix://",
                 "e.g. redis://127.0.0.1:6379/0");
    }
    return RedisConnection{SecretString(u)};
  }
  Result<Neo4jConnection> Neo4j(const YAML::Node& n, const std::string& path) const {
    YAML::Node m = n.IsDefined() && !n.IsNull() ? n : YAML::Node(YAML::NodeType::Map);
    SUMMIT_TRY(CheckMap(m, path, {"uri", "user", "password", "database"}));
    SUMMIT_ASSIGN_OR_RETURN(auto uri, OptStr(m, path, "uri"));
    SUMMIT_ASSIGN_OR_RETURN(auto user, OptStr(m, path, "user"));
    SUMMIT_ASSIGN_OR_RETURN(auto password, OptStr(m, path, "password"));
    SUMMIT_ASSIGN_OR_RETURN(auto database, OptStr(m, path, "database"));
    Neo4jConnection c;
    c.uri = uri ? *uri : Or(Env("NEO4J_URI"), "bolt://127.0.0.1:7687");
    if (c.uri.rfind("bolt://", 0) != 0 && c.uri.rfind("neo4j://", 0) != 0) {
      return Err(m["uri"].IsDefined() ? m["uri"] : m, Join(path, "uri"), "must start with bolt:// or neo4j://, got '" + c.uri + "'");
    }
    c.user = user ? *user : Or(Env("NEO4J_USER"), "neo4j");
    c.password = SecretString(password ? *password : Env("NEO4J_PASSWORD"));
    c.database = database.value_or("neo4j");
    return c;
  }

  static std::string Or(std::string v, const char* fallback) { return v.empty() ? fallback : v; }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
  const EnvLookup& env_;
};

Result<RepositoryConfig> LoadRepository(const Loader& L, const std::string& name, const YAML::Node& n, const std::string& path) {
  RepositoryConfig r;
  r.name = name;
  r.pos = L.Pos(n, path);
  SUMMIT_TRY(L.CheckMap(n, path, {"type", "path", "endpoint", "region", "bucket", "prefix", "access_key", "secret_key", "path_style"}));
  SUMMIT_ASSIGN_OR_RETURN(std::string type, L.ReqStr(n, path, "type"));
  if (type == "local") {
    r.type = RepositoryConfig::Type::kLocal;
    SUMMIT_ASSIGN_OR_RETURN(auto p, L.OptStr(n, path, "path"));
    r.path = p ? *p : Loader::Or(L.Env("BACKUP_BASE"), "./backups");
  } else if (type == "s3") {
    r.type = RepositoryConfig::Type::kS3;
    SUMMIT_ASSIGN_OR_RETURN(auto endpoint, L.OptStr(n, path, "endpoint"));
    SUMMIT_ASSIGN_OR_RETURN(auto region, L.OptStr(n, path, "region"));
    SUMMIT_ASSIGN_OR_RETURN(auto bucket, L.OptStr(n, path, "bucket"));
    SUMMIT_ASSIGN_OR_RETURN(auto prefix, L.OptStr(n, path, "prefix"));
    SUMMIT_ASSIGN_OR_RETURN(auto ak, L.OptStr(n, path, "access_key"));
    SUMMIT_ASSIGN_OR_RETURN(auto sk, L.OptStr(n, path, "secret_key"));
    SUMMIT_ASSIGN_OR_RETURN(auto ps, L.OptBool(n, path, "path_style"));
    if (!region) return L.Err(n, Loader::Join(path, "region"), "missing required field 'region' for an s3 repository");
    r.region = *region;
    r.endpoint = endpoint ? *endpoint : "https://s3." + r.region + ".amazonaws.com";
    r.bucket = bucket ? *bucket : L.Env("S3_BUCKET");
    r.prefix = prefix.value_or("");
    r.access_key = SecretString(ak ? *ak : L.Env("AWS_ACCESS_KEY_ID"));
    r.secret_key = SecretString(sk ? *sk : L.Env("AWS_SECRET_ACCESS_KEY"));
    r.path_style = ps.value_or(true);
  } else {
    return L.Err(n["type"], Loader::Join(path, "type"), "unknown repository type '" + type + "'", "use 'local' or 's3'");
  }
  return r;
}

Result<ComponentConfig> LoadComponent(const Loader& L, const YAML::Node& n, const std::string& path) {
  ComponentConfig c;
  c.pos = L.Pos(n, path);
  SUMMIT_TRY(L.CheckMap(n, path, {"type", "tables", "labels", "relationships", "include", "exclude", "filter", "mode"}));
  SUMMIT_ASSIGN_OR_RETURN(c.type, L.ReqStr(n, path, "type"));
  const auto& known = KnownComponentTypes();
  if (std::find(known.begin(), known.end(), c.type) == known.end()) {
    std::string close = DidYouMean(c.type, known);
    return L.Err(n["type"], Loader::Join(path, "type"), "unknown component '" + c.type + "'",
                 close.empty() ? "components: " + Loader::Join(known) : "did you mean '" + close + "'?");
  }
  SUMMIT_ASSIGN_OR_RETURN(c.tables, L.StrList(n, path, "tables"));
  SUMMIT_ASSIGN_OR_RETURN(c.labels, L.StrList(n, path, "labels"));
  SUMMIT_ASSIGN_OR_RETURN(c.relationships, L.StrList(n, path, "relationships"));
  SUMMIT_ASSIGN_OR_RETURN(c.include, L.StrList(n, path, "include"));
  SUMMIT_ASSIGN_OR_RETURN(c.exclude, L.StrList(n, path, "exclude"));
  SUMMIT_ASSIGN_OR_RETURN(auto filter, L.OptStr(n, path, "filter"));
  SUMMIT_ASSIGN_OR_RETURN(auto mode, L.OptStr(n, path, "mode"));
  c.filter = filter.value_or("");
  if (!c.filter.empty() && c.filter != "tenant" && c.filter != "project") {
    return L.Err(n["filter"], Loader::Join(path, "filter"), "unknown filter '" + c.filter + "'", "use 'tenant' or 'project'");
  }
  c.mode = mode.value_or("");
  return c;
}

Result<SetConfig> LoadSet(const Loader& L, const std::string& name, const YAML::Node& n, const std::string& path,
                          const std::map<std::string, SetConfig>& loaded) {
  SetConfig s;
  s.name = name;
  s.pos = L.Pos(n, path);
  SUMMIT_TRY(L.CheckMap(n, path, {"description", "schedule", "retention_days", "storage", "requires", "extends",
                                  "components", "hooks", "replicate"}));
  SUMMIT_ASSIGN_OR_RETURN(auto desc, L.OptStr(n, path, "description"));
  s.description = desc.value_or("");
  SUMMIT_ASSIGN_OR_RETURN(std::string schedule, L.ReqStr(n, path, "schedule"));
  if (schedule != "on-demand") {
    auto cron = CronExpr::Parse(schedule);
    if (!cron) return L.Err(n["schedule"], Loader::Join(path, "schedule"), cron.error().message(), cron.error().hint());
    s.schedule = std::move(*cron);
  }
  SUMMIT_ASSIGN_OR_RETURN(auto retention, L.OptInt(n, path, "retention_days"));
  if (!retention) return L.Err(n, Loader::Join(path, "retention_days"), "missing required field 'retention_days'");
  if (*retention <= 0) {
    return L.Err(n["retention_days"], Loader::Join(path, "retention_days"),
                 "must be a positive number of days, got " + std::to_string(*retention));
  }
  s.retention_days = static_cast<int>(*retention);
  SUMMIT_ASSIGN_OR_RETURN(s.storage, L.StrList(n, path, "storage"));
  s.storage_pos = L.Pos(n["storage"], Loader::Join(path, "storage"));
  if (s.storage.empty()) return L.Err(n, Loader::Join(path, "storage"), "missing required field 'storage' (a list of repository names)");
  SUMMIT_ASSIGN_OR_RETURN(s.required_params, L.StrList(n, path, "requires"));
  for (const auto& r : s.required_params) {
    if (r != "tenant_id" && r != "project_id") {
      return L.Err(n["requires"], Loader::Join(path, "requires"), "unknown parameter '" + r + "'", "use tenant_id or project_id");
    }
  }
  SUMMIT_ASSIGN_OR_RETURN(auto extends, L.OptStr(n, path, "extends"));
  if (extends) {
    auto it = loaded.find(*extends);
    if (it == loaded.end()) {
      return L.Err(n["extends"], Loader::Join(path, "extends"), "set '" + *extends + "' is not defined above this one",
                   "define the extended set earlier in the file");
    }
    s.components = it->second.components;
  }
  YAML::Node comps = n["components"];
  std::string cpath = Loader::Join(path, "components");
  if (!comps.IsDefined() || comps.IsNull()) {
    if (!extends) return L.Err(n, cpath, "missing required field 'components'");
  } else {
    if (!comps.IsSequence()) return L.Err(comps, cpath, "must be a list of components, got " + Loader::KindName(comps));
    for (size_t i = 0; i < comps.size(); ++i) {
      SUMMIT_ASSIGN_OR_RETURN(auto c, LoadComponent(L, comps[i], cpath + "[" + std::to_string(i) + "]"));
      s.components.push_back(std::move(c));
    }
  }
  YAML::Node hooks = n["hooks"];
  if (hooks.IsDefined() && !hooks.IsNull()) {
    std::string hpath = Loader::Join(path, "hooks");
    SUMMIT_TRY(L.CheckMap(hooks, hpath, {"pre", "post"}));
    SUMMIT_ASSIGN_OR_RETURN(s.pre_hooks, L.StrList(hooks, hpath, "pre"));
    SUMMIT_ASSIGN_OR_RETURN(s.post_hooks, L.StrList(hooks, hpath, "post"));
  }
  SUMMIT_ASSIGN_OR_RETURN(auto replicate, L.OptBool(n, path, "replicate"));
  s.replicate = replicate.value_or(false);
  return s;
}

Result<EnvironmentConfig> LoadEnvironment(const Loader& L, const std::string& name, const YAML::Node& n, const std::string& path) {
  EnvironmentConfig e;
  e.name = name;
  e.pos = L.Pos(n, path);
  SUMMIT_TRY(L.CheckMap(n, path, {"description", "sanitize", "reduction", "confirm", "targets"}));
  SUMMIT_ASSIGN_OR_RETURN(std::string sanitize, L.ReqStr(n, path, "sanitize"));
  if (sanitize == "none") e.sanitize = EnvironmentConfig::Sanitize::kNone;
  else if (sanitize == "minimal") e.sanitize = EnvironmentConfig::Sanitize::kMinimal;
  else if (sanitize == "full") e.sanitize = EnvironmentConfig::Sanitize::kFull;
  else return L.Err(n["sanitize"], Loader::Join(path, "sanitize"), "unknown sanitize level '" + sanitize + "'", "use none, minimal or full");
  SUMMIT_ASSIGN_OR_RETURN(auto reduction, L.OptDouble(n, path, "reduction"));
  e.reduction = reduction.value_or(1.0);
  if (!(e.reduction > 0.0 && e.reduction <= 1.0)) {
    return L.Err(n["reduction"], Loader::Join(path, "reduction"),
                 "must be a fraction of rows kept in (0, 1], got " + std::to_string(e.reduction), "dev keeps 0.10, test 0.20");
  }
  SUMMIT_ASSIGN_OR_RETURN(auto confirm, L.OptBool(n, path, "confirm"));
  e.confirm = confirm.value_or(false);
  YAML::Node t = n["targets"];
  std::string tpath = Loader::Join(path, "targets");
  YAML::Node tm = t.IsDefined() && !t.IsNull() ? t : YAML::Node(YAML::NodeType::Map);
  SUMMIT_TRY(L.CheckMap(tm, tpath, {"postgres", "redis", "neo4j"}));
  SUMMIT_ASSIGN_OR_RETURN(e.postgres, L.Postgres(tm["postgres"], Loader::Join(tpath, "postgres")));
  SUMMIT_ASSIGN_OR_RETURN(e.redis, L.Redis(tm["redis"], Loader::Join(tpath, "redis")));
  SUMMIT_ASSIGN_OR_RETURN(e.neo4j, L.Neo4j(tm["neo4j"], Loader::Join(tpath, "neo4j")));
  return e;
}

Result<SourcesConfig> LoadSources(const Loader& L, const YAML::Node& n, const std::string& path) {
  SourcesConfig s;
  SUMMIT_TRY(L.CheckMap(n, path, {"postgres", "redis", "neo4j", "files", "secrets", "commands", "stores"}));
  YAML::Node pg = n["postgres"];
  std::string pgpath = Loader::Join(path, "postgres");
  YAML::Node pgm = pg.IsDefined() && !pg.IsNull() ? pg : YAML::Node(YAML::NodeType::Map);
  // The connection keys and the table lists share one mapping.
  SUMMIT_TRY(L.CheckMap(pgm, pgpath, {"host", "port", "user", "password", "database", "sslmode", "core_tables", "hypertables",
                                    "incremental", "restore"}));
  YAML::Node conn(YAML::NodeType::Map);
  for (auto it = pgm.begin(); it != pgm.end(); ++it) {
    std::string k = it->first.as<std::string>();
    if (k != "core_tables" && k != "hypertables" && k != "incremental" && k != "restore") conn[k] = it->second;
  }
  if (YAML::Node rs = pgm["restore"]; rs.IsDefined() && !rs.IsNull()) {
    std::string rpath = Loader::Join(pgpath, "restore");
    SUMMIT_TRY(L.CheckMap(rs, rpath, {"load_order", "spill_dir"}));
    SUMMIT_ASSIGN_OR_RETURN(auto order, L.OptStr(rs, rpath, "load_order"));
    SUMMIT_ASSIGN_OR_RETURN(auto spill, L.OptStr(rs, rpath, "spill_dir"));
    if (order && *order != "index" && *order != "stream")
      return L.Err(rs["load_order"], Loader::Join(rpath, "load_order"), "must be index or stream");
    if (order) s.postgres_restore.group_for_index = *order == "index";
    if (spill) s.postgres_restore.spill_dir = *spill;
  }
  if (YAML::Node inc = pgm["incremental"]; inc.IsDefined() && !inc.IsNull()) {
    std::string ipath = Loader::Join(pgpath, "incremental");
    SUMMIT_TRY(L.CheckMap(inc, ipath, {"max_chain", "max_delta_fraction"}));
    SUMMIT_ASSIGN_OR_RETURN(auto chain, L.OptInt(inc, ipath, "max_chain"));
    SUMMIT_ASSIGN_OR_RETURN(auto fraction, L.OptDouble(inc, ipath, "max_delta_fraction"));
    if (chain && (*chain < 1 || *chain > 1000)) return L.Err(inc["max_chain"], Loader::Join(ipath, "max_chain"), "must be between 1 and 1000");
    if (fraction && (*fraction <= 0 || *fraction > 1))
      return L.Err(inc["max_delta_fraction"], Loader::Join(ipath, "max_delta_fraction"), "must be a fraction in (0, 1]");
    if (chain) s.postgres_incremental.max_chain = static_cast<int>(*chain);
    if (fraction) s.postgres_incremental.max_delta_fraction = *fraction;
  }
  SUMMIT_ASSIGN_OR_RETURN(s.postgres, L.Postgres(conn, pgpath));
  SUMMIT_ASSIGN_OR_RETURN(s.core_tables, L.StrList(pgm, pgpath, "core_tables"));
  SUMMIT_ASSIGN_OR_RETURN(s.hypertables, L.StrList(pgm, pgpath, "hypertables"));
  SUMMIT_ASSIGN_OR_RETURN(s.redis, L.Redis(n["redis"], Loader::Join(path, "redis")));
  SUMMIT_ASSIGN_OR_RETURN(s.neo4j, L.Neo4j(n["neo4j"], Loader::Join(path, "neo4j")));

  if (YAML::Node f = n["files"]; f.IsDefined() && !f.IsNull()) {
    std::string fpath = Loader::Join(path, "files");
    SUMMIT_TRY(L.CheckMap(f, fpath, {"root", "groups"}));
    SUMMIT_ASSIGN_OR_RETURN(auto root, L.OptStr(f, fpath, "root"));
    s.files_root = root.value_or(".");
    YAML::Node g = f["groups"];
    std::string gpath = Loader::Join(fpath, "groups");
    if (g.IsDefined()) {
      if (!g.IsMap()) return L.Err(g, gpath, "must be a mapping of group name to a list of globs");
      for (auto it = g.begin(); it != g.end(); ++it) {
        std::string name = it->first.as<std::string>();
        SUMMIT_ASSIGN_OR_RETURN(s.file_groups[name], L.StrList(g, gpath, name.c_str()));
      }
    }
  }
  if (YAML::Node sec = n["secrets"]; sec.IsDefined() && !sec.IsNull()) {
    std::string spath = Loader::Join(path, "secrets");
    SUMMIT_TRY(L.CheckMap(sec, spath, {"files", "env"}));
    SUMMIT_ASSIGN_OR_RETURN(s.secret_files, L.StrList(sec, spath, "files"));
    SUMMIT_ASSIGN_OR_RETURN(s.secret_env, L.StrList(sec, spath, "env"));
  }
  if (YAML::Node cmds = n["commands"]; cmds.IsDefined() && !cmds.IsNull()) {
    std::string cpath = Loader::Join(path, "commands");
    if (!cmds.IsMap()) return L.Err(cmds, cpath, "must be a mapping of command name to {backup, restore, workdir}");
    for (auto it = cmds.begin(); it != cmds.end(); ++it) {
      std::string name = it->first.as<std::string>();
      std::string p = Loader::Join(cpath, name);
      SUMMIT_TRY(L.CheckMap(it->second, p, {"backup", "restore", "workdir"}));
      CommandSource c;
      SUMMIT_ASSIGN_OR_RETURN(c.backup_argv, L.StrList(it->second, p, "backup"));
      if (c.backup_argv.empty()) return L.Err(it->second, Loader::Join(p, "backup"), "missing required field 'backup' (the command's argv)");
      SUMMIT_ASSIGN_OR_RETURN(c.restore_argv, L.StrList(it->second, p, "restore"));
      SUMMIT_ASSIGN_OR_RETURN(auto wd, L.OptStr(it->second, p, "workdir"));
      c.workdir = wd.value_or("");
      s.commands[name] = std::move(c);
    }
  }
  if (YAML::Node st = n["stores"]; st.IsDefined() && !st.IsNull()) {
    std::string stpath = Loader::Join(path, "stores");
    SUMMIT_TRY(L.CheckMap(st, stpath, {"provenance", "policy", "catalog", "audit_chain"}));
    for (auto it = st.begin(); it != st.end(); ++it) {
      std::string name = it->first.as<std::string>();
      std::string p = Loader::Join(stpath, name);
      SUMMIT_TRY(L.CheckMap(it->second, p, {"tables"}));
      SUMMIT_ASSIGN_OR_RETURN(s.stores[name].tables, L.StrList(it->second, p, "tables"));
    }
  }
  return s;
}

}  // namespace

std::string SourcePos::Describe() const {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line);
  if (!path.empty()) s += ": " + path;
  return s;
}

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

EnvLookup MapEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string_view SanitizeName(EnvironmentConfig::Sanitize s) {
  switch (s) {
    case EnvironmentConfig::Sanitize::kNone: return "none";
    case EnvironmentConfig::Sanitize::kMinimal: return "minimal";
    case EnvironmentConfig::Sanitize::kFull: return "full";
  }
  return "none";
}

bool SetConfig::HasComponent(std::string_view type) const {
  return std::any_of(components.begin(), components.end(), [&](const ComponentConfig& c) { return c.type == type; });
}

const SetConfig* Config::FindSet(std::string_view name) const {
  auto it = sets.find(std::string(name));
  return it == sets.end() ? nullptr : &it->second;
}
const EnvironmentConfig* Config::FindEnvironment(std::string_view name) const {
  auto it = environments.find(std::string(name));
  return it == environments.end() ? nullptr : &it->second;
}

const std::vector<std::string>& KnownSetNames() {
  static const std::vector<std::string> k = {"full", "minimal", "tenant", "project", "config_only", "disaster_recovery"};
  return k;
}
const std::vector<std::string>& KnownEnvironmentNames() {
  static const std::vector<std::string> k = {"production", "staging", "dr_rehearsal", "dev", "test"};
  return k;
}
const std::vector<std::string>& KnownComponentTypes() {
  static const std::vector<std::string> k = {
      "postgres",     "timescaledb", "neo4j",       "redis",          "audit_chain",
      "config_files", "secrets",     "provenance",  "policy",         "catalog",
      "opa_policies", "policy_bundles", "catalog_definitions", "tenant_config", "project_artifacts",
      "kubernetes",   "terraform"};
  return k;
}

std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  auto distance = [](std::string_view a, std::string_view b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      cur[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      }
      std::swap(prev, cur);
    }
    return prev[b.size()];
  };
  std::string best;
  size_t best_d = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

Result<std::string> SubstituteEnv(std::string_view text, const EnvLookup& env) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '$' || i + 1 >= text.size()) {
      out.push_back(c);
      continue;
    }
    if (text[i + 1] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    if (text[i + 1] != '{') {
      out.push_back(c);
      continue;
    }
    // Find the matching '}' allowing nested ${...} in the default.
    size_t depth = 1, j = i + 2;
    for (; j < text.size() && depth > 0; ++j) {
      if (text[j] == '{') ++depth;
      else if (text[j] == '}') --depth;
    }
    if (depth != 0) {
      return Fail(ErrorCode::kInvalidInput, "unterminated '${' in '" + std::string(text) + "'", "write ${VAR} or ${VAR:-default}");
    }
    std::string_view inner = text.substr(i + 2, j - 1 - (i + 2));
    std::string_view name = inner, fallback;
    bool has_default = false;
    if (size_t p = inner.find(":-"); p != std::string_view::npos) {
      name = inner.substr(0, p);
      fallback = inner.substr(p + 2);
      has_default = true;
    }
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
        })) {
      return Fail(ErrorCode::kInvalidInput, "bad variable name '" + std::string(name) + "' in '" + std::string(text) + "'",
                  "variable names are letters, digits and '_'");
    }
    auto v = env(name);
    if (v && !v->empty()) {
      out += *v;
    } else if (has_default) {
      SUMMIT_ASSIGN_OR_RETURN(std::string d, SubstituteEnv(fallback, env));
      out += d;
    }
    i = j - 1;
  }
  return out;
}

int DefaultJobs() {
  const unsigned cores = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(cores, 1u, 256u));
}

Result<Config> ParseConfig(std::string_view yaml_text, const std::string& file, const EnvLookup& env) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return Fail(ErrorCode::kInvalidInput, file + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax error: " + e.msg,
                "fix the YAML syntax at that line (indentation, a missing ':' or an unclosed quote)");
  }
  Loader L(file, env);
  Config c;
  c.file = file;
  try {
    SUMMIT_TRY(L.CheckMap(root, "", {"version", "repositories", "sources", "sets", "environments", "encryption",
                                     "compression", "chunker", "jobs", "sanitization"}));
    SUMMIT_ASSIGN_OR_RETURN(auto version, L.OptInt(root, "", "version"));
    c.version = static_cast<int>(version.value_or(1));
    if (c.version != 1) return L.Err(root["version"], "version", "unsupported config version " + std::to_string(c.version), "this build reads version 1");

    YAML::Node repos = root["repositories"];
    if (!repos.IsDefined() || repos.IsNull()) return L.Err(root, "repositories", "missing required field 'repositories'");
    if (!repos.IsMap()) return L.Err(repos, "repositories", "must be a mapping of repository name to its settings");
    for (auto it = repos.begin(); it != repos.end(); ++it) {
      std::string name = it->first.as<std::string>();
      SUMMIT_ASSIGN_OR_RETURN(c.repositories[name], LoadRepository(L, name, it->second, "repositories." + name));
    }

    YAML::Node sources = root["sources"];
    SUMMIT_ASSIGN_OR_RETURN(c.sources, LoadSources(L, sources.IsDefined() && !sources.IsNull() ? sources : YAML::Node(YAML::NodeType::Map), "sources"));

    YAML::Node sets = root["sets"];
    if (!sets.IsDefined() || sets.IsNull()) return L.Err(root, "sets", "missing required field 'sets'");
    if (!sets.IsMap()) return L.Err(sets, "sets", "must be a mapping of set name to its settings");
    for (auto it = sets.begin(); it != sets.end(); ++it) {
      std::string name = it->first.as<std::string>();
      const auto& known = KnownSetNames();
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        std::string close = DidYouMean(name, known);
        return L.Err(it->first, "sets." + name, "'" + name + "' is not one of the six backup sets",
                     close.empty() ? "the sets are " + Loader::Join(known) : "did you mean '" + close + "'?");
      }
      SUMMIT_ASSIGN_OR_RETURN(auto s, LoadSet(L, name, it->second, "sets." + name, c.sets));
      c.sets[name] = std::move(s);
    }

    YAML::Node envs = root["environments"];
    if (!envs.IsDefined() || envs.IsNull()) return L.Err(root, "environments", "missing required field 'environments'");
    if (!envs.IsMap()) return L.Err(envs, "environments", "must be a mapping of environment name to its settings");
    for (auto it = envs.begin(); it != envs.end(); ++it) {
      std::string name = it->first.as<std::string>();
      const auto& known = KnownEnvironmentNames();
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        std::string close = DidYouMean(name, known);
        return L.Err(it->first, "environments." + name, "'" + name + "' is not a restore environment",
                     close.empty() ? "the environments are " + Loader::Join(known) : "did you mean '" + close + "'?");
      }
      SUMMIT_ASSIGN_OR_RETURN(c.environments[name], LoadEnvironment(L, name, it->second, "environments." + name));
    }

    if (YAML::Node enc = root["encryption"]; enc.IsDefined() && !enc.IsNull()) {
      SUMMIT_TRY(L.CheckMap(enc, "encryption", {"enabled", "key", "key_file"}));
      SUMMIT_ASSIGN_OR_RETURN(auto enabled, L.OptBool(enc, "encryption", "enabled"));
      SUMMIT_ASSIGN_OR_RETURN(auto key, L.OptStr(enc, "encryption", "key"));
      SUMMIT_ASSIGN_OR_RETURN(auto key_file, L.OptStr(enc, "encryption", "key_file"));
      c.encryption.enabled = enabled.value_or(true);
      c.encryption.key = SecretString(key ? *key : L.Env("ENCRYPTION_KEY"));
      c.encryption.key_file = key_file.value_or("");
    } else {
      c.encryption.key = SecretString(L.Env("ENCRYPTION_KEY"));
    }
    if (YAML::Node comp = root["compression"]; comp.IsDefined() && !comp.IsNull()) {
      SUMMIT_TRY(L.CheckMap(comp, "compression", {"algorithm", "level"}));
      SUMMIT_ASSIGN_OR_RETURN(auto alg, L.OptStr(comp, "compression", "algorithm"));
      SUMMIT_ASSIGN_OR_RETURN(auto level, L.OptInt(comp, "compression", "level"));
      c.compression.algorithm = alg.value_or("zstd");
      if (c.compression.algorithm != "zstd" && c.compression.algorithm != "none") {
        return L.Err(comp["algorithm"], "compression.algorithm", "unknown algorithm '" + c.compression.algorithm + "'", "use zstd or none");
      }
      c.compression.level = static_cast<int>(level.value_or(CompressionConfig{}.level));
      if (c.compression.level < 1 || c.compression.level > 19) {
        return L.Err(comp["level"], "compression.level", "must be 1-19, got " + std::to_string(c.compression.level));
      }
    }
    if (YAML::Node ch = root["chunker"]; ch.IsDefined() && !ch.IsNull()) {
      SUMMIT_TRY(L.CheckMap(ch, "chunker", {"min_bytes", "avg_bytes", "max_bytes"}));
      SUMMIT_ASSIGN_OR_RETURN(auto mn, L.OptInt(ch, "chunker", "min_bytes"));
      SUMMIT_ASSIGN_OR_RETURN(auto av, L.OptInt(ch, "chunker", "avg_bytes"));
      SUMMIT_ASSIGN_OR_RETURN(auto mx, L.OptInt(ch, "chunker", "max_bytes"));
      if (mn) c.chunker.min_bytes = static_cast<uint32_t>(*mn);
      if (av) c.chunker.avg_bytes = static_cast<uint32_t>(*av);
      if (mx) c.chunker.max_bytes = static_cast<uint32_t>(*mx);
    }
    SUMMIT_ASSIGN_OR_RETURN(auto jobs, L.OptInt(root, "", "jobs"));
    if (jobs && (*jobs < 0 || *jobs > 256))
      return L.Err(root["jobs"], "jobs", "must be 0 (one per core) or 1-256, got " + std::to_string(*jobs));
    c.jobs = jobs && *jobs > 0 ? static_cast<int>(*jobs) : DefaultJobs();
    SUMMIT_ASSIGN_OR_RETURN(auto san, L.OptStr(root, "", "sanitization"));
    c.sanitization_file = san.value_or("sanitization.yaml");
  } catch (const YAML::Exception& e) {
    return Fail(ErrorCode::kInvalidInput, file + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg, kHintSchema);
  }
  SUMMIT_TRY(ValidateConfig(c));
  return c;
}

std::string ResolveConfigPath(const std::string& flag, const EnvLookup& env) {
  if (!flag.empty()) return flag;
  if (auto v = env("SUMMIT_DR_CONFIG"); v && !v->empty()) return *v;
  return "config/backup-sets.yaml";
}

Result<Config> LoadConfig(const std::string& path, const EnvLookup& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Fail(ErrorCode::kNotFound, "cannot read config file " + path,
                "pass --config FILE or set SUMMIT_DR_CONFIG to the backup-sets.yaml to use");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ParseConfig(ss.str(), path, env);
}

Status ValidateConfig(const Config& c) {
  auto err = [&](const SourcePos& pos, const std::string& what, std::string hint = kHintSchema) {
    return Fail(ErrorCode::kInvalidInput, pos.Describe() + ": " + what, std::move(hint));
  };
  for (const auto& name : KnownSetNames()) {
    if (!c.sets.count(name)) return err(SourcePos{c.file, 0, "sets"}, "the set '" + name + "' is missing", "the six sets of the spec must all be defined");
  }
  for (const auto& name : KnownEnvironmentNames()) {
    if (!c.environments.count(name)) return err(SourcePos{c.file, 0, "environments"}, "the environment '" + name + "' is missing");
  }
  for (const auto& [name, s] : c.sets) {
    if (s.retention_days <= 0) {
      return err(s.pos, "retention_days must be a positive number of days, got " + std::to_string(s.retention_days));
    }
    for (const auto& target : s.storage) {
      if (!c.repositories.count(target)) {
        std::vector<std::string> names;
        for (const auto& [n, r] : c.repositories) names.push_back(n);
        std::string close = DidYouMean(target, names);
        return err(s.storage_pos.line > 0 ? s.storage_pos : s.pos, "names the unknown repository '" + target + "'",
                   close.empty() ? "repositories: " + Loader::Join(names) : "did you mean '" + close + "'?");
      }
    }
    if (s.components.empty()) return err(s.pos, "has no components");
    // The spec: a tenant backup needs tenant_id, a project backup project_id.
    for (const auto& [set_name, param] : {std::pair<const char*, const char*>{"tenant", "tenant_id"}, {"project", "project_id"}}) {
      if (name == set_name &&
          std::find(s.required_params.begin(), s.required_params.end(), param) == s.required_params.end()) {
        return err(s.pos, std::string("the ") + set_name + " set must list '" + param + "' under requires");
      }
    }
    for (const auto& comp : s.components) {
      if (comp.filter == "tenant" && std::find(s.required_params.begin(), s.required_params.end(), "tenant_id") == s.required_params.end()) {
        return err(comp.pos, "filters by tenant but the set does not list 'tenant_id' under requires");
      }
      if (comp.filter == "project" && std::find(s.required_params.begin(), s.required_params.end(), "project_id") == s.required_params.end()) {
        return err(comp.pos, "filters by project but the set does not list 'project_id' under requires");
      }
    }
  }
  for (const auto& [name, e] : c.environments) {
    if (!(e.reduction > 0.0 && e.reduction <= 1.0)) return err(e.pos, "reduction must be in (0, 1]");
  }
  if (!(c.chunker.min_bytes > 0 && c.chunker.min_bytes <= c.chunker.avg_bytes && c.chunker.avg_bytes <= c.chunker.max_bytes)) {
    return err(SourcePos{c.file, 0, "chunker"}, "sizes must satisfy 0 < min_bytes <= avg_bytes <= max_bytes");
  }
  return Ok();
}

}  // namespace summit::config
