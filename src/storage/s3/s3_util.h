// Pure helpers of the S3 backend: SigV4-compatible URI encoding, the minimal XML reading the
// S3 API needs (element text, entity unescaping), digests for upload integrity, and the
// classification of S3 error responses into summit ErrorCodes.
//
// No I/O; every function is pure and thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"

namespace summit::storage::s3 {

// Percent-encodes every byte except the unreserved set [A-Za-z0-9-._~] (and '/' when
// `keep_slash`), with upper-case hex, as SigV4's canonical request requires.
std::string UriEncode(std::string_view in, bool keep_slash);

// A canonical query string: keys sorted, every pair "key=value" (also for empty values),
// both sides URI-encoded. curl signs the query exactly as sent, so we send it canonical.
std::string CanonicalQuery(const std::map<std::string, std::string>& params);

// Replaces the five predefined XML entities and numeric references (&#65; &#x41;) with the
// characters they stand for (numeric ones as UTF-8). Unknown entities are kept verbatim.
std::string XmlUnescape(std::string_view in);

// The raw (still escaped) contents of every <tag>...</tag> in `xml`, in document order.
// Matches the tag name exactly (so <Key> does not match <KeyCount>); handles <tag/> as empty.
std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view tag);
// The unescaped text of the first <tag> in `xml`, or nullopt.
std::optional<std::string> XmlText(std::string_view xml, std::string_view tag);

// The URL of an object (or of the bucket when `full_key` is empty): path-style
// "scheme://authority/bucket/key" or virtual-hosted "scheme://bucket.authority/key"; the key is
// URI-encoded (slashes kept) and `query` appended as given (pass CanonicalQuery's output).
std::string ObjectUrl(std::string_view scheme, std::string_view authority, std::string_view bucket,
                      std::string_view full_key, std::string_view query, bool path_style);

// Rejects keys S3 or curl would not round-trip: empty, a leading '/', empty, "." or ".."
// segments (curl normalizes dot segments away), NUL bytes. kInvalidInput naming the key.
Status ValidateS3Key(std::string_view key);

// Digests for upload integrity.
std::string Md5Base64(ByteView data);
std::string Sha256Hex(ByteView data);

// Classifies a failed S3 response. `operation` and `object` name what was attempted ("put",
// "s3://bucket/key"); `body` is the XML error document (may be empty, e.g. for HEAD).
Error ClassifyS3Error(long http_status, std::string_view body, std::string_view operation,
                      std::string_view object);

}  // namespace summit::storage::s3
