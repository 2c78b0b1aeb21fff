#include "transform/rules.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace summit::transform {
namespace {

const std::string kRulesFile = std::string(SUMMIT_SOURCE_DIR) + "/config/sanitization.yaml";

std::string ReadShipped() {
  std::ifstream in(kRulesFile);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int LineOf(const std::string& text, const std::string& needle) {
  size_t p = text.find(needle);
  EXPECT_NE(p, std::string::npos) << needle;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(p), '\n'));
}

// The tables, columns and labels of docs/dataset.md that the rules touch.
Schema DatasetSchema() {
  Schema s;
  s.tables["users"] = {{"id", "tenant_id", "email", "phone", "address", "full_name", "role", "created_at"}, {"id"}, {}};
  s.tables["investigations"] = {{"id", "tenant_id", "title", "status", "classified_info", "internal_notes", "created_by", "created_at"}, {"id"}, {}};
  s.tables["entities"] = {{"id", "tenant_id", "investigation_id", "kind", "name", "contact_email", "phone_number", "attributes",
                           "embedding", "created_at", "updated_at"}, {"id"}, {}};
  s.tables["configuration"] = {{"name", "value", "tenant_id"}, {"name"}, {}};
  s.tables["billing"] = {{"id", "tenant_id", "credit_card", "bank_account", "amount", "billed_at"}, {"id"}, {}};
  s.tables["audit_logs"] = {{"id", "tenant_id", "user_id", "action", "user_ip", "session_data", "created_at", "prev_hash", "hash"}, {"id"}, {}};
  s.tables["events"] = {{"time", "id", "tenant_id", "investigation_id", "type", "payload"}, {"time", "id"}, {}};
  // Named by the reduction section.
  for (const char* t : {"tenants", "runbooks", "policies", "catalog"}) s.tables[t] = {{"id", "tenant_id"}, {"id"}, {}};
  s.tables["analytics_traces"] = {{"time", "trace_id", "tenant_id", "span", "duration_ms"}, {"time", "trace_id"}, {}};
  s.labels = {"User", "Investigation", "Entity", "Classified"};
  return s;
}

TEST(Rules, ShippedFileParsesWithEveryProfile) {
  auto r = LoadRules(kRulesFile);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  for (const char* env : {"production", "staging", "dr_rehearsal", "dev", "test"}) {
    EXPECT_TRUE(r->ProfileFor(env).has_value()) << env;
  }
  EXPECT_TRUE(r->ProfileFor("production")->groups.empty());
  EXPECT_TRUE(r->ProfileFor("dr_rehearsal")->groups.empty());
  EXPECT_EQ(r->ProfileFor("staging")->groups, std::set<std::string>{"credentials"});
  EXPECT_EQ(r->ProfileFor("dev")->groups, r->ProfileFor("test")->groups);
  EXPECT_NE(r->ProfileFor("dev")->salt, r->ProfileFor("test")->salt);
  EXPECT_FALSE(r->ProfileFor("prod").has_value());
  std::vector<std::string> tables;
  for (const auto& rule : r->postgres) tables.push_back(rule.table);
  EXPECT_EQ(tables, (std::vector<std::string>{"users", "entities", "investigations", "audit_logs", "configuration", "billing", "entities"}));
  EXPECT_EQ(r->neo4j.size(), 4u);
  EXPECT_EQ(r->redis.size(), 4u);
  EXPECT_EQ(r->reduction.windows.at("audit_logs").days, 30);
  EXPECT_EQ(r->reduction.windows.at("events").column, "time");
  EXPECT_TRUE(r->reduction.sample_only.count("analytics_traces"));
}

TEST(Rules, ShippedFileMatchesTheDatasetSchema) {
  auto r = LoadRules(kRulesFile);
  ASSERT_TRUE(r.has_value());
  auto v = ValidateRules(*r, DatasetSchema());
  EXPECT_TRUE(v.has_value()) << v.error().ToString();
}

