#include "storage/s3/s3_backend.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <thread>
#include <cstring>
#include <map>

#include "core/log.h"
#include "storage/s3/s3_util.h"

namespace summit::storage::s3 {

struct S3Backend::Request {
  const char* method = "GET";
  std::string full_key;  // empty: the bucket itself
  std::map<std::string, std::string> query;
  std::vector<std::string> headers;
  ByteView body;
  const char* content_type = nullptr;
};

struct S3Backend::Response {
  long status = 0;
  Bytes body;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string_view text() const { return AsString(body); }
};

namespace {

constexpr const char* kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

size_t WriteBody(char* ptr, size_t size, size_t nmemb, void* userdata) {
  auto* out = static_cast<Bytes*>(userdata);
  out->insert(out->end(), reinterpret_cast<uint8_t*>(ptr), reinterpret_cast<uint8_t*>(ptr) + size * nmemb);
  return size * nmemb;
}

size_t WriteHeader(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(userdata);
  std::string_view line(buffer, size * nitems);
  if (line.starts_with("HTTP/")) headers->clear();  // a new response (after 100-continue)
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    (*headers)[name] = std::string(value);
  }
  return size * nitems;
}

struct UploadCursor {
  ByteView data;
  size_t pos = 0;
};

size_t ReadBody(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* c = static_cast<UploadCursor*>(userdata);
  size_t n = std::min(size * nitems, c->data.size() - c->pos);
  std::memcpy(buffer, c->data.data() + c->pos, n);
  c->pos += n;
  return n;
}

int SeekBody(void* userdata, curl_off_t offset, int origin) {
  auto* c = static_cast<UploadCursor*>(userdata);
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > c->data.size())
    return CURL_SEEKFUNC_FAIL;
  c->pos = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

Error TransportError(CURLcode rc, const char* detail, std::string_view operation, std::string_view object,
                     std::string_view endpoint) {
  std::string what = std::string(operation) + " " + std::string(object) + ": " +
                     (detail[0] ? std::string(detail) : std::string(curl_easy_strerror(rc)));
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return Error(ErrorCode::kUnavailable, what,
                   "check that the S3 endpoint " + std::string(endpoint) +
                       " is right and its server is running and reachable from this host");
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CONNECT_ERROR:
      return Error(ErrorCode::kPermission, what,
                   "the endpoint's TLS certificate was not accepted: install its CA, or set "
                   "tls_verify=false for a test server");
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Error(ErrorCode::kInvalidInput, what, "check the endpoint in the repository url");
    case CURLE_OUT_OF_MEMORY:
      return Error(ErrorCode::kInternal, what);
    default:
      // Time-outs, resets, short reads, HTTP/2 stream errors: worth another attempt.
      return Error(ErrorCode::kTransient, what);
  }
}

