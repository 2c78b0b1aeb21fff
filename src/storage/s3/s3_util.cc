#include "storage/s3/s3_util.h"

#include <openssl/evp.h>

#include <charconv>
#include <cstdio>

namespace summit::storage::s3 {

std::string UriEncode(std::string_view in, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size() * 3 / 2);
  for (unsigned char c : in) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string CanonicalQuery(const std::map<std::string, std::string>& params) {
  // std::map orders keys bytewise, which is the order SigV4 wants for the encoded names as
  // long as names are unreserved characters (ours are: "list-type", "uploadId", ...).
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out.push_back('&');
    out += UriEncode(k, false);
    out.push_back('=');
    out += UriEncode(v, false);
  }
  return out;
}

namespace {

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

std::string XmlUnescape(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    if (in[i] != '&') {
      out.push_back(in[i++]);
      continue;
    }
    size_t semi = in.find(';', i);
    if (semi == std::string_view::npos || semi - i > 12) {
      out.push_back(in[i++]);
      continue;
    }
    std::string_view ent = in.substr(i + 1, semi - i - 1);
    bool done = true;
    if (ent == "amp") out.push_back('&');
    else if (ent == "lt") out.push_back('<');
    else if (ent == "gt") out.push_back('>');
    else if (ent == "quot") out.push_back('"');
    else if (ent == "apos") out.push_back('\'');
    else if (ent.size() >= 2 && ent[0] == '#') {
      bool hex = ent[1] == 'x' || ent[1] == 'X';
      std::string_view digits = ent.substr(hex ? 2 : 1);
      uint32_t cp = 0;
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
      if (ec == std::errc() && p == digits.data() + digits.size() && !digits.empty() && cp <= 0x10FFFF) {
        AppendUtf8(out, cp);
      } else {
        done = false;
      }
    } else {
      done = false;
    }
    if (done) {
      i = semi + 1;
    } else {
      out.push_back(in[i++]);
    }
  }
  return out;
}

std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view tag) {
  std::vector<std::string_view> out;
  std::string open = "<" + std::string(tag);
  std::string close = "</" + std::string(tag) + ">";
  size_t pos = 0;
  while (true) {
    size_t start = xml.find(open, pos);
    if (start == std::string_view::npos) break;
    size_t after = start + open.size();
    if (after >= xml.size()) break;
    char next = xml[after];
    if (next != '>' && next != ' ' && next != '/' && next != '\t' && next != '\n' && next != '\r') {
      pos = after;  // a longer tag name, e.g. <KeyCount> when looking for <Key>
      continue;
    }
    size_t gt = xml.find('>', after);
    if (gt == std::string_view::npos) break;
    if (xml[gt - 1] == '/') {  // <tag/>
      out.push_back(xml.substr(gt + 1, 0));
      pos = gt + 1;
      continue;
    }
    size_t end = xml.find(close, gt + 1);
    if (end == std::string_view::npos) break;
    out.push_back(xml.substr(gt + 1, end - gt - 1));
    pos = end + close.size();
  }
  return out;
}

std::optional<std::string> XmlText(std::string_view xml, std::string_view tag) {
  auto all = XmlElements(xml, tag);
  if (all.empty()) return std::nullopt;
  return XmlUnescape(all.front());
}

std::string ObjectUrl(std::string_view scheme, std::string_view authority, std::string_view bucket,
                      std::string_view full_key, std::string_view query, bool path_style) {
  std::string url = std::string(scheme) + "://";
  if (path_style) {
    url += std::string(authority) + "/" + std::string(bucket);
    if (!full_key.empty()) url += "/" + UriEncode(full_key, true);
  } else {
    url += std::string(bucket) + "." + std::string(authority) + "/" + UriEncode(full_key, true);
  }
  if (!query.empty()) url += "?" + std::string(query);
  return url;
}

Status ValidateS3Key(std::string_view key) {
  auto bad = [&](const char* why) {
    return Fail(ErrorCode::kInvalidInput, "object key '" + std::string(key) + "' " + why);
  };
  if (key.empty()) return bad("is empty");
  if (key.find('\0') != std::string_view::npos) return bad("contains a NUL byte");
  size_t start = 0;
  while (true) {
    size_t end = key.find('/', start);
    std::string_view seg = key.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (seg.empty()) return bad("has an empty segment");
    if (seg == "." || seg == "..") return bad("has a '.' or '..' segment");
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return Ok();
}

std::string Md5Base64(ByteView data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
  unsigned char b64[64];
  int n = EVP_EncodeBlock(b64, md, static_cast<int>(len));
  return std::string(reinterpret_cast<char*>(b64), static_cast<size_t>(n));
}

std::string Sha256Hex(ByteView data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return HexEncode(ByteView(md, len));
}

Error ClassifyS3Error(long http_status, std::string_view body, std::string_view operation,
                      std::string_view object) {
  std::string code = XmlText(body, "Code").value_or("");
  std::string message = XmlText(body, "Message").value_or("");
  std::string what = std::string(operation) + " " + std::string(object) + ": HTTP " +
                     std::to_string(http_status) + (code.empty() ? "" : " " + code) +
                     (message.empty() ? "" : " (" + message + ")");
  if (code == "NoSuchBucket") {
    return Error(ErrorCode::kNotFound, what,
                 "create the bucket, or check the bucket name and endpoint in the repository url");
  }
  if (code == "EntityTooLarge" || code == "QuotaExceeded" || code == "XMinioStorageFull") {
    return Error(ErrorCode::kNoSpace, what, "free space on the object store or raise its quota");
  }
  if (code == "SlowDown" || code == "RequestTimeout" || code == "InternalError" ||
      code == "ServiceUnavailable" || http_status == 429 || http_status >= 500) {
    return Error(ErrorCode::kTransient, what);
  }
  if (code == "BadDigest" || code == "InvalidDigest" || code == "XAmzContentSHA256Mismatch" ||
      code == "IncompleteBody") {
    return Error(ErrorCode::kCorruption, what + ": the server received other bytes than were sent",
                 "retry; if it persists, check proxies between this host and the endpoint");
  }
  if (code == "AuthorizationHeaderMalformed" || code == "PermanentRedirect" ||
      http_status == 301) {
    return Error(ErrorCode::kPermission, what,
                 "the bucket lives in another region: set region= in the repository url to the "
                 "bucket's region");
  }
  if (code == "RequestTimeTooSkewed") {
    return Error(ErrorCode::kPermission, what, "the clock of this host is off: synchronise it (NTP)");
  }
  if (http_status == 403 || http_status == 401) {
    return Error(ErrorCode::kPermission, what,
                 "check the access key and secret key, the region, and that the credentials "
                 "may access this bucket");
  }
  if (http_status == 404) {
    return Error(ErrorCode::kNotFound, what);
  }
  if (http_status == 416) {
    return Error(ErrorCode::kInvalidInput, what);
  }
  return Error(ErrorCode::kInvalidInput, what);
}

}  // namespace summit::storage::s3