TEST(Rules, ValidateReportsMissingColumnsTablesAndLabelsWithLines) {
  auto r = LoadRules(kRulesFile);
  ASSERT_TRUE(r.has_value());
  std::string text = ReadShipped();
  Schema s = DatasetSchema();
  auto& cols = s.tables["users"].columns;
  cols.erase(std::find(cols.begin(), cols.end(), "phone"));
  s.tables.erase("billing");
  s.labels.erase("Classified");
  auto v = ValidateRules(*r, s);
  ASSERT_FALSE(v.has_value());
  const std::string& m = v.error().message();
  EXPECT_NE(m.find("sanitization.yaml:" + std::to_string(LineOf(text, "      phone: {template: \"+1-555-{id:07}\"}")) +
                   ": table 'users' has no column 'phone' in the backup\n"), std::string::npos) << m;
  EXPECT_NE(m.find("sanitization.yaml:" + std::to_string(LineOf(text, "  - table: billing")) +
                   ": table 'billing' does not exist in the backup"),
            std::string::npos) << m;
  EXPECT_NE(m.find("sanitization.yaml:" + std::to_string(LineOf(text, "  - match: Classified")) +
                   ": label 'Classified' does not exist in the backup"),
            std::string::npos) << m;
}

TEST(Rules, WhereColumnsAndTemplateInputsAreValidatedToo) {
  auto r = ParseRules("profiles: {dev: {groups: [g]}}\npostgres:\n  - table: t\n    group: g\n    where: \"nope IS NULL\"\n"
                      "    set:\n      a: {template: \"{missing}\"}\n", "r.yaml");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  Schema s;
  s.tables["t"] = {{"a"}, {}, {}};
  auto v = ValidateRules(*r, s);
  ASSERT_FALSE(v.has_value());
  EXPECT_NE(v.error().message().find("r.yaml:5: table 't' has no column 'nope' in the backup"), std::string::npos) << v.error().message();
  EXPECT_NE(v.error().message().find("r.yaml:7: table 't' has no column 'missing' in the backup"), std::string::npos)
      << v.error().message();
}

TEST(Rules, CheckNamesTheBackupAndTheLineOfAMisspelledColumn) {
  std::string text = ReadShipped();
  size_t at = text.find("      address: {null: true}");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, std::string("      address:").size(), "      adress:");
  auto r = ParseRules(text, "config/sanitization.yaml");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  auto problems = CheckRules(*r, DatasetSchema(), "backup summit-backup-full-20250120T020000Z");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_FALSE(problems[0].warning);
  EXPECT_EQ(problems[0].ToString(), "config/sanitization.yaml:" + std::to_string(LineOf(text, "      adress: {null: true}")) +
                                        ": table 'users' has no column 'adress' in backup summit-backup-full-20250120T020000Z");
  EXPECT_EQ(ValidateRules(*r, DatasetSchema()).error().code(), ErrorCode::kInvalidInput);
}

TEST(Rules, PartialCapturesWarnAboutMissingTablesButNotAboutTheirColumns) {
  auto r = LoadRules(kRulesFile);
  ASSERT_TRUE(r.has_value());
  Schema s = DatasetSchema();
  s.tables.erase("billing");
  s.tables.erase("configuration");
  s.partial_tables = true;  // e.g. the minimal set's six tables
  auto problems = CheckRules(*r, s);
  ASSERT_EQ(problems.size(), 3u);  // the billing and configuration rules, and configuration as a critical table
  for (const auto& p : problems) EXPECT_TRUE(p.warning) << p.ToString();
  EXPECT_TRUE(ValidateRules(*r, s).has_value());
  auto& cols = s.tables["users"].columns;
  cols.erase(std::find(cols.begin(), cols.end(), "address"));
  EXPECT_FALSE(ValidateRules(*r, s).has_value());  // a captured table's columns are always checked
}

TEST(Rules, GraphPropertiesAreCheckedPerLabel) {
  auto r = ParseRules("profiles: {dev: {groups: [g]}}\nneo4j:\n  - match: User\n    group: g\n"
                      "    where: \"u.emial IS NOT NULL\"\n    set:\n      emial: {template: \"dev_{$id}\"}\n"
                      "  - group: g\n    where: \"n.phone IS NOT NULL\"\n    set: {phone: {constant: x}}\n"
                      "  - {match: Ghost, group: g, add_labels: [X]}\n",
                      "r.yaml");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  Schema s;
  s.labels = {"User", "Entity"};
  s.label_properties = {{"User", {"uid", "email", "phone"}}, {"Entity", {"uid", "phone"}}};
  s.properties = {"uid", "email", "phone"};
  auto problems = CheckRules(*r, s, "backup B");
  std::vector<std::string> got;
  for (const auto& p : problems) got.push_back(p.ToString());
  EXPECT_EQ(got, (std::vector<std::string>{"r.yaml:5: no node labelled 'User' has property 'emial' in backup B",
                                            "r.yaml:7: no node labelled 'User' has property 'emial' in backup B",
                                            "r.yaml:11: label 'Ghost' does not exist in backup B"}));
}