std::string XmlEscape(std::string_view in) {
  std::string out;
  for (char c : in) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<S3Backend>> S3Backend::Open(S3Settings settings) {
  auto invalid = [](std::string m, std::string hint = {}) {
    return Fail(ErrorCode::kInvalidInput, "s3 backend: " + m, std::move(hint));
  };
  std::string_view ep = settings.endpoint;
  if (!ep.starts_with("http://") && !ep.starts_with("https://"))
    return invalid("endpoint '" + settings.endpoint + "' must start with http:// or https://");
  while (ep.ends_with('/')) ep.remove_suffix(1);
  std::string_view rest = ep.substr(ep.find("://") + 3);
  if (rest.empty() || rest.find('/') != std::string_view::npos)
    return invalid("endpoint '" + settings.endpoint + "' must be scheme://host[:port] without a path");
  if (settings.bucket.size() < 3 || settings.bucket.size() > 63 ||
      settings.bucket.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") != std::string::npos)
    return invalid("bucket name '" + settings.bucket + "' is not valid",
                   "bucket names are 3-63 characters: lower-case letters, digits, '.' and '-'");
  if (settings.region.empty()) return invalid("region is empty", "set region= (e.g. us-east-1)");
  if (settings.access_key.empty() || settings.secret_key.empty())
    return invalid("access key or secret key is empty", "provide the S3 credentials");
  if (settings.part_size < kMinPartSize)
    return invalid("part size " + std::to_string(settings.part_size) + " is below S3's minimum of 5 MiB");
  if (settings.multipart_threshold < settings.part_size) settings.multipart_threshold = settings.part_size;
  while (settings.prefix.starts_with('/')) settings.prefix.erase(0, 1);
  while (settings.prefix.ends_with('/')) settings.prefix.pop_back();
  auto backend = std::unique_ptr<S3Backend>(new S3Backend(std::move(settings)));
  return backend;
}

S3Backend::S3Backend(S3Settings settings)
    : settings_(std::move(settings)), pool_(settings_.max_idle_connections) {
  std::string_view ep = settings_.endpoint;
  while (ep.ends_with('/')) ep.remove_suffix(1);
  size_t sep = ep.find("://");
  scheme_ = std::string(ep.substr(0, sep));
  authority_ = std::string(ep.substr(sep + 3));
  sigv4_ = "aws:amz:" + settings_.region + ":s3";
}

std::string S3Backend::FullKey(std::string_view key) const {
  if (settings_.prefix.empty()) return std::string(key);
  return settings_.prefix + "/" + std::string(key);
}

std::string S3Backend::ObjectName(std::string_view full_key) const {
  return "s3://" + settings_.bucket + "/" + std::string(full_key);
}

std::string S3Backend::Describe() const {
  return "s3://" + settings_.bucket + (settings_.prefix.empty() ? "" : "/" + settings_.prefix) + " (" +
         settings_.endpoint + ")";
}

std::string S3Backend::Url(std::string_view full_key, const std::string& query) const {
  return ObjectUrl(scheme_, authority_, settings_.bucket, full_key, query, settings_.path_style);
}

Result<S3Backend::Response> S3Backend::Perform(const Request& req) {
  SUMMIT_ASSIGN_OR_RETURN(CurlPool::Lease lease, pool_.Acquire());
  CURL* c = lease.get();
  Response resp;
  UploadCursor cursor{req.body, 0};
  char errbuf[CURL_ERROR_SIZE] = {0};

  std::string url = Url(req.full_key, CanonicalQuery(req.query));
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4_.c_str());
  curl_easy_setopt(c, CURLOPT_USERNAME, settings_.access_key.c_str());
  curl_easy_setopt(c, CURLOPT_PASSWORD, settings_.secret_key.Reveal().c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(settings_.stall_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(settings_.request_timeout.count()));
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, settings_.tls_verify ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, settings_.tls_verify ? 2L : 0L);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp.headers);

  std::vector<std::string> headers = req.headers;
  std::string method = req.method;
  bool has_body = method == "PUT" || method == "POST";
  if (has_body) {
    headers.push_back("Content-MD5: " + Md5Base64(req.body));
    headers.push_back("x-amz-content-sha256: " + Sha256Hex(req.body));
    headers.push_back(std::string("Content-Type: ") +
                      (req.content_type ? req.content_type : "application/octet-stream"));
    // (no "Expect:" override: curl would sign the empty header it then does not send)
  } else {
    headers.push_back(std::string("x-amz-content-sha256: ") + kEmptySha256);
  }
  if (method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else if (method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (method == "PUT") {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(c, CURLOPT_READDATA, &cursor);
    curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, SeekBody);
    curl_easy_setopt(c, CURLOPT_SEEKDATA, &cursor);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  } else if (method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.empty() ? "" : reinterpret_cast<const char*>(req.body.data()));
  } else {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method);
  }
  curl_slist* raw = nullptr;
  for (const auto& h : headers) {
    curl_slist* next = curl_slist_append(raw, h.c_str());
    if (!next) {
      curl_slist_free_all(raw);
      return Fail(ErrorCode::kInternal, "out of memory building S3 request headers");
    }
    raw = next;
  }
  SlistPtr header_list(raw);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, header_list.get());

  CURLcode rc = curl_easy_perform(c);
  // The handle keeps pointers to our locals; clear the ones that outlive this call.
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
  if (rc != CURLE_OK) {
    lease.Discard();
    std::string op = std::string(req.method) + (req.query.empty() ? "" : " (" + req.query.begin()->first + ")");
    for (auto& ch : op) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return TransportError(rc, errbuf, op, ObjectName(req.full_key), settings_.endpoint);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  return resp;
}

