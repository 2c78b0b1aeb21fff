#include "crypto/crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace summit::crypto {
namespace {

const EVP_CIPHER* Aes256Gcm() {
  static const EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

const EVP_MD* Sha256Md() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

// One context per thread, re-initialised per call: avoids an allocation per blob.
EVP_CIPHER_CTX* ThreadCipherCtx() {
  thread_local CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) {
    std::fputs("summit-dr: EVP_CIPHER_CTX_new failed\n", stderr);
    std::abort();
  }
  return ctx.get();
}

[[noreturn]] void CryptoAbort(const char* what) {
  std::fprintf(stderr, "summit-dr: fatal: %s failed\n", what);
  std::abort();
}

}  // namespace

void FillRandom(std::span<uint8_t> out) {
  if (out.empty()) return;
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) CryptoAbort("RAND_bytes");
}

Key256 RandomKey() {
  Key256 k;
  FillRandom(k);
  return k;
}

Digest Sha256(ByteView data) {
  Digest d;
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), d.data(), &len, Sha256Md(), nullptr) != 1) CryptoAbort("EVP_Digest");
  return d;
}

Digest HmacSha256(const Key256& key, ByteView data) {
  Digest d;
  unsigned int len = 0;
  if (!HMAC(Sha256Md(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), d.data(), &len))
    CryptoAbort("HMAC");
  return d;
}

struct Sha256Hasher::Impl {
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256Hasher::Sha256Hasher() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  if (!impl_->ctx || EVP_DigestInit_ex(impl_->ctx, Sha256Md(), nullptr) != 1) CryptoAbort("EVP_DigestInit");
}
Sha256Hasher::~Sha256Hasher() = default;
Sha256Hasher::Sha256Hasher(Sha256Hasher&&) noexcept = default;
Sha256Hasher& Sha256Hasher::operator=(Sha256Hasher&&) noexcept = default;

void Sha256Hasher::Update(ByteView data) {
  if (EVP_DigestUpdate(impl_->ctx, data.data(), data.size()) != 1) CryptoAbort("EVP_DigestUpdate");
}

Digest Sha256Hasher::Finish() {
  Digest d;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, d.data(), &len) != 1) CryptoAbort("EVP_DigestFinal");
  return d;
}

void SealInto(const Key256& key, ByteView plaintext, ByteView aad, std::span<uint8_t> out) {
  if (out.size() != plaintext.size() + kSealOverhead) CryptoAbort("SealInto (buffer of the wrong size)");
  uint8_t* nonce = out.data();
  uint8_t* ct = nonce + kNonceSize;
  FillRandom({nonce, kNonceSize});
  EVP_CIPHER_CTX* ctx = ThreadCipherCtx();
  int len = 0;
  if (EVP_EncryptInit_ex2(ctx, Aes256Gcm(), key.data(), nonce, nullptr) != 1) CryptoAbort("EVP_EncryptInit");
  if (!aad.empty() && EVP_EncryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
    CryptoAbort("EVP_EncryptUpdate(aad)");
  // EVP lengths are int: feed large inputs in pieces.
  size_t done = 0;
  while (done < plaintext.size()) {
    int n = static_cast<int>(std::min<size_t>(plaintext.size() - done, 1u << 30));
    if (EVP_EncryptUpdate(ctx, ct + done, &len, plaintext.data() + done, n) != 1) CryptoAbort("EVP_EncryptUpdate");
    done += static_cast<size_t>(len);
  }
  if (EVP_EncryptFinal_ex(ctx, ct + done, &len) != 1) CryptoAbort("EVP_EncryptFinal");
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTagSize, ct + plaintext.size()) != 1)
    CryptoAbort("EVP_CTRL_GCM_GET_TAG");
}

void SealAppend(const Key256& key, ByteView plaintext, ByteView aad, Bytes& out) {
  size_t base = out.size();
  out.resize(base + kNonceSize + plaintext.size() + kTagSize);
  SealInto(key, plaintext, aad, std::span<uint8_t>(out.data() + base, plaintext.size() + kSealOverhead));
}

Bytes Seal(const Key256& key, ByteView plaintext, ByteView aad) {
  Bytes out;
  out.reserve(plaintext.size() + kSealOverhead);
  SealAppend(key, plaintext, aad, out);
  return out;
}

