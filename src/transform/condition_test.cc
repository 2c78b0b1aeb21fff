#include "transform/condition.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace summit::transform {
namespace {

TEST(SqlLike, UnderscoreIsOneCharacterWildcardAsInPostgres) {
  EXPECT_TRUE(SqlLike("STRIPE_API_KEY", "%_KEY"));
  EXPECT_TRUE(SqlLike("MYKEY", "%_KEY"));       // '_' matches the 'M': PostgreSQL agrees
  EXPECT_TRUE(SqlLike("XKEY", "%_KEY"));
  EXPECT_FALSE(SqlLike("KEY", "%_KEY"));        // '_' needs one character before KEY
  EXPECT_FALSE(SqlLike("MY_KEYX", "%_KEY"));
  EXPECT_FALSE(SqlLike("my_key", "%_KEY"));     // LIKE is case-sensitive
  EXPECT_TRUE(SqlLike("JWT_SECRET", "%_SECRET"));
  EXPECT_TRUE(SqlLike("DB_PASSWORD", "%_PASSWORD"));
}

TEST(SqlLike, CountsCharactersNotBytes) {
  EXPECT_TRUE(SqlLike("ÜKEY", "%_KEY"));
  EXPECT_TRUE(SqlLike("ÜKEY", "_KEY"));         // Ü is two bytes but one character
  EXPECT_FALSE(SqlLike("ÜKEY", "__KEY"));
  EXPECT_TRUE(SqlLike("日本", "__"));
  EXPECT_FALSE(SqlLike("日本", "_"));
}

TEST(SqlLike, PercentAndEscapes) {
  EXPECT_TRUE(SqlLike("a@example.com", "%@example.com"));
  EXPECT_TRUE(SqlLike("@example.com", "%@example.com"));
  EXPECT_FALSE(SqlLike("a@EXAMPLE.com", "%@example.com"));
  EXPECT_FALSE(SqlLike("a@example.com.evil.org", "%@example.com"));
  EXPECT_TRUE(SqlLike("", "%"));
  EXPECT_FALSE(SqlLike("", "_"));
  EXPECT_TRUE(SqlLike("50%", "50\\%"));
  EXPECT_FALSE(SqlLike("500", "50\\%"));
  EXPECT_TRUE(SqlLike("a_b", "a\\_b"));
  EXPECT_FALSE(SqlLike("axb", "a\\_b"));
  EXPECT_TRUE(SqlLike("abcabc", "%abc%abc"));
}

// Reference: textbook dynamic-programming wildcard matching on ASCII (tokens first, so an
// escaped character is a literal).
bool LikeByTable(const std::string& v, const std::string& p) {
  struct Tok { char c; bool literal; };
  std::vector<Tok> toks;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\' && i + 1 < p.size()) toks.push_back({p[++i], true});
    else toks.push_back({p[i], p[i] != '%' && p[i] != '_'});
  }
  // m[i][j]: v[0..i) matches toks[0..j)
  std::vector<std::vector<bool>> m(v.size() + 1, std::vector<bool>(toks.size() + 1, false));
  m[0][0] = true;
  for (size_t j = 1; j <= toks.size(); ++j) m[0][j] = m[0][j - 1] && !toks[j - 1].literal && toks[j - 1].c == '%';
  for (size_t i = 1; i <= v.size(); ++i) {
    for (size_t j = 1; j <= toks.size(); ++j) {
      const Tok& t = toks[j - 1];
      if (!t.literal && t.c == '%') m[i][j] = m[i][j - 1] || m[i - 1][j];
      else if (!t.literal && t.c == '_') m[i][j] = m[i - 1][j - 1];
      else m[i][j] = m[i - 1][j - 1] && v[i - 1] == t.c;
    }
  }
  return m[v.size()][toks.size()];
}

TEST(SqlLike, AgreesWithATableDrivenReferenceOnRandomInputs) {
  std::mt19937 rng(7);
  const std::string value_chars = "ab_%K";
  const std::string pattern_chars = "ab_%%K\\";
  for (int i = 0; i < 20000; ++i) {
    std::string v, p;
    for (int k = rng() % 7; k > 0; --k) v += value_chars[rng() % value_chars.size()];
    for (int k = rng() % 6; k > 0; --k) p += pattern_chars[rng() % pattern_chars.size()];
    ASSERT_EQ(SqlLike(v, p), LikeByTable(v, p)) << "value '" << v << "' pattern '" << p << "'";
  }
}

