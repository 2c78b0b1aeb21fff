// Opening a Backend from a repository URL, as written in config/backup-sets.yaml and flags:
//   s3://BUCKET[/PREFIX]?endpoint=http://127.0.0.1:9000&region=us-west-2&path_style=true
//        &tls_verify=true&multipart_threshold_mib=64&part_size_mib=16
//   local:/var/backups/summit      file:///var/backups/summit      /var/backups/summit
// Credentials never appear in URLs: the composition root passes them (from the environment or
// a secrets file). S3 backends are wrapped in the retry wrapper unless options say otherwise.
//
// Thread-safety: the function is reentrant; the returned backend is thread-safe.
#pragma once

#include <memory>
#include <stop_token>
#include <string>
#include <string_view>

#include "core/secret.h"
#include "storage/backend.h"
#include "storage/retry.h"
#include "storage/s3/s3_backend.h"

namespace summit::storage {

struct S3Credentials {
  std::string access_key;
  SecretString secret_key;
};

struct BackendOpenOptions {
  S3Credentials s3;
  bool retry = true;  // wrap S3 in RetryBackend
  RetryPolicy retry_policy;
  bool create_local = true;  // create a missing local directory
  std::stop_token stop;      // ends the retry wrapper's waiting (kCancelled)
};

// Parses an s3:// URL into settings (no I/O). kInvalidInput names the bad part. Without
// endpoint=, AWS's regional endpoint with virtual-hosted addressing is used.
Result<s3::S3Settings> ParseS3Url(std::string_view url, const S3Credentials& credentials);

// Opens the backend the URL names. Errors: kInvalidInput for a malformed URL or an unknown
// scheme, and whatever LocalBackend::Open / S3Backend::Open return. Does not contact S3.
Result<std::unique_ptr<Backend>> OpenBackendFromUrl(std::string_view url, const BackendOpenOptions& options = {});

}  // namespace summit::storage
