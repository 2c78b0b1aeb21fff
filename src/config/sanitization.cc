#include "config/sanitization.h"

#include <filesystem>

namespace summit::config {

std::string SanitizationPath(const Config& config) {
  std::filesystem::path p(config.sanitization_file);
  if (p.is_absolute()) return p.string();
  return (std::filesystem::path(config.file).parent_path() / p).lexically_normal().string();
}

Result<transform::RuleSet> LoadSanitizationRules(const Config& config) {
  std::string path = SanitizationPath(config);
  SUMMIT_ASSIGN_OR_RETURN(auto rules, transform::LoadRules(path));
  for (const auto& [name, env] : config.environments) {
    auto profile = rules.ProfileFor(name);
    if (!profile) {
      return Fail(ErrorCode::kInvalidInput,
                  env.pos.Describe() + ": environment '" + name + "' has no sanitization profile in " + path,
                  "add profiles." + name + " to " + path);
    }
    bool none = env.sanitize == EnvironmentConfig::Sanitize::kNone;
    if (none && !profile->groups.empty()) {
      return Fail(ErrorCode::kInvalidInput,
                  env.pos.Describe() + ": environment '" + name + "' says sanitize: none but its profile in " + path +
                      " applies rule groups",
                  "empty profiles." + name + ".groups or change the environment's sanitize level");
    }
    if (!none && profile->groups.empty()) {
      return Fail(ErrorCode::kInvalidInput,
                  env.pos.Describe() + ": environment '" + name + "' says sanitize: " + std::string(SanitizeName(env.sanitize)) +
                      " but its profile in " + path + " applies no rules",
                  "list rule groups under profiles." + name + ".groups");
    }
  }
  return rules;
}

}  // namespace summit::config