TEST(Rules, SchemaFromPgAttributesReadsTablesKeysAndPartial) {
  auto a = nlohmann::json::parse(R"({"partial": true, "tables": [
      {"schema": "public", "name": "users", "columns": ["id", "email"], "primary_key": ["id"], "foreign_keys": []},
      {"schema": "audit", "name": "log", "columns": ["id", "user_id"], "primary_key": ["id"],
       "foreign_keys": [{"name": "f", "columns": ["user_id"], "parent": "public.users", "parent_columns": ["id"]}]}]})");
  Schema s = SchemaFromPgAttributes(a);
  EXPECT_TRUE(s.partial_tables);
  ASSERT_EQ(s.tables.size(), 2u);
  EXPECT_EQ(s.tables["users"].columns, (std::vector<std::string>{"id", "email"}));
  ASSERT_EQ(s.tables["audit.log"].foreign_keys.size(), 1u);
  EXPECT_EQ(s.tables["audit.log"].foreign_keys[0].parent_table, "users");
}

void ExpectParseError(const std::string& yaml, int line, const std::string& what) {
  auto r = ParseRules(yaml, "r.yaml");
  ASSERT_FALSE(r.has_value()) << yaml;
  EXPECT_EQ(r.error().message().rfind("r.yaml:" + std::to_string(line) + ":", 0), 0u) << r.error().message();
  EXPECT_NE(r.error().message().find(what), std::string::npos) << r.error().message();
}

TEST(Rules, ParseErrorsNameTheLine) {
  const std::string head = "profiles: {dev: {groups: [g]}}\npostgres:\n  - table: t\n    group: g\n";
  ExpectParseError(head + "    set:\n      a: {sha1: x}\n", 6, "unknown expression kind 'sha1'");
  ExpectParseError(head + "    where: \"a LIKES 'x'\"\n    set: {a: {null: true}}\n", 5, "expected IS, LIKE");
  ExpectParseError(head + "    set:\n      a: {template: \"{id:7}\"}\n", 6, "bad format");
  ExpectParseError(head + "    sett: {a: {null: true}}\n", 5, "unknown key 'sett'");
  ExpectParseError(head + "    set: {a: {vector: big}}\n", 5, "vector");
  ExpectParseError("profiles: {dev: {groups: [typo]}}\n", 1, "no rule belongs to group 'typo'");
  ExpectParseError("profiles: {dev: {groups: []}}\nredis:\n  - {pattern: 'x', group: g, action: burn}\n", 3, "unknown action");
  ExpectParseError("profiles: [\n", 2, "YAML syntax error");
}

TEST(RedisGlob, MatchesLikeRedis) {
  EXPECT_TRUE(RedisGlobMatch("session:*", "session:abc"));
  EXPECT_TRUE(RedisGlobMatch("session:*", "session:"));
  EXPECT_FALSE(RedisGlobMatch("session:*", "sessions:abc"));
  EXPECT_TRUE(RedisGlobMatch("user:*:email", "user:42:email"));
  EXPECT_TRUE(RedisGlobMatch("user:*:email", "user:a:b:email"));
  EXPECT_FALSE(RedisGlobMatch("user:*:email", "user:42:emails"));
  EXPECT_TRUE(RedisGlobMatch("h?llo", "hello"));
  EXPECT_TRUE(RedisGlobMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(RedisGlobMatch("h[^e]llo", "hello"));
  EXPECT_TRUE(RedisGlobMatch("h[a-c]llo", "hbllo"));
  EXPECT_TRUE(RedisGlobMatch("a\\*b", "a*b"));
  EXPECT_FALSE(RedisGlobMatch("a\\*b", "axb"));
}

}  // namespace
}  // namespace summit::transform
