// The transforms of one restore environment, built in one call for the restore pipeline:
// the PostgreSQL chain (reducer first, so it sees original keys, then the sanitizer), the
// Neo4j and Redis sanitizers. Owns everything it hands out; the pointers stay valid while the
// EnvironmentTransforms lives. Thread-safe as its parts (see sanitizer.h, reducer.h).
#pragma once

#include <memory>
#include <string>

#include "core/clock.h"
#include "transform/reducer.h"
#include "transform/sanitizer.h"

namespace summit::transform {

struct EnvironmentOptions {
  std::string environment;   // production | staging | dr_rehearsal | dev | test
  double reduction = 1.0;    // from the environment's config; 1.0 = no reduction
  Schema schema;             // tables, keys and foreign keys of the restored data (for reduction)
  TimePoint reference;       // "now" for the reduction windows: the backup's capture time
  std::string salt_override; // SUMMIT_SANITIZE_SALT, when set
  bool sanitize = true;      // false only for an explicit --sanitize=false
};

class EnvironmentTransforms {
 public:
  // Fails when the environment has no profile, a keyed rule has no salt, or the reduction
  // factor or foreign keys are invalid.
  static Result<std::unique_ptr<EnvironmentTransforms>> Build(const RuleSet& rules, EnvironmentOptions options);

  const PgRowTransform& postgres() const { return *pg_chain_; }
  const GraphTransform& graph() const { return *graph_; }
  const RedisTransform& redis() const { return *redis_; }
  // Null when the environment does not reduce; otherwise feed PostgreSQL tables in its order.
  const Reducer* reducer() const { return reducer_.get(); }

 private:
  EnvironmentTransforms() = default;
  std::unique_ptr<PgSanitizer> pg_;
  std::unique_ptr<Reducer> reducer_;
  std::unique_ptr<ChainedPgTransform> pg_chain_;
  std::unique_ptr<GraphSanitizer> graph_;
  std::unique_ptr<RedisSanitizer> redis_;
};

}  // namespace summit::transform
