// The S3 storage Backend (storage/backend.h) for AWS S3 and S3-compatible servers (MinIO),
// on libcurl with its built-in SigV4 signing (CURLOPT_AWS_SIGV4, curl >= 7.75).
//
// Keys are stored under "<prefix>/<key>" in one bucket. Every upload carries Content-MD5 and
// the real x-amz-content-sha256 of its body, so the server rejects bytes damaged in transit
// (kCorruption). Objects larger than multipart_threshold are uploaded in parts; an unfinished
// multipart upload is aborted by its destructor, so a failed Put leaves no object and no parts.
// Errors: 5xx, 429, SlowDown, time-outs and connection resets are kTransient (the retry
// wrapper retries them); 403 is kPermission; 404 is kNotFound (NoSuchBucket with a hint);
// refused or unresolvable endpoints are kUnavailable. This class never retries by itself.
//
// Thread-safety: every method is safe for concurrent calls; CURL handles are pooled.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/secret.h"
#include "storage/backend.h"
#include "storage/s3/curl_pool.h"

namespace summit::storage::s3 {

inline constexpr uint64_t kMiB = 1024 * 1024;
inline constexpr uint64_t kMinPartSize = 5 * kMiB;  // S3's minimum for all but the last part
inline constexpr uint32_t kMaxParts = 10000;

struct S3Settings {
  std::string endpoint;             // "http://127.0.0.1:9000", "https://s3.us-west-2.amazonaws.com"
  std::string region = "us-east-1";
  std::string bucket;
  std::string prefix;               // without leading or trailing '/'; may be empty
  std::string access_key;
  SecretString secret_key;
  bool path_style = true;           // false: virtual-hosted ("bucket.host")
  bool tls_verify = true;
  uint64_t multipart_threshold = 64 * kMiB;  // Put uses multipart above this size
  uint64_t part_size = 16 * kMiB;            // >= kMinPartSize
  int upload_concurrency = 4;                // parts of one object uploaded in parallel
  std::chrono::milliseconds connect_timeout{5000};
  // A request that moves no byte for this long is abandoned (kTransient).
  std::chrono::seconds stall_timeout{60};
  // Upper bound on one request; 0 = none (large objects may legitimately take long).
  std::chrono::seconds request_timeout{0};
  size_t max_idle_connections = 16;
};

class S3Backend;

// One multipart upload (RAII). Begin it with S3Backend::BeginMultipart, add parts in order,
// then Complete(); destroying it before Complete() aborts the upload on the server.
// UploadPartNumber may be called from several threads at once (parallel parts); Complete,
// Abort and destruction by the one owner after those calls return.
class MultipartUpload {
 public:
  MultipartUpload(const MultipartUpload&) = delete;
  MultipartUpload& operator=(const MultipartUpload&) = delete;
  ~MultipartUpload();

  // Uploads the next part (parts 1..N in call order). All but the last must be >= 5 MiB.
  Status UploadPart(ByteView data);
  // Uploads part `number` (1..10000). Thread-safe.
  Status UploadPartNumber(uint32_t number, ByteView data);
  // Commits the object from parts 1..N (kInternal if one is missing). Fails (and leaves the
  // upload to the destructor's abort) on error.
  Status Complete();
  // Aborts now; idempotent.
  Status Abort();
  const std::string& upload_id() const { return upload_id_; }

 private:
  friend class S3Backend;
  MultipartUpload(S3Backend* backend, std::string full_key, std::string upload_id)
      : backend_(backend), full_key_(std::move(full_key)), upload_id_(std::move(upload_id)) {}

  S3Backend* backend_;
  std::string full_key_;
  std::string upload_id_;
  std::mutex mu_;
  std::map<uint32_t, std::string> etags_;  // part number -> ETag
  uint32_t next_part_ = 1;
  bool finished_ = false;
};

class S3Backend final : public Backend {
 public:
  // Validates the settings (kInvalidInput naming the bad field). Does not contact the server:
  // call CheckBucket() for that.
  static Result<std::unique_ptr<S3Backend>> Open(S3Settings settings);

  Status Put(std::string_view key, ByteView data) override;
  Result<Bytes> Get(std::string_view key, uint64_t offset = 0, uint64_t length = kToEnd) override;
  Result<ObjectInfo> Stat(std::string_view key) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override;
  Status Delete(std::string_view key) override;
  std::string Describe() const override;

  // HEAD on the bucket: kNotFound (NoSuchBucket hint), kPermission, kUnavailable.
  Status CheckBucket();
  // Starts a multipart upload of `key`.
  Result<std::unique_ptr<MultipartUpload>> BeginMultipart(std::string_view key);
  // The ids of unfinished multipart uploads of `key` (MinIO lists uploads only per exact key).
  Result<std::vector<std::string>> ListMultipartUploads(std::string_view key);

  const S3Settings& settings() const { return settings_; }

 private:
  friend class MultipartUpload;
  struct Request;
  struct Response;

  explicit S3Backend(S3Settings settings);
  std::string FullKey(std::string_view key) const;
  std::string ObjectName(std::string_view full_key) const;  // "s3://bucket/key", for messages
  std::string Url(std::string_view full_key, const std::string& query) const;
  // Sends one request. Fails only on transport errors (kTransient/kUnavailable/...);
  // HTTP error statuses come back in the Response.
  Result<Response> Perform(const Request& req);
  Status PutSingle(const std::string& full_key, ByteView data);
  Status PutMultipart(const std::string& full_key, ByteView data);

  S3Settings settings_;
  std::string scheme_;     // "http" or "https"
  std::string authority_;  // "host[:port]" of the endpoint
  std::string sigv4_;      // "aws:amz:REGION:s3"
  CurlPool pool_;
};

}  // namespace summit::storage::s3
