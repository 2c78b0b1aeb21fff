#include "transform/environment.h"

#include <gtest/gtest.h>

namespace summit::transform {
namespace {

const RuleSet& Rules() {
  static const RuleSet* r = new RuleSet(*LoadRules(std::string(SUMMIT_SOURCE_DIR) + "/config/sanitization.yaml"));
  return *r;
}

Schema UsersOnly() {
  Schema s;
  s.tables["tenants"] = {{"id"}, {"id"}, {}};
  s.tables["entities"] = {{"id", "tenant_id", "contact_email", "phone_number"}, {"id"}, {{"tenant_id", "tenants", "id"}}};
  return s;
}

TEST(EnvironmentTransforms, DevReducesThenSanitizesInOnePass) {
  EnvironmentOptions o{"dev", 0.1, UsersOnly(), {}, "", true};
  auto t = EnvironmentTransforms::Build(Rules(), o);
  ASSERT_TRUE(t.has_value()) << t.error().ToString();
  ASSERT_NE((*t)->reducer(), nullptr);
  PgTable tenants{"public", "tenants", {"id"}, {}};
  PgTable entities{"public", "entities", {"id", "tenant_id", "contact_email", "phone_number"}, {}};
  PgRow tr = {"acme"};
  ASSERT_TRUE(*(*t)->postgres().Apply(tenants, tr));  // tenants is critical in the shipped rules
  ASSERT_TRUE((*t)->postgres().EndTable(tenants).has_value());
  int kept = 0;
  for (int i = 0; i < 1000; ++i) {
    PgRow r = {std::to_string(i), std::nullopt, "x" + std::to_string(i) + "@corp.com", "+44 1"};
    auto k = (*t)->postgres().Apply(entities, r);
    ASSERT_TRUE(k.has_value());
    if (*k) {
      ++kept;
      EXPECT_EQ(*r[2], "entity_" + std::to_string(i) + "@example.com");
    }
  }
  EXPECT_NEAR(kept, 100, 35);
}

TEST(EnvironmentTransforms, ProductionChangesNothingAndSanitizeFalseDisablesRules) {
  auto prod = EnvironmentTransforms::Build(Rules(), {"production", 1.0, {}, {}, "", true});
  ASSERT_TRUE(prod.has_value());
  EXPECT_EQ((*prod)->reducer(), nullptr);
  PgTable users{"public", "users", {"id", "email", "phone", "address"}, {}};
  EXPECT_FALSE((*prod)->postgres().Applies(users));
  auto dev_unsanitized = EnvironmentTransforms::Build(Rules(), {"dev", 1.0, {}, {}, "", false});
  ASSERT_TRUE(dev_unsanitized.has_value());
  EXPECT_FALSE((*dev_unsanitized)->postgres().Applies(users));
  EXPECT_EQ((*dev_unsanitized)->redis().Apply(0, "session:1", std::nullopt).kind, RedisKeyDecision::Kind::kKeep);
  auto dev = EnvironmentTransforms::Build(Rules(), {"dev", 1.0, {}, {}, "", true});
  EXPECT_TRUE((*dev)->postgres().Applies(users));
  EXPECT_EQ((*dev)->redis().Apply(0, "session:1", std::nullopt).kind, RedisKeyDecision::Kind::kDrop);
}

TEST(EnvironmentTransforms, UnknownEnvironmentAndBadFactorFail) {
  EXPECT_EQ(EnvironmentTransforms::Build(Rules(), {"qa", 1.0, {}, {}, "", true}).error().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(EnvironmentTransforms::Build(Rules(), {"dev", 0.0, {}, {}, "", true}).has_value());
  EXPECT_FALSE(EnvironmentTransforms::Build(Rules(), {"dev", 2.0, {}, {}, "", true}).has_value());
}

}  // namespace
}  // namespace summit::transform
