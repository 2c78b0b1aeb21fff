// Joins the two configuration files: loads the sanitization rules that backup-sets.yaml names
// (its `sanitization` entry, relative to the config file's folder) and checks that every
// restore environment has a profile consistent with its sanitize level. Used by
// `summit-dr config check` and by restores into an environment.
//
// Pure apart from reading the rules file; thread-safe.
#pragma once

#include <string>

#include "config/config.h"
#include "transform/rules.h"

namespace summit::config {

// The rules file's path for `config`: absolute paths as they are, relative ones against the
// folder of config.file.
std::string SanitizationPath(const Config& config);

// Loads and cross-checks the rules. Fails with kNotFound when the file is missing and with
// kInvalidInput when it does not parse, when an environment has no profile, when a
// sanitize: none environment's profile applies rules, or when a minimal/full one applies none.
Result<transform::RuleSet> LoadSanitizationRules(const Config& config);

}  // namespace summit::config