Status S3Backend::Put(std::string_view key, ByteView data) {
  SUMMIT_TRY(ValidateS3Key(key));
  std::string full = FullKey(key);
  if (data.size() > settings_.multipart_threshold) return PutMultipart(full, data);
  return PutSingle(full, data);
}

Status S3Backend::PutSingle(const std::string& full_key, ByteView data) {
  Request req;
  req.method = "PUT";
  req.full_key = full_key;
  req.body = data;
  SUMMIT_ASSIGN_OR_RETURN(Response resp, Perform(req));
  if (resp.status != 200) return ClassifyS3Error(resp.status, resp.text(), "put", ObjectName(full_key));
  return Ok();
}

Status S3Backend::PutMultipart(const std::string& full_key, ByteView data) {
  SUMMIT_ASSIGN_OR_RETURN(auto upload, BeginMultipart(std::string_view(full_key).substr(
                                           settings_.prefix.empty() ? 0 : settings_.prefix.size() + 1)));
  uint64_t part = settings_.part_size;
  // Keep within S3's 10000 parts by growing the part size for very large objects.
  if ((data.size() + part - 1) / part > kMaxParts) part = (data.size() + kMaxParts - 1) / kMaxParts;
  const uint32_t parts = static_cast<uint32_t>((data.size() + part - 1) / part);
  std::atomic<uint32_t> next{0};
  std::mutex err_mu;
  Status first_error;
  auto worker = [&] {
    while (true) {
      {
        std::lock_guard<std::mutex> lock(err_mu);
        if (!first_error) return;  // stop early after a failure
      }
      uint32_t i = next.fetch_add(1);
      if (i >= parts) return;
      uint64_t off = static_cast<uint64_t>(i) * part;
      Status st = upload->UploadPartNumber(i + 1, data.subspan(off, std::min<uint64_t>(part, data.size() - off)));
      if (!st) {
        std::lock_guard<std::mutex> lock(err_mu);
        if (first_error) first_error = std::move(st);
        return;
      }
    }
  };
  {
    const int threads = std::max(1, std::min<int>(settings_.upload_concurrency, static_cast<int>(parts)));
    std::vector<std::jthread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
  }  // joins
  if (!first_error) return first_error;  // `upload`'s destructor aborts it
  return upload->Complete();
}

Result<std::unique_ptr<MultipartUpload>> S3Backend::BeginMultipart(std::string_view key) {
  SUMMIT_TRY(ValidateS3Key(key));
  std::string full = FullKey(key);
  Request req;
  req.method = "POST";
  req.full_key = full;
  req.query["uploads"] = "";
  SUMMIT_ASSIGN_OR_RETURN(Response resp, Perform(req));
  if (resp.status != 200)
    return ClassifyS3Error(resp.status, resp.text(), "starting multipart upload of", ObjectName(full));
  auto id = XmlText(resp.text(), "UploadId");
  if (!id || id->empty())
    return Fail(ErrorCode::kTransient, "starting multipart upload of " + ObjectName(full) +
                                           ": the response has no UploadId");
  return std::unique_ptr<MultipartUpload>(new MultipartUpload(this, full, *id));
}

Status MultipartUpload::UploadPart(ByteView data) {
  uint32_t number;
  {
    std::lock_guard<std::mutex> lock(mu_);
    number = next_part_++;
  }
  return UploadPartNumber(number, data);
}

