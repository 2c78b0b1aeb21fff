#include "sources/postgres/settings.h"

#include <gtest/gtest.h>

namespace summit::sources::postgres {
namespace {

TEST(Settings, ParsesAFullUrlWithEscapesAndParameters) {
  auto s = Settings::ParseUrl("postgresql://ad%40min:p%3Aw@db.example:6543/summit?sslmode=require&application_name=dr");
  ASSERT_TRUE(s) << s.error().ToString();
  EXPECT_EQ(s->user, "ad@min");
  EXPECT_EQ(s->password.Reveal(), "p:w");
  EXPECT_EQ(s->host, "db.example");
  EXPECT_EQ(s->port, 6543);
  EXPECT_EQ(s->dbname, "summit");
  EXPECT_EQ(s->extra.at("sslmode"), "require");
}

TEST(Settings, EmptyPartsAreLeftToLibpqDefaults) {
  auto s = Settings::ParseUrl("postgres://localhost/");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->host, "localhost");
  EXPECT_EQ(s->port, 0);
  EXPECT_EQ(s->ConnInfo(), "host='localhost'");
}

TEST(Settings, RejectsOtherSchemesAndBadPorts) {
  EXPECT_EQ(Settings::ParseUrl("mysql://x/y").error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(Settings::ParseUrl("postgresql://h:99999/db").error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(Settings::ParseUrl("postgresql://h:5x/db").error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(Settings::ParseUrl("postgresql://u:%zz@h/db").error().code(), ErrorCode::kInvalidInput);
}

TEST(Settings, ConnInfoQuotesValuesAndHidesThePasswordWhenAsked) {
  Settings s;
  s.host = "h";
  s.user = "o'brien";
  s.password = SecretString("se\\cret");
  s.dbname = "d b";
  EXPECT_EQ(s.ConnInfo(), "host='h' user='o\\'brien' password='se\\\\cret' dbname='d b'");
  EXPECT_EQ(s.ConnInfo(false).find("password"), std::string::npos);
  EXPECT_EQ(s.Describe().find("se\\cret"), std::string::npos);
  EXPECT_EQ(s.ChildEnvironment().at("PGPASSWORD"), "se\\cret");
}

TEST(Settings, ParsesIpv6Hosts) {
  auto s = Settings::ParseUrl("postgresql://u@[::1]:5433/db");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->host, "::1");
  EXPECT_EQ(s->port, 5433);
}

}  // namespace
}  // namespace summit::sources::postgres