TEST(Utf8, LengthAndPrefix) {
  EXPECT_EQ(Utf8Length("héllo"), 5u);
  EXPECT_EQ(Utf8Prefix("héllo", 2), "hé");
  EXPECT_EQ(Utf8Prefix("ab", 7), "ab");
}

Tri Eval(const char* cond, std::map<std::string, std::optional<std::string>> row) {
  auto c = Condition::Parse(cond);
  EXPECT_TRUE(c.has_value()) << cond << ": " << (c ? "" : c.error().ToString());
  if (!c) return Tri::kUnknown;
  return c->Evaluate([&](size_t i) {
    auto it = row.find(c->fields()[i]);
    if (it == row.end() || !it->second) return FieldValue{};
    return FieldValue{FieldValue::Kind::kString, *it->second};
  });
}

TEST(Condition, NullMakesLikeUnknownSoTheRuleDoesNotApply) {
  EXPECT_EQ(Eval("email NOT LIKE '%@example.com'", {{"email", std::nullopt}}), Tri::kUnknown);
  EXPECT_EQ(Eval("email NOT LIKE '%@example.com'", {{"email", "a@corp.com"}}), Tri::kTrue);
  EXPECT_EQ(Eval("email NOT LIKE '%@example.com'", {{"email", "a@example.com"}}), Tri::kFalse);
}

TEST(Condition, ThreeValuedAndOrNot) {
  std::map<std::string, std::optional<std::string>> r = {{"a", std::nullopt}, {"b", "x"}};
  EXPECT_EQ(Eval("a = 'x' OR b = 'x'", r), Tri::kTrue);
  EXPECT_EQ(Eval("a = 'x' OR b = 'y'", r), Tri::kUnknown);
  EXPECT_EQ(Eval("a = 'x' AND b = 'y'", r), Tri::kFalse);
  EXPECT_EQ(Eval("a = 'x' AND b = 'x'", r), Tri::kUnknown);
  EXPECT_EQ(Eval("NOT a = 'x'", r), Tri::kUnknown);
  EXPECT_EQ(Eval("a IS NULL AND b IS NOT NULL", r), Tri::kTrue);
  EXPECT_EQ(Eval("(a IS NOT NULL OR b <> 'x') OR b = 'x'", r), Tri::kTrue);
}

TEST(Condition, CypherStylePredicatesWithAliases) {
  EXPECT_EQ(Eval("u.email IS NOT NULL AND NOT u.email ENDS WITH '@example.com'", {{"email", "bob@corp.io"}}), Tri::kTrue);
  EXPECT_EQ(Eval("u.email IS NOT NULL AND NOT u.email ENDS WITH '@example.com'", {{"email", "dev_1@example.com"}}), Tri::kFalse);
  EXPECT_EQ(Eval("u.email IS NOT NULL AND NOT u.email ENDS WITH '@example.com'", {}), Tri::kFalse);
  EXPECT_EQ(Eval("name STARTS WITH 'ab' and name contains 'c'", {{"name", "abc"}}), Tri::kTrue);
  EXPECT_EQ(Eval("name = 'it''s'", {{"name", "it's"}}), Tri::kTrue);
}

TEST(Condition, NonStringIsUnknownForStringPredicates) {
  auto c = Condition::Parse("n.email ENDS WITH '@example.com'");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->Evaluate([](size_t) { return FieldValue{FieldValue::Kind::kOther, "42"}; }), Tri::kUnknown);
}

TEST(Condition, ParseErrorsSayWhere) {
  for (const char* bad : {"email LIKE", "email LIKES 'x'", "(a IS NULL", "a IS NOT", "a = 'x", "", "a IS NULL b"}) {
    auto c = Condition::Parse(bad);
    ASSERT_FALSE(c.has_value()) << bad;
    EXPECT_NE(c.error().message().find("at offset"), std::string::npos) << c.error().message();
  }
}

}  // namespace
}  // namespace summit::transform
