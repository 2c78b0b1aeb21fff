#include "transform/pii_scan.h"

#include <gtest/gtest.h>

namespace summit::transform {
namespace {

std::vector<PiiKind> Kinds(const PiiScanner& s, std::string_view v) {
  std::vector<PiiKind> k;
  for (const auto& f : s.Scan(v)) k.push_back(f.kind);
  return k;
}

using K = PiiKind;
using V = std::vector<PiiKind>;

TEST(PiiScan, EmailsOutsideExampleComAreFound) {
  PiiScanner s;
  EXPECT_EQ(Kinds(s, "alice@corp.com"), V{K::kEmail});
  EXPECT_EQ(Kinds(s, "contact: Bob.Smith+tag@mail.globex.co.uk, thanks"), V{K::kEmail});
  EXPECT_EQ(Kinds(s, "{\"email\": \"x_y@initech.io\"}"), V{K::kEmail});
  EXPECT_EQ(Kinds(s, "a@example.com.evil.org"), V{K::kEmail});
  EXPECT_EQ(Kinds(s, "a@exampleXcom.org"), V{K::kEmail});
  auto f = s.Scan("mail alice@corp.com now");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].offset, 5u);
  EXPECT_EQ(f[0].length, 14u);
}

TEST(PiiScan, SanitizedAndNonEmailAtSignsAreClean) {
  PiiScanner s;
  for (const char* clean : {"dev_42@example.com", "entity_7@EXAMPLE.COM", "user_0d9afb6539955283@example.com",
                            "x@mail.example.com", "@handle", "a @ b", "user@localhost", "price@5", "foo@bar.c1"}) {
    EXPECT_TRUE(s.Clean(clean)) << clean;
  }
}

TEST(PiiScan, PhonesOutsideTheFictionalRangeAreFound) {
  PiiScanner s;
  EXPECT_EQ(Kinds(s, "+1-415-555-0199"), V{K::kPhone});
  EXPECT_EQ(Kinds(s, "+44 20 7946 0958"), V{K::kPhone});
  EXPECT_EQ(Kinds(s, "(415) 555-0199"), V{K::kPhone});
  EXPECT_EQ(Kinds(s, "call 415.555.0199 today"), V{K::kPhone});
  EXPECT_EQ(Kinds(s, "+4915112345678"), V{K::kPhone});
}

TEST(PiiScan, SanitizedPhonesDatesIdsAndNumbersAreClean) {
  PiiScanner s;
  for (const char* clean : {"+1-555-0000042", "+1-555-1234567", "+1-555-42", "555-123-4567", "2025-01-20",
                            "2025-01-20 02:13:00+00", "1737338400", "12345678901234", "550e8400-e29b-41d4-a716-446655440000",
                            "v1.2.3", "amount 1234.56", "ORDER-2025-000123", "id 42", "0cdcfa3daec3b422e84b72cdbcc9baca",
                            "investigation-2025-001", "[0.12,0.5,-1.25]", "10:30:00"}) {
    EXPECT_TRUE(s.Clean(clean)) << clean << " -> " << (s.Scan(clean).empty() ? "" : std::string(PiiKindName(s.Scan(clean)[0].kind)));
  }
}

TEST(PiiScan, LuhnValidCardNumbersWithSeparators) {
  PiiScanner s;
  EXPECT_EQ(Kinds(s, "4111111111111111"), V{K::kCardNumber});
  EXPECT_EQ(Kinds(s, "4111 1111 1111 1111"), V{K::kCardNumber});
  EXPECT_EQ(Kinds(s, "card: 5500-0000-0000-0004."), V{K::kCardNumber});
  EXPECT_EQ(Kinds(s, "378282246310005"), V{K::kCardNumber});       // Amex, 15 digits
  EXPECT_EQ(Kinds(s, "6011111111111117"), V{K::kCardNumber});
  EXPECT_TRUE(s.Clean("4111111111111112"));                          // fails Luhn
  EXPECT_TRUE(s.Clean("****-****-****-0000"));
  EXPECT_TRUE(s.Clean("****0000"));
  EXPECT_TRUE(s.Clean("411111111111"));                              // 12 digits
  EXPECT_TRUE(LuhnValid("79927398713"));
  EXPECT_FALSE(LuhnValid("79927398710"));
  EXPECT_FALSE(LuhnValid("7992a398713"));
}

TEST(PiiScan, IpLiterals) {
  PiiScanner s;
  EXPECT_EQ(Kinds(s, "10.0.0.1"), V{K::kIpAddress});
  EXPECT_EQ(Kinds(s, "from 192.168.1.254."), V{K::kIpAddress});
  EXPECT_EQ(Kinds(s, "2001:db8::1"), V{K::kIpAddress});
  EXPECT_EQ(Kinds(s, "fe80::1ff:fe23:4567:890a"), V{K::kIpAddress});
  EXPECT_EQ(Kinds(s, "::1"), V{K::kIpAddress});
  EXPECT_EQ(Kinds(s, "::ffff:10.0.0.1"), V{K::kIpAddress});
  for (const char* clean : {"256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "std::string", "02:00:00", "a::b::c", "::",
                            "00:1A:2B:3C:4D:5E", "version 10.0.0.1a"}) {
    EXPECT_TRUE(s.Clean(clean)) << clean;
  }
  EXPECT_TRUE(IsIpv4("0.0.0.0"));
  EXPECT_FALSE(IsIpv6("12:34"));
}

TEST(PiiScan, ValuesEqualToACredentialAreFound) {
  PiiScanner s({SecretString("sk_live_51HxYz"), SecretString("pw"), SecretString("hunter2-prod")});
  EXPECT_EQ(Kinds(s, "sk_live_51HxYz"), V{K::kCredential});
  EXPECT_EQ(Kinds(s, "hunter2-prod"), V{K::kCredential});
  EXPECT_TRUE(s.Clean("dev_test_key_STRIPE_API_KEY"));
  EXPECT_TRUE(s.Clean("pw"));                // too short to be tracked
  EXPECT_TRUE(s.Clean("sk_live_51HxYz "));   // equality, not containment
}

TEST(PiiScan, SeveralFindingsInOneValueAreOrdered) {
  PiiScanner s;
  auto f = s.Scan("ip 10.1.2.3 mail a@b.io card 4111111111111111");
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].kind, K::kIpAddress);
  EXPECT_EQ(f[1].kind, K::kEmail);
  EXPECT_EQ(f[2].kind, K::kCardNumber);
}

}  // namespace
}  // namespace summit::transform
