#include "crypto/crypto.h"

#include <gtest/gtest.h>

#include <cstring>

#include "crypto/keyfile.h"

namespace summit::crypto {
namespace {

TEST(Sha256, MatchesKnownVector) {
  EXPECT_EQ(DigestHex(Sha256(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Hasher, StreamingEqualsOneShot) {
  std::string s(100000, 'x');
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(i * 31);
  Sha256Hasher h;
  for (size_t i = 0; i < s.size(); i += 777) h.Update(AsBytes(std::string_view(s).substr(i, 777)));
  EXPECT_EQ(h.Finish(), Sha256(AsBytes(s)));
}

TEST(HmacSha256, IsKeyedAndMatchesOpenSslCli) {
  // Expected value from `openssl dgst -sha256 -mac HMAC -macopt hexkey:0b0b...(32 bytes)`.
  Key256 k;
  k.fill(0x0b);
  Key256 k2 = k;
  k2[0] ^= 1;
  EXPECT_NE(HmacSha256(k, AsBytes("Hi There")), HmacSha256(k2, AsBytes("Hi There")));
  EXPECT_EQ(DigestHex(HmacSha256(k, AsBytes("Hi There"))),
            "198a607eb44bfbc69903a0f1cf2bbdc5ba0aa3f3d9ae3c1c7a3b1696a0b68cf7");
}

TEST(Aead, SealThenOpenRoundTrips) {
  Key256 key = RandomKey();
  std::string msg = "the quick brown fox";
  Bytes sealed = Seal(key, AsBytes(msg), AsBytes("aad"));
  EXPECT_EQ(sealed.size(), msg.size() + kSealOverhead);
  auto opened = Open(key, sealed, AsBytes("aad"));
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(AsString(*opened), msg);
}

// Restore decrypts each blob in place inside the run it read: the plaintext replaces the
// ciphertext, and a damaged blob still fails authentication.
TEST(Aead, OpenIntoDecryptsInPlaceAndStillAuthenticates) {
  Key256 key = RandomKey();
  std::string msg(100000, 'x');
  for (size_t i = 0; i < msg.size(); i += 7) msg[i] = static_cast<char>('a' + i % 26);
  Bytes sealed = Seal(key, AsBytes(msg), AsBytes("id"));
  Bytes copy = sealed;
  std::span<uint8_t> in_place(sealed.data() + kNonceSize, msg.size());
  ASSERT_TRUE(OpenInto(key, sealed, AsBytes("id"), in_place).has_value());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(in_place.data()), in_place.size()), msg);

  copy[kNonceSize + 500] ^= 4;
  std::span<uint8_t> damaged(copy.data() + kNonceSize, msg.size());
  auto r = OpenInto(key, copy, AsBytes("id"), damaged);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kCorruption);

  Bytes small(10);
  EXPECT_EQ(OpenInto(key, Seal(key, AsBytes(msg)), {}, small).error().code(), ErrorCode::kInternal);
}

// Backup compresses a chunk into its sealing buffer and encrypts it there.
TEST(Aead, SealIntoInPlaceOpensWithOpen) {
  Key256 key = RandomKey();
  std::string msg = "compressed chunk bytes, sealed where they were written";
  Bytes buf(msg.size() + kSealOverhead);
  std::memcpy(buf.data() + kNonceSize, msg.data(), msg.size());
  SealInto(key, ByteView(buf.data() + kNonceSize, msg.size()), AsBytes("id"), buf);
  auto opened = Open(key, buf, AsBytes("id"));
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(AsString(*opened), msg);
}

TEST(Aead, NoncesAreFreshSoEqualPlaintextsDiffer) {
  Key256 key = RandomKey();
  EXPECT_NE(Seal(key, AsBytes("same")), Seal(key, AsBytes("same")));
}

TEST(Aead, EveryFlippedBitIsDetected) {
  Key256 key = RandomKey();
  Bytes sealed = Seal(key, AsBytes("payload that matters"));
  for (size_t i = 0; i < sealed.size() * 8; ++i) {
    Bytes bad = sealed;
    bad[i / 8] ^= static_cast<uint8_t>(1u << (i % 8));
    auto r = Open(key, bad);
    ASSERT_FALSE(r.has_value()) << "bit " << i;
    EXPECT_EQ(r.error().code(), ErrorCode::kCorruption);
  }
}

TEST(Aead, WrongKeyOrAadFails) {
  Key256 key = RandomKey();
  Bytes sealed = Seal(key, AsBytes("x"), AsBytes("a"));
  EXPECT_FALSE(Open(RandomKey(), sealed, AsBytes("a")).has_value());
  EXPECT_FALSE(Open(key, sealed, AsBytes("b")).has_value());
  EXPECT_FALSE(Open(key, Bytes(5)).has_value());
}

TEST(Aead, EmptyPlaintextRoundTrips) {
  Key256 key = RandomKey();
  auto r = Open(key, Seal(key, ByteView{}));
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->empty());
}

TEST(Kdf, SameInputsGiveSameKeyAndSaltMatters) {
  Bytes salt(kSaltSize, 7);
  auto a = DeriveKey(SecretString("pw"), salt, TestKdfParams());
  auto b = DeriveKey(SecretString("pw"), salt, TestKdfParams());
  salt[0] = 8;
  auto c = DeriveKey(SecretString("pw"), salt, TestKdfParams());
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
}

TEST(Kdf, EmptyPasswordIsInvalidInput) {
  auto r = DeriveKey(SecretString(""), Bytes(kSaltSize), TestKdfParams());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidInput);
}

TEST(KeyFile, WrapUnwrapRoundTripsThroughJson) {
  MasterKey m = MasterKey::Random();
  auto f = WrapMasterKey(m, SecretString("correct horse"), TestKdfParams());
  ASSERT_TRUE(f.has_value());
  f->host = "db1";
  f->created = "2025-01-20T02:00:00Z";
  std::string text = EncodeKeyFile(*f);
  EXPECT_EQ(text.find("correct horse"), std::string::npos);
  auto parsed = ParseKeyFile(AsBytes(text));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  EXPECT_EQ(parsed->host, "db1");
  auto back = UnwrapMasterKey(*parsed, SecretString("correct horse"));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, m);
}

TEST(KeyFile, WrongPasswordSaysWrongEncryptionKey) {
  auto f = WrapMasterKey(MasterKey::Random(), SecretString("right"), TestKdfParams());
  ASSERT_TRUE(f.has_value());
  auto r = UnwrapMasterKey(*f, SecretString("wrong"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kWrongKey);
  EXPECT_EQ(r.error().message(), "wrong encryption key");
}

TEST(KeyFile, MalformedInputIsCorruptionNotACrash) {
  for (std::string bad : {"", "{", "[]", "{\"version\":1}", "{\"version\":\"x\"}",
                          "{\"version\":1,\"kdf\":\"argon2id\",\"ops\":1,\"mem\":8192,\"salt\":\"zz\",\"wrapped\":\"\"}"}) {
    auto r = ParseKeyFile(AsBytes(bad));
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kCorruption) << bad << ": " << r.error().ToString();
  }
  auto v2 = ParseKeyFile(AsBytes("{\"version\":2}"));
  ASSERT_FALSE(v2.has_value());
  EXPECT_EQ(v2.error().code(), ErrorCode::kUnsupported);
}

}  // namespace
}  // namespace summit::crypto