Status MultipartUpload::UploadPartNumber(uint32_t number, ByteView data) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return Fail(ErrorCode::kInternal, "multipart upload " + full_key_ + " already finished");
  }
  if (number < 1 || number > kMaxParts)
    return Fail(ErrorCode::kInvalidInput, "multipart upload of " + full_key_ + ": part number " +
                                              std::to_string(number) + " is outside 1..10000");
  S3Backend::Request req;
  req.method = "PUT";
  req.full_key = full_key_;
  req.query["partNumber"] = std::to_string(number);
  req.query["uploadId"] = upload_id_;
  req.body = data;
  SUMMIT_ASSIGN_OR_RETURN(S3Backend::Response resp, backend_->Perform(req));
  std::string what = "uploading part " + std::to_string(number) + " of";
  if (resp.status != 200)
    return ClassifyS3Error(resp.status, resp.text(), what, backend_->ObjectName(full_key_));
  auto it = resp.headers.find("etag");
  if (it == resp.headers.end() || it->second.empty())
    return Fail(ErrorCode::kTransient, what + " " + backend_->ObjectName(full_key_) + ": no ETag in the response");
  std::lock_guard<std::mutex> lock(mu_);
  etags_[number] = it->second;
  return Ok();
}

Status MultipartUpload::Complete() {
  if (finished_) return Fail(ErrorCode::kInternal, "multipart upload " + full_key_ + " already finished");
  if (etags_.empty() || etags_.rbegin()->first != etags_.size())
    return Fail(ErrorCode::kInternal, "multipart upload of " + full_key_ + ": parts are missing");
  std::string xml = "<CompleteMultipartUpload>";
  for (const auto& [number, etag] : etags_) {
    xml += "<Part><PartNumber>" + std::to_string(number) + "</PartNumber><ETag>" + XmlEscape(etag) +
           "</ETag></Part>";
  }
  xml += "</CompleteMultipartUpload>";
  S3Backend::Request req;
  req.method = "POST";
  req.full_key = full_key_;
  req.query["uploadId"] = upload_id_;
  req.body = AsBytes(xml);
  req.content_type = "application/xml";
  SUMMIT_ASSIGN_OR_RETURN(S3Backend::Response resp, backend_->Perform(req));
  // S3 may answer 200 and report the failure in the body.
  if (resp.status != 200 || resp.text().find("<Error>") != std::string_view::npos) {
    long status = resp.status == 200 ? 500 : resp.status;
    return ClassifyS3Error(status, resp.text(), "completing multipart upload of", backend_->ObjectName(full_key_));
  }
  finished_ = true;
  return Ok();
}

Status MultipartUpload::Abort() {
  if (finished_) return Ok();
  S3Backend::Request req;
  req.method = "DELETE";
  req.full_key = full_key_;
  req.query["uploadId"] = upload_id_;
  SUMMIT_ASSIGN_OR_RETURN(S3Backend::Response resp, backend_->Perform(req));
  if (resp.status != 204 && resp.status != 200 && resp.status != 404)
    return ClassifyS3Error(resp.status, resp.text(), "aborting multipart upload of", backend_->ObjectName(full_key_));
  finished_ = true;
  return Ok();
}

MultipartUpload::~MultipartUpload() {
  if (finished_) return;
  Status st = Abort();
  if (!st) {
    log::Warn("could not abort an unfinished multipart upload; its parts stay until the bucket's "
              "lifecycle rule removes them",
              {{"object", backend_->ObjectName(full_key_)}, {"upload_id", upload_id_},
               {"error", st.error().ToString()}});
  }
}

Result<Bytes> S3Backend::Get(std::string_view key, uint64_t offset, uint64_t length) {
  SUMMIT_TRY(ValidateS3Key(key));
  std::string full = FullKey(key);
  if (length == 0) {
    SUMMIT_TRY(Stat(key));
    return Bytes{};
  }
  Request req;
  req.method = "GET";
  req.full_key = full;
  if (offset != 0 || length != kToEnd) {
    std::string range = "Range: bytes=" + std::to_string(offset) + "-";
    if (length != kToEnd && offset + length > offset) range += std::to_string(offset + length - 1);
    req.headers.push_back(range);
  }
  SUMMIT_ASSIGN_OR_RETURN(Response resp, Perform(req));
  if (resp.status == 200 || resp.status == 206) return std::move(resp.body);
  if (resp.status == 416) return Bytes{};  // the object exists; the range starts past its end
  return ClassifyS3Error(resp.status, resp.text(), "get", ObjectName(full));
}

