#include "metrics/metrics.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace summit::metrics {
namespace {

std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.17g", v);
  }
  return buf;
}

std::string RenderLabels(const Labels& labels, const std::string& extra_key = "", const std::string& extra_value = "") {
  if (labels.empty() && extra_key.empty()) return "";
  std::string s = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) s += ",";
    s += k + "=\"" + EscapeLabelValue(v) + "\"";
    first = false;
  }
  if (!extra_key.empty()) {
    if (!first) s += ",";
    s += extra_key + "=\"" + extra_value + "\"";
  }
  return s + "}";
}

}  // namespace

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void Registry::Declare(const std::string& name, const std::string& type, const std::string& help,
                       std::vector<double> buckets) {
  std::lock_guard lock(mu_);
  auto& f = families_[name];
  f.type = type;
  f.help = help;
  f.buckets = std::move(buckets);
}

void Registry::Inc(const std::string& name, const Labels& labels, double by) {
  std::lock_guard lock(mu_);
  families_[name].series[labels].value += by;
}

void Registry::Set(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  families_[name].series[labels].value = value;
}

void Registry::Observe(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  auto& f = families_[name];
  auto& s = f.series[labels];
  if (s.counts.size() != f.buckets.size()) s.counts.assign(f.buckets.size(), 0);
  for (size_t i = 0; i < f.buckets.size(); ++i)
    if (value <= f.buckets[i]) ++s.counts[i];
  ++s.count;
  s.sum += value;
}

std::string Registry::Render() const {
  std::lock_guard lock(mu_);
  std::ostringstream out;
  for (const auto& [name, f] : families_) {
    std::string type = f.type.empty() ? "untyped" : f.type;
    if (!f.help.empty()) out << "# HELP " << name << " " << f.help << "\n";
    out << "# TYPE " << name << " " << type << "\n";
    for (const auto& [labels, s] : f.series) {
      if (type == "histogram") {
        for (size_t i = 0; i < f.buckets.size(); ++i)
          out << name << "_bucket" << RenderLabels(labels, "le", FormatValue(f.buckets[i])) << " "
              << (i < s.counts.size() ? s.counts[i] : 0) << "\n";
        out << name << "_bucket" << RenderLabels(labels, "le", "+Inf") << " " << s.count << "\n";
        out << name << "_sum" << RenderLabels(labels) << " " << FormatValue(s.sum) << "\n";
        out << name << "_count" << RenderLabels(labels) << " " << s.count << "\n";
      } else {
        out << name << RenderLabels(labels) << " " << FormatValue(s.value) << "\n";
      }
    }
  }
  return out.str();
}

Result<std::map<std::string, double>> Registry::ParseSamples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.rfind(' ');
    if (sp == std::string::npos) return Fail(ErrorCode::kCorruption, "metrics line " + std::to_string(n) + " has no value");
    std::string v = line.substr(sp + 1);
    double d;
    if (v == "+Inf") d = INFINITY;
    else if (v == "-Inf") d = -INFINITY;
    else {
      char* end = nullptr;
      d = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end) return Fail(ErrorCode::kCorruption, "metrics line " + std::to_string(n) + ": bad value");
    }
    out[line.substr(0, sp)] = d;
  }
  return out;
}

void DeclareStandardMetrics(Registry& r) {
  const std::vector<double> kDurationBuckets = {1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400};
  r.Declare("backup_success_total", "counter", "Successful backups, by set.");
  r.Declare("backup_failure_total", "counter", "Failed backups, by set.");
  r.Declare("backup_duration_seconds", "histogram", "Backup duration, by set.", kDurationBuckets);
  r.Declare("backup_size_bytes", "gauge", "Logical size of the last backup, by set.");
  r.Declare("backup_stored_bytes", "gauge", "Bytes the last backup added to the repository, by set.");
  r.Declare("backup_last_success_timestamp_seconds", "gauge", "Unix time of the last successful backup, by set.");
  r.Declare("restore_success_total", "counter", "Successful restores, by environment.");
  r.Declare("restore_failure_total", "counter", "Failed restores, by environment.");
  r.Declare("restore_duration_seconds", "histogram", "Restore duration, by environment.", kDurationBuckets);
  r.Declare("backup_rpo_age_seconds", "gauge", "Age of the newest successful backup, by set (the achievable RPO).");
}

}  // namespace summit::metrics
