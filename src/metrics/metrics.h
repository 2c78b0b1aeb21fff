// Metric types and the Prometheus text exposition format (version 0.0.4), with the spec's
// metric names (backup_success_total, backup_failure_total, backup_duration_seconds,
// backup_size_bytes, restore_success_total, restore_duration_seconds, ...).
//
// A Registry is owned by a composition root (the CLI writes a textfile for node_exporter after
// each run; the daemon serves /metrics). Thread-safe: all operations lock the registry.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.h"

namespace summit::metrics {

using Labels = std::map<std::string, std::string>;

class Registry {
 public:
  // Declares a metric family; `type` is "counter", "gauge" or "histogram".
  void Declare(const std::string& name, const std::string& type, const std::string& help,
               std::vector<double> buckets = {});
  void Inc(const std::string& name, const Labels& labels, double by = 1.0);
  void Set(const std::string& name, const Labels& labels, double value);
  void Observe(const std::string& name, const Labels& labels, double value);

  // The whole registry in the text exposition format, families and series sorted.
  std::string Render() const;

  // Parses samples of a rendered text back ("name{labels}" -> value): used to carry counters
  // across CLI runs through a textfile, and by tests.
  static Result<std::map<std::string, double>> ParseSamples(const std::string& text);

 private:
  struct Series {
    double value = 0;                 // counter/gauge
    std::vector<uint64_t> counts;     // histogram: per bucket (cumulative at render)
    uint64_t count = 0;
    double sum = 0;
  };
  struct Family {
    std::string type, help;
    std::vector<double> buckets;
    std::map<Labels, Series> series;
  };
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

// Declares every metric summit-dr exports (names from the spec, plus last-success timestamps
// and RPO age) on `registry`.
void DeclareStandardMetrics(Registry& registry);

std::string EscapeLabelValue(const std::string& value);

}  // namespace summit::metrics
