#include "backup/request.h"

#include <algorithm>

#include "backup/backup_id.h"

namespace summit::backup {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

Result<bool> ParseBool(const std::string& name, const std::string& value) {
  std::string v = value;
  std::transform(v.begin(), v.end(), v.begin(), ::tolower);
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off" || v.empty()) return false;
  return Fail(ErrorCode::kInvalidInput, name + "='" + value + "' is not true or false");
}

}  // namespace

Status ValidateBackupRequest(const BackupRequest& r) {
  if (r.set.empty())
    return Fail(ErrorCode::kInvalidInput, "no backup set given", "pass --set=NAME, one of: " + Join(SetNames()));
  if (!Contains(SetNames(), r.set))
    return Fail(ErrorCode::kInvalidInput, "unknown backup set '" + r.set + "'", "the sets are: " + Join(SetNames()));
  if (r.set == "tenant") {
    if (r.tenant.empty())
      return Fail(ErrorCode::kInvalidInput, "the tenant set needs a tenant id",
                  "set TENANT_ID (TENANT_ID=customer-acme ./scripts/backup-enhanced.sh --set=tenant) or pass --tenant");
    SUMMIT_TRY(ValidateQualifier(r.tenant, "TENANT_ID"));
  }
  if (r.set == "project") {
    if (r.project.empty())
      return Fail(ErrorCode::kInvalidInput, "the project set needs a project id",
                  "set PROJECT_ID (PROJECT_ID=investigation-2025-001 ./scripts/backup-enhanced.sh --set=project) "
                  "or pass --project");
    SUMMIT_TRY(ValidateQualifier(r.project, "PROJECT_ID"));
  }
  for (const auto& c : r.only)
    if (!Contains(ComponentNames(), c))
      return Fail(ErrorCode::kInvalidInput, "unknown component '" + c + "' in --only",
                  "components are: " + Join(ComponentNames()));
  if (r.retention_days && *r.retention_days <= 0)
    return Fail(ErrorCode::kInvalidInput, "RETENTION_DAYS must be a positive number of days");
  return Ok();
}

Result<RestoreMode> ParseRestoreMode(const std::string& text) {
  if (text == "full") return RestoreMode::kFull;
  if (text == "selective") return RestoreMode::kSelective;
  if (text == "verify-only" || text == "verify_only") return RestoreMode::kVerifyOnly;
  return Fail(ErrorCode::kInvalidInput, "unknown restore mode '" + text + "'",
              "modes are: full, selective, verify-only");
}

std::string RestoreModeName(RestoreMode mode) {
  switch (mode) {
    case RestoreMode::kFull: return "full";
    case RestoreMode::kSelective: return "selective";
    case RestoreMode::kVerifyOnly: return "verify-only";
  }
  return "full";
}

Result<std::optional<std::vector<std::string>>> ComponentsFromRestoreVariables(
    const std::map<std::string, std::string>& environment) {
  bool any = false;
  std::vector<std::string> chosen;
  for (const auto& c : ComponentNames()) {
    std::string var = "RESTORE_";
    for (char ch : c) var.push_back(static_cast<char>(::toupper(ch)));
    auto it = environment.find(var);
    if (it == environment.end()) continue;
    any = true;
    SUMMIT_ASSIGN_OR_RETURN(bool on, ParseBool(var, it->second));
    if (on) chosen.push_back(c);
  }
  if (!any) return std::optional<std::vector<std::string>>();
  return std::optional<std::vector<std::string>>(chosen);
}

Result<std::vector<std::string>> ParseComponentList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string c = text.substr(start, end - start);
    if (!c.empty()) {
      if (!Contains(ComponentNames(), c))
        return Fail(ErrorCode::kInvalidInput, "unknown component '" + c + "'", "components are: " + Join(ComponentNames()));
      if (!Contains(out, c)) out.push_back(c);
    }
    start = end + 1;
  }
  if (out.empty()) return Fail(ErrorCode::kInvalidInput, "empty component list");
  return out;
}

Result<std::pair<std::string, std::string>> ParseTarget(const std::string& text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    return Fail(ErrorCode::kInvalidInput, "--target '" + text + "' is not COMPONENT=URL",
                "e.g. --target postgres=postgresql://127.0.0.1:5432/summit_dev");
  std::string c = text.substr(0, eq);
  if (!Contains(ComponentNames(), c))
    return Fail(ErrorCode::kInvalidInput, "unknown component '" + c + "' in --target", "components are: " + Join(ComponentNames()));
  return std::make_pair(c, text.substr(eq + 1));
}

Status ValidateRestoreRequest(const RestoreRequest& r) {
  if (r.backup_id.empty())
    return Fail(ErrorCode::kInvalidInput, "no backup id given", "`summit-dr list` shows the backups");
  SUMMIT_TRY(ParseBackupId(r.backup_id));
  if (!r.env.empty() && !Contains(EnvironmentNames(), r.env))
    return Fail(ErrorCode::kInvalidInput, "unknown environment '" + r.env + "'",
                "environments are: " + Join(EnvironmentNames()));
  if (r.mode == RestoreMode::kSelective && r.only.empty())
    return Fail(ErrorCode::kInvalidInput, "selective restore needs components",
                "pass --only=postgres,... or set RESTORE_POSTGRES=true (and RESTORE_NEO4J, RESTORE_REDIS, RESTORE_CONFIG)");
  for (const auto& c : r.only)
    if (!Contains(ComponentNames(), c))
      return Fail(ErrorCode::kInvalidInput, "unknown component '" + c + "'", "components are: " + Join(ComponentNames()));
  return Ok();
}

}  // namespace summit::backup
