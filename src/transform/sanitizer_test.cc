#include "transform/sanitizer.h"

#include <gtest/gtest.h>

#include <thread>

namespace summit::transform {
namespace {

const std::string kRulesFile = std::string(SUMMIT_SOURCE_DIR) + "/config/sanitization.yaml";
using Row = PgRow;
constexpr std::nullopt_t N = std::nullopt;

const RuleSet& Shipped() {
  static const RuleSet* rules = [] {
    auto r = LoadRules(kRulesFile);
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    return new RuleSet(std::move(*r));
  }();
  return *rules;
}

std::unique_ptr<PgSanitizer> Pg(const char* env) {
  auto profile = Shipped().ProfileFor(env);
  EXPECT_TRUE(profile.has_value());
  auto s = PgSanitizer::Create(Shipped(), *profile);
  EXPECT_TRUE(s.has_value()) << s.error().ToString();
  return std::move(*s);
}

PgTable Table(const char* name, std::vector<std::string> cols) { return PgTable{"public", name, std::move(cols), {}}; }

Row Apply(const PgRowTransform& t, const PgTable& table, Row row) {
  auto r = t.Apply(table, row);
  EXPECT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_TRUE(r.has_value() && *r) << "row dropped";
  return row;
}

const PgTable kUsers = Table("users", {"id", "tenant_id", "email", "phone", "address", "full_name"});

TEST(PgSanitizer, UsersGetDevEmailPaddedPhoneAndNullAddress) {
  auto s = Pg("dev");
  EXPECT_EQ(Apply(*s, kUsers, {"42", "customer-acme", "alice@corp.com", "+1-415-555-0199", "1 Main St", "Alice"}),
            (Row{"42", "customer-acme", "dev_42@example.com", "+1-555-0000042", N, "Alice"}));
}

TEST(PgSanitizer, LpadTruncatesIdsLongerThanSevenDigitsLikePostgres) {
  auto s = Pg("dev");
  // LPAD('123456789', 7, '0') = '1234567'
  EXPECT_EQ(Apply(*s, kUsers, {"123456789", "t", "a@b.org", N, N, N})[3], "+1-555-1234567");
  EXPECT_EQ(Apply(*s, kUsers, {"1234567", "t", "a@b.org", N, N, N})[3], "+1-555-1234567");
  EXPECT_EQ(Apply(*s, kUsers, {"7", "t", "a@b.org", N, N, N})[3], "+1-555-0000007");
  // LPAD('-5', 7, '0') = '00000-5'
  EXPECT_EQ(Apply(*s, kUsers, {"-5", "t", "a@b.org", N, N, N})[3], "+1-555-00000-5");
}

TEST(PgSanitizer, UsersAlreadyAtExampleComOrWithNullEmailAreUntouched) {
  auto s = Pg("dev");
  Row at_example = {"1", "t", "someone@example.com", "+44 20 7946 0958", "London", "X"};
  EXPECT_EQ(Apply(*s, kUsers, at_example), at_example);  // phone and address stay, as in the spec's SQL
  Row null_email = {"2", "t", N, "+44 20 7946 0958", "London", "Y"};
  EXPECT_EQ(Apply(*s, kUsers, null_email), null_email);  // NULL NOT LIKE ... is NULL: no update
  Row upper = {"3", "t", "a@EXAMPLE.COM", N, "x", N};     // LIKE is case-sensitive: sanitized
  EXPECT_EQ(Apply(*s, kUsers, upper)[2], "dev_3@example.com");
}

TEST(PgSanitizer, ColumnOrderDoesNotMatter) {
  auto s = Pg("dev");
  PgTable t = Table("users", {"address", "email", "id", "phone"});
  EXPECT_EQ(Apply(*s, t, {"x", "e@f.io", "9", N}), (Row{N, "dev_9@example.com", "9", "+1-555-0000009"}));
}

TEST(PgSanitizer, EntitiesOnlyWhenContactEmailIsSet) {
  auto s = Pg("dev");
  PgTable t = Table("entities", {"id", "contact_email", "phone_number", "name"});
  EXPECT_EQ(Apply(*s, t, {"77", "c@acme.io", "555-1234", "E"}), (Row{"77", "entity_77@example.com", "+1-555-0000077", "E"}));
  Row no_email = {"78", N, "+1 212 555 7788", "F"};
  EXPECT_EQ(Apply(*s, t, no_email), no_email);
  // Already at example.com is still rewritten: the spec's WHERE only tests IS NOT NULL.
  EXPECT_EQ(Apply(*s, t, {"79", "x@example.com", N, "G"})[1], "entity_79@example.com");
}

TEST(PgSanitizer, InvestigationsRedactBothWhenEitherIsSet) {
  auto s = Pg("dev");
  PgTable t = Table("investigations", {"id", "classified_info", "internal_notes"});
  const char* r = "[REDACTED FOR DEV/TEST]";
  EXPECT_EQ(Apply(*s, t, {"i1", "secret", N}), (Row{"i1", r, r}));
  EXPECT_EQ(Apply(*s, t, {"i2", N, "notes"}), (Row{"i2", r, r}));
  EXPECT_EQ(Apply(*s, t, {"i3", N, N}), (Row{"i3", N, N}));
}

TEST(PgSanitizer, AuditLogsSaltedMd5AndNullSession) {
  auto s = Pg("dev");
  PgTable t = Table("audit_logs", {"id", "user_ip", "session_data"});
  // md5('10.0.0.1' || 'dev_salt'), computed independently with Python's hashlib.
  EXPECT_EQ(Apply(*s, t, {"1", "10.0.0.1", "{\"sid\": 1}"}), (Row{"1", "0cdcfa3daec3b422e84b72cdbcc9baca", N}));
  EXPECT_EQ(Apply(*s, t, {"2", "2001:db8::1", N})[1], "367610d2940054df1917378adf599352");
  Row no_ip = {"3", N, "{\"sid\": 2}"};
  EXPECT_EQ(Apply(*s, t, no_ip), no_ip);
}

TEST(PgSanitizer, ConfigurationFollowsLikeWildcardSemantics) {
  auto s = Pg("dev");
  PgTable t = Table("configuration", {"name", "value", "tenant_id"});
  EXPECT_EQ(Apply(*s, t, {"STRIPE_API_KEY", "sk_live_abc", N})[1], "dev_test_key_STRIPE_API_KEY");
  EXPECT_EQ(Apply(*s, t, {"JWT_SECRET", "s3cr3t", N})[1], "dev_test_key_JWT_SECRET");
  EXPECT_EQ(Apply(*s, t, {"DB_PASSWORD", "pw", N})[1], "dev_test_key_DB_PASSWORD");
  EXPECT_EQ(Apply(*s, t, {"MYKEY", "v", N})[1], "dev_test_key_MYKEY");          // '_' matched 'M'
  EXPECT_EQ(Apply(*s, t, {"ÜBER_SECRET", "v", N})[1], "dev_test_key_ÜBER_SECRET");
  EXPECT_EQ(Apply(*s, t, {"DB_PASSWORD", N, N})[1], "dev_test_key_DB_PASSWORD");  // NULL value still replaced
  EXPECT_EQ(Apply(*s, t, {"_SECRET", "v", N})[1], "dev_test_key__SECRET");  // % empty, _ matches the underscore
  for (const char* keep : {"MY_KEYX", "KEY", "db_password", "FEATURE_FLAGS", "SECRET"}) {
    Row r = {keep, "v", N};
    EXPECT_EQ(Apply(*s, t, r), r) << keep;
  }
}

TEST(PgSanitizer, BillingMasksBothWhenEitherIsSet) {
  auto s = Pg("test");
  PgTable t = Table("billing", {"id", "credit_card", "bank_account", "amount"});
  EXPECT_EQ(Apply(*s, t, {"1", "4111 1111 1111 1111", N, "10.00"}), (Row{"1", "****-****-****-0000", "****0000", "10.00"}));
  Row none = {"2", N, N, "3.50"};
  EXPECT_EQ(Apply(*s, t, none), none);
}

TEST(PgSanitizer, StagingOnlyReplacesCredentialsAndProductionNothing) {
  auto staging = Pg("staging");
  EXPECT_FALSE(staging->Applies(kUsers));
  EXPECT_TRUE(staging->Applies(Table("configuration", {"name", "value"})));
  EXPECT_EQ(Apply(*staging, Table("configuration", {"name", "value"}), {"DB_PASSWORD", "x"})[1], "dev_test_key_DB_PASSWORD");
  for (const char* env : {"production", "dr_rehearsal"}) {
    auto p = Pg(env);
    for (const char* table : {"users", "entities", "investigations", "audit_logs", "configuration", "billing"}) {
      EXPECT_FALSE(p->Applies(Table(table, {"id"}))) << env << " " << table;
    }
  }
}

TEST(PgSanitizer, MissingColumnIsReportedWithTheRuleLine) {
  auto s = Pg("dev");
  Row row = {"1", "a@b.org"};
  auto r = s->Apply(Table("users", {"id", "email"}), row);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(r.error().message().find("column 'phone'"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("sanitization.yaml:"), std::string::npos);
}

TEST(PgSanitizer, ConcurrentCallsAreDeterministic) {
  auto s = Pg("dev");
  std::vector<std::vector<Row>> results(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        Row row = {std::to_string(i), "t", "u" + std::to_string(i) + "@corp.com", "x", "y", "z"};
        auto r = s->Apply(kUsers, row);
        if (r.has_value()) results[t].push_back(row);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 1; t < 4; ++t) EXPECT_EQ(results[t], results[0]);
  EXPECT_EQ(results[0][1234][2], "dev_1234@example.com");
}

// --- Neo4j -----------------------------------------------------------------------------------

std::unique_ptr<GraphSanitizer> Graph(const char* env) {
  auto s = GraphSanitizer::Create(Shipped(), *Shipped().ProfileFor(env));
  EXPECT_TRUE(s.has_value());
  return std::move(*s);
}

GraphNode Node(int64_t id, std::vector<std::string> labels, nlohmann::json props) {
  GraphNode n;
  n.id = id;
  n.labels = std::move(labels);
  n.properties = std::move(props);
  return n;
}

GraphNode ApplyNode(const GraphTransform& g, GraphNode n) {
  auto r = g.ApplyNode(n);
  EXPECT_TRUE(r.has_value() && *r);
  return n;
}

TEST(GraphSanitizer, UserEmailUsesNodeIdUnlessAlreadyExampleCom) {
  auto g = Graph("dev");
  auto n = ApplyNode(*g, Node(17, {"User"}, {{"email", "carol@globex.com"}, {"name", "Carol"}}));
  EXPECT_EQ(n.properties["email"], "dev_17@example.com");
  EXPECT_EQ(n.properties["name"], "Carol");
  EXPECT_EQ(ApplyNode(*g, Node(18, {"User"}, {{"email", "x@example.com"}})).properties["email"], "x@example.com");
  // Only :User nodes: an Entity's email is not matched by the spec's first statement.
  EXPECT_EQ(ApplyNode(*g, Node(19, {"Entity"}, {{"email", "e@corp.io"}})).properties["email"], "e@corp.io");
  // A non-string email makes ENDS WITH null in Cypher: no change.
  EXPECT_EQ(ApplyNode(*g, Node(20, {"User"}, {{"email", 5}})).properties["email"], 5);
}

TEST(GraphSanitizer, PhoneUsesFirstSevenCharactersOfTheIdWithoutPadding) {
  auto g = Graph("dev");
  EXPECT_EQ(ApplyNode(*g, Node(42, {"Entity"}, {{"phone", "+33 1 23 45 67 89"}})).properties["phone"], "+1-555-42");
  EXPECT_EQ(ApplyNode(*g, Node(123456789, {"User"}, {{"phone", "x"}})).properties["phone"], "+1-555-1234567");
  auto none = ApplyNode(*g, Node(5, {"Entity"}, {{"name", "n"}}));
  EXPECT_FALSE(none.properties.contains("phone"));
}

TEST(GraphSanitizer, ClassifiedRedactedAndLabelRenamed) {
  auto g = Graph("test");
  auto n = ApplyNode(*g, Node(9, {"Entity", "Classified"}, {{"classified", "top secret"}}));
  EXPECT_EQ(n.properties["classified"], "[REDACTED FOR DEV/TEST]");
  EXPECT_EQ(n.labels, (std::vector<std::string>{"Entity", "DevData"}));
  auto twice = ApplyNode(*g, Node(10, {"Classified", "DevData"}, nlohmann::json::object()));
  EXPECT_EQ(twice.labels, (std::vector<std::string>{"DevData"}));
}

TEST(GraphSanitizer, ProductionLeavesNodesAlone) {
  auto g = Graph("production");
  GraphNode n = Node(1, {"User", "Classified"}, {{"email", "a@b.com"}, {"phone", "1"}, {"classified", "x"}});
  GraphNode before = n;
  ASSERT_TRUE(g->ApplyNode(n).has_value());
  EXPECT_EQ(n.labels, before.labels);
  EXPECT_EQ(n.properties, before.properties);
}

// --- Redis -----------------------------------------------------------------------------------

TEST(RedisSanitizer, DropsSessionsAndTemporaryKeysAndPseudonymizesEmails) {
  auto r = RedisSanitizer::Create(Shipped(), *Shipped().ProfileFor("dev"));
  ASSERT_TRUE(r.has_value());
  using K = RedisKeyDecision::Kind;
  EXPECT_EQ((*r)->Apply(0, "session:3f2a", std::nullopt).kind, K::kDrop);
  EXPECT_EQ((*r)->Apply(0, "tmp:job:1", "x").kind, K::kDrop);
  EXPECT_EQ((*r)->Apply(1, "temp:upload", "x").kind, K::kDrop);
  EXPECT_EQ((*r)->Apply(0, "cache:customer-acme:entity:1", "x").kind, K::kKeep);
  EXPECT_EQ((*r)->Apply(0, "sessions", "x").kind, K::kKeep);
  auto d = (*r)->Apply(0, "user:42:email", "alice@corp.com");
  EXPECT_EQ(d.kind, K::kReplaceString);
  // HMAC-SHA-256("summit-dev-pseudonym-v1", "alice@corp.com"), first 8 bytes, computed with Python.
  EXPECT_EQ(d.value, "user_0d9afb6539955283@example.com");
  EXPECT_EQ((*r)->Apply(0, "user:42:email", std::nullopt).kind, K::kDrop);  // not a string: never kept raw
  auto staging = RedisSanitizer::Create(Shipped(), *Shipped().ProfileFor("staging"));
  EXPECT_EQ((*staging)->Apply(0, "session:1", std::nullopt).kind, K::kKeep);
}

TEST(Pseudonym, SameInputGivesSameOutputInEveryStoreAndDiffersBySalt) {
  const char* yaml = R"(
profiles:
  dev: {groups: [p], salt: s1}
  other: {groups: [p], salt: s2}
postgres:
  - {table: users, group: p, set: {email: {pseudonym: {format: email}}}}
neo4j:
  - {match: User, group: p, set: {email: {pseudonym: {format: email}}}}
redis:
  - {pattern: "user:*:email", group: p, action: replace, value: {pseudonym: {format: email}}}
)";
  auto rules = ParseRules(yaml, "p.yaml");
  ASSERT_TRUE(rules.has_value()) << rules.error().ToString();
  auto dev = *rules->ProfileFor("dev");
  auto pg = PgSanitizer::Create(*rules, dev);
  auto graph = GraphSanitizer::Create(*rules, dev);
  auto redis = RedisSanitizer::Create(*rules, dev);
  ASSERT_TRUE(pg && graph && redis);
  Row row = {"1", "alice@corp.com"};
  ASSERT_TRUE((*pg)->Apply(Table("users", {"id", "email"}), row).has_value());
  GraphNode n = Node(99, {"User"}, {{"email", "alice@corp.com"}});
  ASSERT_TRUE((*graph)->ApplyNode(n).has_value());
  auto k = (*redis)->Apply(0, "user:1:email", "alice@corp.com");
  EXPECT_EQ(*row[1], n.properties["email"].get<std::string>());
  EXPECT_EQ(*row[1], k.value);
  EXPECT_NE(*row[1], "alice@corp.com");
  auto pg2 = PgSanitizer::Create(*rules, *rules->ProfileFor("other"));
  Row row2 = {"1", "alice@corp.com"};
  ASSERT_TRUE((*pg2)->Apply(Table("users", {"id", "email"}), row2).has_value());
  EXPECT_NE(*row2[1], *row[1]);
}

TEST(Pseudonym, KeyedRulesWithoutASaltAreRejected) {
  auto rules = ParseRules("profiles: {dev: {groups: [p]}}\nredis:\n  - {pattern: 'x', group: p, action: replace, value: {pseudonym: {format: hex}}}\n", "p.yaml");
  ASSERT_TRUE(rules.has_value()) << rules.error().ToString();
  auto r = RedisSanitizer::Create(*rules, *rules->ProfileFor("dev"));
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().hint().find("SUMMIT_SANITIZE_SALT"), std::string::npos);
  EXPECT_TRUE(RedisSanitizer::Create(*rules, *rules->ProfileFor("dev"), "override").has_value());
}

// --- Expressions -----------------------------------------------------------------------------

std::optional<std::string> Eval(const char* expr_yaml, std::optional<std::string> current, std::string_view salt = "salt") {
  std::string yaml = std::string("profiles: {dev: {groups: [g], salt: s}}\npostgres:\n  - {table: t, group: g, set: {c: ") +
                     expr_yaml + "}}\n";
  auto rules = ParseRules(yaml, "e.yaml");
  EXPECT_TRUE(rules.has_value()) << rules.error().ToString();
  if (!rules) return "parse error";
  FieldValue cur = current ? FieldValue{FieldValue::Kind::kString, *current} : FieldValue{};
  return EvaluateExpr(rules->postgres[0].set[0].expr, [](std::string_view) { return FieldValue{}; }, cur, std::nullopt, salt);
}

TEST(Expressions, VectorZeroNoiseAndNull) {
  EXPECT_EQ(Eval("{vector: zero}", "[0.5,1,-2.25]"), "[0,0,0]");
  EXPECT_EQ(Eval("{vector: zero}", "{0.5,1}"), "{0,0}");
  EXPECT_EQ(Eval("{vector: zero}", std::nullopt), std::nullopt);
  auto a = Eval("{vector: {noise: 0.1}}", "[0.5,1,-2.25]");
  auto b = Eval("{vector: {noise: 0.1}}", "[0.5,1,-2.25]");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a, b);  // deterministic
  EXPECT_NE(*a, "[0.5,1,-2.25]");
  EXPECT_NE(a, Eval("{vector: {noise: 0.1}}", "[0.5,1,-2.25]", "other salt"));
  // Every element moved by at most the scale.
  std::vector<float> orig = {0.5f, 1.0f, -2.25f};
  std::string body = a->substr(1, a->size() - 2);
  size_t pos = 0;
  for (float o : orig) {
    size_t comma = body.find(',', pos);
    float v = std::stof(body.substr(pos, comma - pos));
    EXPECT_LE(std::abs(v - o), 0.1f + 1e-6f);
    pos = comma + 1;
  }
  EXPECT_EQ(Eval("{null: true}", "[1]"), std::nullopt);
}

TEST(Expressions, MaskKeepsSeparatorsAndTheLastDigits) {
  EXPECT_EQ(Eval("{mask: {keep_last: 4}}", "4111-1111-1111-1234"), "****-****-****-1234");
  EXPECT_EQ(Eval("{mask: {keep_last: 0, char: 'x'}}", "ab-c"), "xx-x");
  EXPECT_EQ(Eval("{mask: {keep_last: 10}}", "12"), "12");
  EXPECT_EQ(Eval("{mask: {keep_last: 1}}", "éa1"), "**1");
}

TEST(Expressions, TemplateWithNullInputIsNullAndBracesEscape) {
  EXPECT_EQ(Eval("{template: 'x{missing}y'}", "v"), std::nullopt);
  EXPECT_EQ(Eval("{template: 'a{{b}}c'}", "v"), "a{b}c");
  EXPECT_EQ(Eval("{constant: ''}", "v"), "");
}

}  // namespace
}  // namespace summit::transform
