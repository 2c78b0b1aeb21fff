#include "transform/environment.h"

namespace summit::transform {

Result<std::unique_ptr<EnvironmentTransforms>> EnvironmentTransforms::Build(const RuleSet& rules, EnvironmentOptions o) {
  SUMMIT_ASSIGN_OR_RETURN(Profile profile, rules.ProfileFor(o.environment));
  if (!o.sanitize) profile.groups.clear();
  std::unique_ptr<EnvironmentTransforms> t(new EnvironmentTransforms());
  SUMMIT_ASSIGN_OR_RETURN(t->pg_, PgSanitizer::Create(rules, profile, o.salt_override));
  SUMMIT_ASSIGN_OR_RETURN(t->graph_, GraphSanitizer::Create(rules, profile, o.salt_override));
  SUMMIT_ASSIGN_OR_RETURN(t->redis_, RedisSanitizer::Create(rules, profile, o.salt_override));
  std::vector<const PgRowTransform*> chain;
  if (o.reduction < 1.0) {
    SUMMIT_ASSIGN_OR_RETURN(t->reducer_, Reducer::Create(rules.reduction, o.reduction, std::move(o.schema), o.reference));
    chain.push_back(t->reducer_.get());
  } else if (!(o.reduction > 0.0 && o.reduction <= 1.0)) {
    return Fail(ErrorCode::kInvalidInput, "data reduction factor must be in (0, 1], got " + std::to_string(o.reduction));
  }
  chain.push_back(t->pg_.get());
  t->pg_chain_ = std::make_unique<ChainedPgTransform>(std::move(chain));
  return t;
}

}  // namespace summit::transform
