#include "storage/s3/backend_url.h"

#include <charconv>

#include "storage/local/local_backend.h"

namespace summit::storage {

namespace {

Result<std::string> PercentDecode(std::string_view in, std::string_view url) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      unsigned v = 0;
      if (i + 2 >= in.size() ||
          std::from_chars(in.data() + i + 1, in.data() + i + 3, v, 16).ptr != in.data() + i + 3)
        return Fail(ErrorCode::kInvalidInput, "repository url '" + std::string(url) + "': bad percent-escape");
      out.push_back(static_cast<char>(v));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

Result<bool> ParseBool(std::string_view name, std::string_view v, std::string_view url) {
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  return Fail(ErrorCode::kInvalidInput,
              "repository url '" + std::string(url) + "': " + std::string(name) + "=" + std::string(v) +
                  " is not a boolean",
              "use true or false");
}

Result<uint64_t> ParseMiB(std::string_view name, std::string_view v, std::string_view url) {
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n == 0 || n > 5 * 1024 * 1024)
    return Fail(ErrorCode::kInvalidInput, "repository url '" + std::string(url) + "': " + std::string(name) +
                                              "=" + std::string(v) + " is not a size in MiB");
  return n * s3::kMiB;
}

}  // namespace

Result<s3::S3Settings> ParseS3Url(std::string_view url, const S3Credentials& credentials) {
  std::string_view rest = url.substr(5);  // after "s3://"
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  s3::S3Settings s;
  size_t slash = rest.find('/');
  s.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) s.prefix = std::string(rest.substr(slash + 1));
  if (s.bucket.empty())
    return Fail(ErrorCode::kInvalidInput, "repository url '" + std::string(url) + "' names no bucket",
                "write s3://BUCKET/PREFIX?endpoint=...&region=...");
  s.access_key = credentials.access_key;
  s.secret_key = credentials.secret_key;
  bool path_style_set = false;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    SUMMIT_ASSIGN_OR_RETURN(std::string value,
                            PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), url));
    if (name == "endpoint") {
      s.endpoint = value;
    } else if (name == "region") {
      s.region = value;
    } else if (name == "path_style") {
      SUMMIT_ASSIGN_OR_RETURN(s.path_style, ParseBool(name, value, url));
      path_style_set = true;
    } else if (name == "tls_verify") {
      SUMMIT_ASSIGN_OR_RETURN(s.tls_verify, ParseBool(name, value, url));
    } else if (name == "multipart_threshold_mib") {
      SUMMIT_ASSIGN_OR_RETURN(s.multipart_threshold, ParseMiB(name, value, url));
    } else if (name == "part_size_mib") {
      SUMMIT_ASSIGN_OR_RETURN(s.part_size, ParseMiB(name, value, url));
    } else {
      return Fail(ErrorCode::kInvalidInput,
                  "repository url '" + std::string(url) + "': unknown parameter '" + std::string(name) + "'",
                  "known: endpoint, region, path_style, tls_verify, multipart_threshold_mib, part_size_mib");
    }
  }
  if (s.endpoint.empty()) {
    s.endpoint = "https://s3." + s.region + ".amazonaws.com";
    if (!path_style_set) s.path_style = false;
  }
  return s;
}

Result<std::unique_ptr<Backend>> OpenBackendFromUrl(std::string_view url, const BackendOpenOptions& options) {
  if (url.starts_with("s3://")) {
    SUMMIT_ASSIGN_OR_RETURN(s3::S3Settings settings, ParseS3Url(url, options.s3));
    SUMMIT_ASSIGN_OR_RETURN(auto backend, s3::S3Backend::Open(std::move(settings)));
    if (!options.retry) return std::unique_ptr<Backend>(std::move(backend));
    return std::unique_ptr<Backend>(std::make_unique<RetryBackend>(std::move(backend), options.retry_policy, nullptr, 0, options.stop));
  }
  std::string_view path = url;
  if (path.starts_with("local:")) {
    path.remove_prefix(6);
  } else if (path.starts_with("file://")) {
    path.remove_prefix(7);
  } else if (path.find("://") != std::string_view::npos) {
    return Fail(ErrorCode::kInvalidInput, "repository url '" + std::string(url) + "' has an unknown scheme",
                "use s3://BUCKET/PREFIX?endpoint=..., local:/PATH or a plain path");
  }
  if (path.empty())
    return Fail(ErrorCode::kInvalidInput, "repository url '" + std::string(url) + "' names no directory");
  SUMMIT_ASSIGN_OR_RETURN(auto local, LocalBackend::Open(std::string(path), options.create_local));
  return std::unique_ptr<Backend>(std::move(local));
}

}  // namespace summit::storage