Status OpenInto(const Key256& key, ByteView sealed, ByteView aad, std::span<uint8_t> out) {
  if (sealed.size() < kSealOverhead)
    return Fail(ErrorCode::kCorruption, "encrypted object is too short (" + std::to_string(sealed.size()) + " bytes)");
  const uint8_t* nonce = sealed.data();
  const uint8_t* ct = nonce + kNonceSize;
  size_t ct_len = sealed.size() - kSealOverhead;
  if (out.size() != ct_len) return Fail(ErrorCode::kInternal, "decryption buffer of the wrong size");
  EVP_CIPHER_CTX* ctx = ThreadCipherCtx();
  int len = 0;
  if (EVP_DecryptInit_ex2(ctx, Aes256Gcm(), key.data(), nonce, nullptr) != 1) CryptoAbort("EVP_DecryptInit");
  if (!aad.empty() && EVP_DecryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
    CryptoAbort("EVP_DecryptUpdate(aad)");
  // The tag follows the ciphertext, so in-place decryption never overwrites it; copied anyway
  // because EVP wants a mutable pointer.
  uint8_t tag[kTagSize];
  std::memcpy(tag, ct + ct_len, kTagSize);
  size_t done = 0;
  while (done < ct_len) {
    int n = static_cast<int>(std::min<size_t>(ct_len - done, 1u << 30));
    if (EVP_DecryptUpdate(ctx, out.data() + done, &len, ct + done, n) != 1) CryptoAbort("EVP_DecryptUpdate");
    done += static_cast<size_t>(len);
  }
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTagSize, tag) != 1) CryptoAbort("EVP_CTRL_GCM_SET_TAG");
  if (EVP_DecryptFinal_ex(ctx, out.data() + done, &len) != 1)
    return Fail(ErrorCode::kCorruption, "authentication failed: the data was modified or the key is wrong");
  return Ok();
}

Result<Bytes> Open(const Key256& key, ByteView sealed, ByteView aad) {
  if (sealed.size() < kSealOverhead)
    return Fail(ErrorCode::kCorruption, "encrypted object is too short (" + std::to_string(sealed.size()) + " bytes)");
  Bytes out(sealed.size() - kSealOverhead);
  SUMMIT_TRY(OpenInto(key, sealed, aad, out));
  return out;
}

KdfParams TestKdfParams() {
  return KdfParams{crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

Result<Key256> DeriveKey(const SecretString& password, ByteView salt, const KdfParams& params) {
  static const bool init_ok = sodium_init() >= 0;
  if (!init_ok) return Fail(ErrorCode::kInternal, "libsodium failed to initialise");
  if (password.empty())
    return Fail(ErrorCode::kInvalidInput, "empty encryption key", "set ENCRYPTION_KEY or pass a key file");
  if (salt.size() != crypto_pwhash_SALTBYTES)
    return Fail(ErrorCode::kInvalidInput, "kdf salt must be " + std::to_string(crypto_pwhash_SALTBYTES) + " bytes");
  if (params.ops < crypto_pwhash_OPSLIMIT_MIN || params.ops > crypto_pwhash_OPSLIMIT_MAX ||
      params.mem_bytes < crypto_pwhash_MEMLIMIT_MIN || params.mem_bytes > (8ull << 30))
    return Fail(ErrorCode::kInvalidInput, "argon2id parameters out of range (ops " + std::to_string(params.ops) +
                                              ", memory " + std::to_string(params.mem_bytes) + " bytes)");
  Key256 key;
  const std::string& pw = password.Reveal();
  if (crypto_pwhash(key.data(), key.size(), pw.data(), pw.size(), salt.data(), params.ops,
                    static_cast<size_t>(params.mem_bytes), crypto_pwhash_ALG_ARGON2ID13) != 0)
    return Fail(ErrorCode::kNoSpace, "argon2id ran out of memory (" + std::to_string(params.mem_bytes >> 20) + " MiB)",
                "lower the key's memory parameter or free memory");
  return key;
}

std::string DigestHex(const Digest& d) { return HexEncode(d); }

}  // namespace summit::crypto