Result<ObjectInfo> S3Backend::Stat(std::string_view key) {
  SUMMIT_TRY(ValidateS3Key(key));
  std::string full = FullKey(key);
  Request req;
  req.method = "HEAD";
  req.full_key = full;
  SUMMIT_ASSIGN_OR_RETURN(Response resp, Perform(req));
  if (resp.status != 200) return ClassifyS3Error(resp.status, resp.text(), "stat", ObjectName(full));
  auto it = resp.headers.find("content-length");
  if (it == resp.headers.end())
    return Fail(ErrorCode::kTransient, "stat " + ObjectName(full) + ": no Content-Length in the response");
  return ObjectInfo{std::string(key), std::stoull(it->second)};
}

Result<std::vector<ObjectInfo>> S3Backend::List(std::string_view prefix) {
  std::string base = settings_.prefix.empty() ? "" : settings_.prefix + "/";
  std::string full_prefix = base + std::string(prefix);
  std::vector<ObjectInfo> out;
  std::string token;
  while (true) {
    Request req;
    req.method = "GET";
    req.query["list-type"] = "2";
    req.query["prefix"] = full_prefix;
    if (!token.empty()) req.query["continuation-token"] = token;
    SUMMIT_ASSIGN_OR_RETURN(Response resp, Perform(req));
    if (resp.status != 200)
      return ClassifyS3Error(resp.status, resp.text(), "list", ObjectName(full_prefix) + "*");
    std::string_view xml = resp.text();
    for (std::string_view entry : XmlElements(xml, "Contents")) {
      auto k = XmlText(entry, "Key");
      auto size = XmlText(entry, "Size");
      if (!k || !size || !k->starts_with(base))
        return Fail(ErrorCode::kCorruption, "list " + ObjectName(full_prefix) + "*: malformed <Contents> entry");
      out.push_back(ObjectInfo{k->substr(base.size()), std::stoull(*size)});
    }
    bool truncated = XmlText(xml, "IsTruncated").value_or("false") == "true";
    if (!truncated) break;
    auto next = XmlText(xml, "NextContinuationToken");
    if (!next || next->empty() || *next == token)
      return Fail(ErrorCode::kTransient, "list " + ObjectName(full_prefix) + "*: truncated listing without a continuation token");
    token = *next;
  }
  std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

Status S3Backend::Delete(std::string_view key) {
  SUMMIT_TRY(ValidateS3Key(key));
  std::string full = FullKey(key);
  Request req;
  req.method = "DELETE";
  req.full_key = full;
  SUMMIT_ASSIGN_OR_RETURN(Response resp, Perform(req));
  if (resp.status == 204 || resp.status == 200) return Ok();
  if (resp.status == 404 && XmlText(resp.text(), "Code").value_or("") != "NoSuchBucket") return Ok();
  return ClassifyS3Error(resp.status, resp.text(), "delete", ObjectName(full));
}

Status S3Backend::CheckBucket() {
  Request req;
  req.method = "HEAD";
  SUMMIT_ASSIGN_OR_RETURN(Response resp, Perform(req));
  if (resp.status == 200) return Ok();
  if (resp.status == 404)
    return ClassifyS3Error(404, "<Error><Code>NoSuchBucket</Code></Error>", "checking bucket",
                           "s3://" + settings_.bucket + " at " + settings_.endpoint);
  return ClassifyS3Error(resp.status, resp.text(), "checking bucket", "s3://" + settings_.bucket + " at " + settings_.endpoint);
}

Result<std::vector<std::string>> S3Backend::ListMultipartUploads(std::string_view key) {
  std::string full = FullKey(key);
  Request req;
  req.method = "GET";
  req.query["uploads"] = "";
  req.query["prefix"] = full;
  SUMMIT_ASSIGN_OR_RETURN(Response resp, Perform(req));
  if (resp.status != 200)
    return ClassifyS3Error(resp.status, resp.text(), "listing multipart uploads of", ObjectName(full));
  std::vector<std::string> ids;
  for (std::string_view u : XmlElements(resp.text(), "Upload")) {
    if (XmlText(u, "Key") != full) continue;
    if (auto id = XmlText(u, "UploadId")) ids.push_back(*id);
  }
  return ids;
}

}  // namespace summit::storage::s3
