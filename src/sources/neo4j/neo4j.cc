#include "sources/neo4j/neo4j.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <unordered_map>

#include "core/log.h"
#include "sources/neo4j/bolt/connection.h"
#include "sources/neo4j/graph_json.h"

namespace summit::sources::neo4j {

using bolt::Connection;
using bolt::List;
using bolt::Map;
using bolt::Value;
using json = nlohmann::json;

namespace {

constexpr const char* kNodesStream = "nodes.jsonl";
constexpr const char* kRelsStream = "relationships.jsonl";
constexpr const char* kSchemaStream = "schema.cypher";
constexpr const char* kTempLabel = "__SummitRestore";
constexpr const char* kTempProperty = "__summit_id";
constexpr const char* kTempIndex = "summit_restore_tmp";
constexpr size_t kFlushBytes = 1 << 20;

Result<std::unique_ptr<Connection>> Connect(const Settings& s) {
  bolt::ConnectOptions o;
  o.uri = s.uri;
  o.user = s.user;
  o.password = s.password;
  o.connect_timeout = s.connect_timeout;
  o.io_timeout = s.io_timeout;
  return Connection::Open(o);
}

// Backtick-quotes a label, type or property key for Cypher.
std::string Quote(std::string_view name) {
  std::string q = "`";
  for (char c : name) {
    q += c;
    if (c == '`') q += '`';
  }
  return q + "`";
}

std::string JoinLabels(std::vector<std::string> labels) {
  std::sort(labels.begin(), labels.end());
  std::string s;
  for (const auto& l : labels) s += (s.empty() ? "" : ":") + l;
  return s;
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// The node predicate of a filter, over variable `v`, adding its parameters to `params`.
std::string NodePredicate(const Filter& f, const std::string& v, Map& params) {
  std::vector<std::string> parts;
  if (f.tenant) {
    params["tenant"] = *f.tenant;
    parts.push_back(v + ".tenant_id = $tenant");
  }
  if (f.project) {
    params["project"] = *f.project;
    parts.push_back("(" + v + ".investigation_id = $project OR (" + v + ":Investigation AND " + v + ".uid = $project))");
  }
  if (!f.labels.empty()) {
    List l;
    for (const auto& x : f.labels) l.push_back(Value(x));
    params["labels"] = Value(std::move(l));
    parts.push_back("any(l IN labels(" + v + ") WHERE l IN $labels)");
  }
  std::string p;
  for (const auto& x : parts) p += (p.empty() ? "" : " AND ") + x;
  return p;
}

struct Queries {
  std::string nodes, rels;
  Map params;
};

Queries ExportQueries(const Filter& f) {
  Queries q;
  std::string pa = NodePredicate(f, "a", q.params);
  std::string pb = NodePredicate(f, "b", q.params);
  std::string pn = NodePredicate(f, "n", q.params);
  q.nodes = pn.empty() ? "MATCH (n) RETURN n" : "MATCH (n) WHERE " + pn + " RETURN n";
  std::string rp;
  if (!pa.empty()) rp = pa + " AND " + pb;
  if (!f.relationship_types.empty()) {
    List l;
    for (const auto& x : f.relationship_types) l.push_back(Value(x));
    q.params["types"] = Value(std::move(l));
    rp += (rp.empty() ? "" : " AND ") + std::string("type(r) IN $types");
  }
  q.rels = rp.empty() ? "MATCH ()-[r]->() RETURN r" : "MATCH (a)-[r]->(b) WHERE " + rp + " RETURN r";
  return q;
}

// --- positions ---------------------------------------------------------------------------

struct Position {
  std::string source;  // "lastCommittedTxn" or "transaction-sequence"
  int64_t value = 0;
  int64_t open_transactions = 0;  // other transactions open on the database (sequence mode)
};

Result<Position> ReadPosition(Connection& c, const std::string& database) {
  Map p;
  p["db"] = database;
  auto rows = c.Query("SHOW DATABASES YIELD name, lastCommittedTxn WHERE name = $db RETURN lastCommittedTxn", p,
                      "system");
  if (!rows) return Fail(std::move(rows).error().Context("reading the position of neo4j database " + database));
  if (rows->empty()) {
    return Fail(ErrorCode::kNotFound, "neo4j database '" + database + "' does not exist at " + c.uri(),
                "check the database name (SHOW DATABASES)");
  }
  if ((*rows)[0].size() == 1 && (*rows)[0][0].Is<int64_t>()) {
    return Position{"lastCommittedTxn", (*rows)[0][0].As<int64_t>(), 0};
  }
  // Community edition: the kernel transaction sequence (see neo4j.h).
  const std::string q = "SHOW TRANSACTIONS YIELD transactionId, database, currentQuery RETURN transactionId, database, currentQuery /*summit-position*/";
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto tx, c.Query(q, {}, database), "reading the transaction sequence of " + database);
  Position pos{"transaction-sequence", -1, 0};
  for (const auto& row : tx) {
    if (row.size() != 3 || !row[0].Is<std::string>() || !row[1].Is<std::string>()) continue;
    if (row[1].As<std::string>() != database) continue;
    const std::string& id = row[0].As<std::string>();
    auto dash = id.rfind('-');
    int64_t n = dash == std::string::npos ? -1 : std::strtoll(id.c_str() + dash + 1, nullptr, 10);
    if (row[2].Is<std::string>() && row[2].As<std::string>() == q) {
      pos.value = n;
    } else {
      ++pos.open_transactions;
    }
  }
  if (pos.value < 0) {
    return Fail(ErrorCode::kUnsupported, "cannot read a transaction position of neo4j database " + database +
                                             " at " + c.uri(),
                "the server offers neither SHOW DATABASES lastCommittedTxn nor SHOW TRANSACTIONS");
  }
  return pos;
}

// --- spooling ------------------------------------------------------------------------------

// An unlinked temporary file: an export attempt is written here and copied into the capture
// only once it is kept, because a capture's streams cannot be rewritten.
class SpoolFile {
 public:
  static Result<SpoolFile> Open(const std::string& dir) {
    auto fd = OpenUnlinkedTempFile(dir);
    if (!fd) {
      return Fail(Error(fd.error().code(), "spooling the neo4j export: " + fd.error().message(),
                        "set TMPDIR (or the neo4j spool_dir) to a writable directory with room for the export"));
    }
    SpoolFile f;
    f.file_ = ::fdopen(*fd, "w+");
    if (f.file_ == nullptr) {
      ::close(*fd);
      return Fail(ErrorCode::kInternal, std::string("cannot open the neo4j spool file: ") + std::strerror(errno));
    }
    return f;
  }
  SpoolFile() = default;
  SpoolFile(SpoolFile&& o) noexcept : file_(std::exchange(o.file_, nullptr)), size_(o.size_) {}
  SpoolFile& operator=(SpoolFile&& o) noexcept {
    std::swap(file_, o.file_);
    std::swap(size_, o.size_);
    return *this;
  }
  ~SpoolFile() {
    if (file_ != nullptr) std::fclose(file_);
  }
  Status Write(std::string_view s) {
    if (std::fwrite(s.data(), 1, s.size(), file_) != s.size()) {
      return Fail(ErrorCode::kNoSpace, std::string("writing the neo4j spool file: ") + std::strerror(errno),
                  "free space in TMPDIR or set the neo4j spool_dir");
    }
    size_ += s.size();
    return Ok();
  }
  // Copies the whole file into a new capture stream.
  Status CopyTo(CaptureSink& out, const std::string& name) {
    SUMMIT_ASSIGN_OR_RETURN(auto sink, out.OpenStream(name));
    std::fflush(file_);
    std::rewind(file_);
    std::vector<uint8_t> buf(1 << 20);
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), file_)) > 0) {
      SUMMIT_TRY(sink->Write(ByteView(buf.data(), n)));
    }
    if (std::ferror(file_)) return Fail(ErrorCode::kInternal, "reading back the neo4j spool file failed");
    return sink->Close();
  }
  uint64_t size() const { return size_; }

 private:
  FILE* file_ = nullptr;
  uint64_t size_ = 0;
};

// Buffers lines and hands them to a writer in large pieces.
class LineBuffer {
 public:
  explicit LineBuffer(SpoolFile& f) : f_(f) {}
  Status Add(std::string_view line) {
    buf_ += line;
    if (buf_.size() >= kFlushBytes) return Flush();
    return Ok();
  }
  Status Flush() {
    Status st = f_.Write(buf_);
    buf_.clear();
    return st;
  }

 private:
  SpoolFile& f_;
  std::string buf_;
};

struct Attempt {
  SpoolFile nodes, rels;
  uint64_t node_count = 0, rel_count = 0;
};

Result<std::string> NodeLine(const bolt::Node& n) {
  SUMMIT_ASSIGN_OR_RETURN_CTX(json props, PropertiesToJson(n.properties), "node " + std::to_string(n.id));
  json labels = n.labels;
  return "{\"id\":" + std::to_string(n.id) + ",\"labels\":" + Dump(labels) + ",\"props\":" + Dump(props) + "}\n";
}

Result<std::string> RelLine(const bolt::Relationship& r) {
  SUMMIT_ASSIGN_OR_RETURN_CTX(json props, PropertiesToJson(r.properties), "relationship " + std::to_string(r.id));
  return "{\"id\":" + std::to_string(r.id) + ",\"type\":" + Dump(json(r.type)) + ",\"start\":" +
         std::to_string(r.start) + ",\"end\":" + std::to_string(r.end) + ",\"props\":" + Dump(props) + "}\n";
}

Status ExportOnce(Connection& c, const Settings& s, const BackupOptions& o, Attempt& a) {
  Queries q = ExportQueries(o.filter);
  SUMMIT_TRY(c.Begin(s.database, /*read_only=*/true));
  {
    LineBuffer lb(a.nodes);
    SUMMIT_TRY_CTX(c.Run(q.nodes, q.params), "exporting nodes");
    SUMMIT_TRY_CTX(c.Pull(
                       [&](List& rec) -> Status {
                         if (rec.size() != 1 || !rec[0].Is<bolt::Node>()) {
                           return Fail(ErrorCode::kCorruption, "node export returned a record that is not a node");
                         }
                         SUMMIT_ASSIGN_OR_RETURN(std::string line, NodeLine(rec[0].As<bolt::Node>()));
                         ++a.node_count;
                         return lb.Add(line);
                       },
                       o.fetch_size),
                   "exporting nodes");
    SUMMIT_TRY(lb.Flush());
  }
  {
    LineBuffer lb(a.rels);
    SUMMIT_TRY_CTX(c.Run(q.rels, q.params), "exporting relationships");
    SUMMIT_TRY_CTX(c.Pull(
                       [&](List& rec) -> Status {
                         if (rec.size() != 1 || !rec[0].Is<bolt::Relationship>()) {
                           return Fail(ErrorCode::kCorruption,
                                       "relationship export returned a record that is not a relationship");
                         }
                         SUMMIT_ASSIGN_OR_RETURN(std::string line, RelLine(rec[0].As<bolt::Relationship>()));
                         ++a.rel_count;
                         return lb.Add(line);
                       },
                       o.fetch_size),
                   "exporting relationships");
    SUMMIT_TRY(lb.Flush());
  }
  return c.Commit();
}

// Recreatable statements from SHOW CONSTRAINTS / SHOW INDEXES.
Result<std::vector<std::string>> ReadSchema(Connection& c, const std::string& db) {
  std::vector<std::string> out;
  SUMMIT_ASSIGN_OR_RETURN(auto cons, c.Query("SHOW CONSTRAINTS YIELD name, createStatement RETURN name, createStatement ORDER BY name", {}, db));
  for (const auto& row : cons) {
    if (row.size() == 2 && row[1].Is<std::string>()) out.push_back(row[1].As<std::string>());
  }
  SUMMIT_ASSIGN_OR_RETURN(auto idx, c.Query("SHOW INDEXES YIELD name, type, owningConstraint, createStatement "
                                            "WHERE type <> 'LOOKUP' AND owningConstraint IS NULL "
                                            "RETURN name, createStatement ORDER BY name",
                                            {}, db));
  for (const auto& row : idx) {
    if (row.size() == 2 && row[1].Is<std::string>()) out.push_back(row[1].As<std::string>());
  }
  return out;
}

// "CREATE CONSTRAINT `x` FOR ..." -> "CREATE CONSTRAINT `x` IF NOT EXISTS FOR ...".
std::string IfNotExists(const std::string& stmt) {
  if (stmt.find(" IF NOT EXISTS ") != std::string::npos) return stmt;
  size_t close = std::string::npos;
  if (auto open = stmt.find('`'); open != std::string::npos) {
    close = open + 1;
    for (; close < stmt.size(); ++close) {
      if (stmt[close] == '`') {
        if (close + 1 < stmt.size() && stmt[close + 1] == '`') {
          ++close;
          continue;
        }
        break;
      }
    }
  }
  if (close == std::string::npos || close >= stmt.size()) return stmt;
  return stmt.substr(0, close + 1) + " IF NOT EXISTS" + stmt.substr(close + 1);
}

// --- reading captures ------------------------------------------------------------------

class LineReader {
 public:
  explicit LineReader(std::unique_ptr<ByteSource> src) : src_(std::move(src)), buf_(1 << 20) {}
  // False at the end.
  Result<bool> Next(std::string& line) {
    line.clear();
    for (;;) {
      if (pos_ == len_) {
        SUMMIT_ASSIGN_OR_RETURN(size_t n, src_->Read(std::span<uint8_t>(buf_.data(), buf_.size())));
        if (n == 0) return !line.empty();
        pos_ = 0;
        len_ = n;
      }
      const char* start = reinterpret_cast<const char*>(buf_.data()) + pos_;
      const void* nl = std::memchr(start, '\n', len_ - pos_);
      if (nl == nullptr) {
        line.append(start, len_ - pos_);
        pos_ = len_;
        continue;
      }
      size_t k = static_cast<const char*>(nl) - start;
      line.append(start, k);
      pos_ += k + 1;
      return true;
    }
  }

 private:
  std::unique_ptr<ByteSource> src_;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0, len_ = 0;
};

Result<json> ParseLine(const std::string& line, const char* stream, uint64_t lineno) {
  try {
    json j = json::parse(line);
    if (!j.is_object()) throw std::runtime_error("not an object");
    return j;
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kCorruption,
                std::string("neo4j capture: ") + stream + " line " + std::to_string(lineno) + ": " + e.what(),
                "the capture is damaged; run summit-dr check");
  }
}

Result<transform::GraphNode> NodeFromJson(const json& j, uint64_t lineno) {
  transform::GraphNode n;
  try {
    n.id = j.at("id").get<int64_t>();
    n.labels = j.at("labels").get<std::vector<std::string>>();
    n.properties = j.at("props");
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kCorruption, "neo4j capture: nodes.jsonl line " + std::to_string(lineno) + ": " + e.what());
  }
  return n;
}

Result<transform::GraphRelationship> RelFromJson(const json& j, uint64_t lineno) {
  transform::GraphRelationship r;
  try {
    r.id = j.at("id").get<int64_t>();
    r.type = j.at("type").get<std::string>();
    r.start = j.at("start").get<int64_t>();
    r.end = j.at("end").get<int64_t>();
    r.properties = j.at("props");
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kCorruption,
                "neo4j capture: relationships.jsonl line " + std::to_string(lineno) + ": " + e.what());
  }
  return r;
}

// Runs a write query in its own auto-commit transaction and returns its records.
Result<std::vector<List>> Write(Connection& c, const std::string& db, const std::string& q, const Map& p = {}) {
  return c.Query(q, p, db);
}

// Repeats a batched write query ("... RETURN count(*)") until it affects no more rows.
Result<uint64_t> Drain(Connection& c, const std::string& db, const std::string& q, const Map& p = {}) {
  uint64_t total = 0;
  for (;;) {
    SUMMIT_ASSIGN_OR_RETURN(auto rows, Write(c, db, q, p));
    int64_t n = rows.empty() || rows[0].empty() || !rows[0][0].Is<int64_t>() ? 0 : rows[0][0].As<int64_t>();
    if (n <= 0) return total;
    total += static_cast<uint64_t>(n);
  }
}

std::string TenantOf(const json& props) {
  auto it = props.find("tenant_id");
  return it != props.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// --- fingerprint -----------------------------------------------------------------------------

using Digest = std::array<uint8_t, 32>;

Digest Sha256(std::string_view s) {
  Digest d{};
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), d.data(), &n, EVP_sha256(), nullptr);
  return d;
}

// Order-independent accumulation: lane-wise sums (mod 2^64) of the items' digests.
struct Accumulator {
  std::array<uint64_t, 4> nodes{}, rels{};
  GraphFingerprint fp;
  std::unordered_map<int64_t, Digest> node_digest;

  static void Add(std::array<uint64_t, 4>& acc, const Digest& d) {
    for (int i = 0; i < 4; ++i) {
      uint64_t v;
      std::memcpy(&v, d.data() + 8 * i, 8);
      acc[i] += v;
    }
  }
  void Node(int64_t id, const std::vector<std::string>& labels, const json& props) {
    std::string key = JoinLabels(labels);
    Digest d = Sha256("N\n" + key + "\n" + CanonicalDump(props));
    node_digest[id] = d;
    Add(nodes, d);
    ++fp.nodes;
    ++fp.nodes_by_labels[key];
  }
  Status Rel(const std::string& type, int64_t start, int64_t end, const json& props) {
    auto a = node_digest.find(start), b = node_digest.find(end);
    if (a == node_digest.end() || b == node_digest.end()) {
      return Fail(ErrorCode::kCorruption, "relationship of type " + type + " points to a node outside the graph");
    }
    Digest d = Sha256("R\n" + type + "\n" + HexEncode(a->second) + HexEncode(b->second) + "\n" + CanonicalDump(props));
    Add(rels, d);
    ++fp.relationships;
    ++fp.relationships_by_type[type];
    return Ok();
  }
  GraphFingerprint Finish() {
    std::string all = "summit-neo4j-fingerprint-v1\n" + std::to_string(fp.nodes) + "\n" +
                      std::to_string(fp.relationships) + "\n";
    for (uint64_t v : nodes) all += std::to_string(v) + ",";
    for (uint64_t v : rels) all += std::to_string(v) + ",";
    fp.content_hash = HexEncode(Sha256(all));
    return fp;
  }
};

// --- Cypher literals ------------------------------------------------------------------------

std::string CypherString(std::string_view s) {
  std::string o = "'";
  for (unsigned char c : s) {
    switch (c) {
      case '\\': o += "\\\\"; break;
      case '\'': o += "\\'"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      default:
        if (c < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          o += b;
        } else {
          o += static_cast<char>(c);
        }
    }
  }
  return o + "'";
}

std::string CypherFloat(double d) {
  if (std::isnan(d)) return "(0.0/0.0)";
  if (std::isinf(d)) return d > 0 ? "(1.0/0.0)" : "(-1.0/0.0)";
  char b[40];
  std::snprintf(b, sizeof b, "%.17g", d);
  std::string s = b;
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  if (auto e = s.find("e+"); e != std::string::npos) s.erase(e + 1, 1);
  return s;
}

Result<std::string> CypherLiteral(const Value& v) {
  return std::visit(
      [&](const auto& x) -> Result<std::string> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>) return std::string("null");
        else if constexpr (std::is_same_v<T, bool>) return std::string(x ? "true" : "false");
        else if constexpr (std::is_same_v<T, int64_t>) {
          if (x == INT64_MIN) return std::string("(-9223372036854775807 - 1)");
          return std::to_string(x);
        } else if constexpr (std::is_same_v<T, double>) return CypherFloat(x);
        else if constexpr (std::is_same_v<T, std::string>) return CypherString(x);
        else if constexpr (std::is_same_v<T, List>) {
          std::string s = "[";
          for (size_t i = 0; i < x.size(); ++i) {
            SUMMIT_ASSIGN_OR_RETURN(std::string e, CypherLiteral(x[i]));
            s += (i ? ", " : "") + e;
          }
          return s + "]";
        } else if constexpr (std::is_same_v<T, bolt::DateTimeZoneId>) {
          if (x.utc) {
            return "datetime({epochSeconds: " + std::to_string(x.seconds) + ", nanosecond: " +
                   std::to_string(x.nanoseconds) + ", timezone: " + CypherString(x.tz_id) + "})";
          }
          SUMMIT_ASSIGN_OR_RETURN(json j, ToJson(v));
          return "datetime(" + CypherString(j.begin().value().get<std::string>()) + ")";
        } else if constexpr (std::is_same_v<T, bolt::Duration>) {
          return "duration({months: " + std::to_string(x.months) + ", days: " + std::to_string(x.days) +
                 ", seconds: " + std::to_string(x.seconds) + ", nanoseconds: " + std::to_string(x.nanoseconds) + "})";
        } else if constexpr (std::is_same_v<T, bolt::Point2D>) {
          return "point({srid: " + std::to_string(x.srid) + ", x: " + CypherFloat(x.x) + ", y: " + CypherFloat(x.y) + "})";
        } else if constexpr (std::is_same_v<T, bolt::Point3D>) {
          return "point({srid: " + std::to_string(x.srid) + ", x: " + CypherFloat(x.x) + ", y: " + CypherFloat(x.y) +
                 ", z: " + CypherFloat(x.z) + "})";
        } else if constexpr (std::is_same_v<T, bolt::Date> || std::is_same_v<T, bolt::Time> ||
                             std::is_same_v<T, bolt::LocalTime> || std::is_same_v<T, bolt::LocalDateTime> ||
                             std::is_same_v<T, bolt::DateTime>) {
          SUMMIT_ASSIGN_OR_RETURN(json j, ToJson(v));
          std::string fn = j.begin().key().substr(1);  // "$date" -> "date"
          return fn + "(" + CypherString(j.begin().value().get<std::string>()) + ")";
        } else {
          return Fail(ErrorCode::kUnsupported, "no cypher literal for " + v.DebugString());
        }
      },
      v.v);
}

bool HasBytes(const Value& v) {
  if (v.Is<Bytes>()) return true;
  if (auto* l = v.If<List>()) return std::any_of(l->begin(), l->end(), HasBytes);
  return false;
}

// "{`k`: v, ...}" plus warnings for properties that cannot be written.
Result<std::string> CypherMap(const json& props, std::vector<std::string>& warnings, const std::string& extra = {}) {
  SUMMIT_ASSIGN_OR_RETURN(Map m, PropertiesFromJson(props));
  std::string s = "{" + extra;
  bool first = extra.empty();
  for (const auto& [k, v] : m) {
    if (HasBytes(v)) {
      warnings.push_back("property " + k + " is a byte array, which cypher cannot write; left out");
      continue;
    }
    SUMMIT_ASSIGN_OR_RETURN(std::string lit, CypherLiteral(v));
    s += (first ? "" : ", ") + Quote(k) + ": " + lit;
    first = false;
  }
  return s + "}";
}

}  // namespace

nlohmann::json GraphFingerprint::ToJson() const {
  return json{{"nodes", nodes},
              {"relationships", relationships},
              {"nodes_by_labels", nodes_by_labels},
              {"relationships_by_type", relationships_by_type},
              {"content_hash", content_hash}};
}

// --- Backup ------------------------------------------------------------------------------------

Result<BackupReport> Backup(const Settings& settings, const BackupOptions& options, CaptureSink& out) {
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto conn, Connect(settings), "neo4j backup");
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto probe, Connect(settings), "neo4j backup");
  SUMMIT_ASSIGN_OR_RETURN_CTX(std::vector<std::string> schema, ReadSchema(*conn, settings.database),
                              "neo4j backup: reading the schema");

  BackupReport report;
  Attempt kept;
  Position before, after;
  for (int attempt = 0; attempt <= options.snapshot_retries; ++attempt) {
    Attempt a;
    SUMMIT_ASSIGN_OR_RETURN(a.nodes, SpoolFile::Open(options.spool_dir));
    SUMMIT_ASSIGN_OR_RETURN(a.rels, SpoolFile::Open(options.spool_dir));
    SUMMIT_ASSIGN_OR_RETURN_CTX(before, ReadPosition(*probe, settings.database), "neo4j backup");
    SUMMIT_TRY_CTX(ExportOnce(*conn, settings, options, a), "neo4j backup of database " + settings.database);
    SUMMIT_ASSIGN_OR_RETURN_CTX(after, ReadPosition(*probe, settings.database), "neo4j backup");
    report.attempts = attempt + 1;
    if (before.source == "lastCommittedTxn") {
      report.drift = after.value - before.value;
    } else {
      // Expected steps of the sequence: the export's transaction and the second probe itself.
      report.drift = std::max<int64_t>(0, after.value - before.value - 2) + before.open_transactions;
    }
    kept = std::move(a);
    report.snapshot = report.drift == 0;
    if (report.snapshot) break;
    log::Warn("neo4j moved during the export; retrying",
              {{"database", settings.database}, {"drift", std::to_string(report.drift)}, {"attempt", std::to_string(attempt + 1)}});
  }

  {
    SUMMIT_ASSIGN_OR_RETURN(auto sink, out.OpenStream(kSchemaStream));
    std::string text;
    for (const auto& s : schema) text += s + ";\n";
    SUMMIT_TRY(sink->Write(text));
    SUMMIT_TRY(sink->Close());
    report.bytes += text.size();
  }
  SUMMIT_TRY_CTX(kept.nodes.CopyTo(out, kNodesStream), "neo4j backup");
  SUMMIT_TRY_CTX(kept.rels.CopyTo(out, kRelsStream), "neo4j backup");
  report.nodes = kept.node_count;
  report.relationships = kept.rel_count;
  report.bytes += kept.nodes.size() + kept.rels.size();

  out.SetAttribute("database", settings.database);
  out.SetAttribute("bolt_version", conn->version().ToString());
  out.SetAttribute("server", conn->server_agent());
  out.SetAttribute("position_source", before.source);
  out.SetAttribute("position_before", before.value);
  out.SetAttribute("position_after", after.value);
  out.SetAttribute("snapshot", report.snapshot);
  out.SetAttribute("drift", report.drift);
  out.SetAttribute("attempts", report.attempts);
  out.SetAttribute("nodes", report.nodes);
  out.SetAttribute("relationships", report.relationships);
  json filter = json::object();
  if (options.filter.tenant) filter["tenant"] = *options.filter.tenant;
  if (options.filter.project) filter["project"] = *options.filter.project;
  if (!options.filter.labels.empty()) filter["labels"] = options.filter.labels;
  if (!options.filter.relationship_types.empty()) filter["relationship_types"] = options.filter.relationship_types;
  out.SetAttribute("filter", filter);
  return report;
}

// --- Restore -----------------------------------------------------------------------------------

namespace {

struct NodeBatch {
  std::map<std::vector<std::string>, List> by_labels;
  size_t rows = 0;
};

Status FlushNodes(Connection& c, const std::string& db, NodeBatch& b) {
  for (auto& [labels, rows] : b.by_labels) {
    std::string l = ":" + std::string(kTempLabel);
    for (const auto& x : labels) l += ":" + Quote(x);
    Map p;
    p["rows"] = Value(std::move(rows));
    SUMMIT_TRY_CTX(Write(c, db, "UNWIND $rows AS r CREATE (n" + l + ") SET n = r.p, n." + kTempProperty + " = r.i", p),
                   "creating nodes labelled " + JoinLabels(labels));
  }
  b.by_labels.clear();
  b.rows = 0;
  return Ok();
}

struct RelBatch {
  std::map<std::string, List> by_type;
  size_t rows = 0;
};

Status FlushRels(Connection& c, const std::string& db, RelBatch& b) {
  for (auto& [type, rows] : b.by_type) {
    const size_t n = rows.size();
    Map p;
    p["rows"] = Value(std::move(rows));
    std::string q = std::string("UNWIND $rows AS r MATCH (a:") + kTempLabel + " {" + kTempProperty + ": r.s}) MATCH (b:" +
                    kTempLabel + " {" + kTempProperty + ": r.e}) CREATE (a)-[x:" + Quote(type) +
                    "]->(b) SET x = r.p RETURN count(x)";
    SUMMIT_ASSIGN_OR_RETURN_CTX(auto res, Write(c, db, q, p), "creating relationships of type " + type);
    int64_t made = res.empty() || res[0].empty() || !res[0][0].Is<int64_t>() ? -1 : res[0][0].As<int64_t>();
    if (made != static_cast<int64_t>(n)) {
      return Fail(ErrorCode::kInternal,
                  "created " + std::to_string(made) + " of " + std::to_string(n) + " relationships of type " + type +
                      ": endpoints missing from the restored nodes",
                  "the capture's relationships.jsonl refers to nodes its nodes.jsonl lacks; run summit-dr check");
    }
  }
  b.by_type.clear();
  b.rows = 0;
  return Ok();
}

Result<int64_t> Count(Connection& c, const std::string& db, const std::string& q, const Map& p = {}) {
  SUMMIT_ASSIGN_OR_RETURN(auto rows, c.Query(q, p, db));
  if (rows.empty() || rows[0].empty() || !rows[0][0].Is<int64_t>()) return int64_t{0};
  return rows[0][0].As<int64_t>();
}

}  // namespace

Result<RestoreReport> Restore(const Settings& target, const RestoreOptions& options, CaptureSource& in,
                              const transform::GraphTransform* transform) {
  const std::string& db = target.database;
  for (const char* s : {kNodesStream, kRelsStream}) {
    if (!in.HasStream(s)) {
      return Fail(ErrorCode::kCorruption, std::string("neo4j capture has no ") + s + " stream",
                  "the backup is incomplete; choose another backup (summit-dr list)");
    }
  }
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto conn, Connect(target), "neo4j restore");
  Connection& c = *conn;
  RestoreReport report;
  json attrs = in.Attributes();
  const std::string where = " into database " + db + " at " + target.uri;

  Map tp;
  int64_t existing = 0;
  if (options.tenant) {
    tp["tenant"] = *options.tenant;
    SUMMIT_ASSIGN_OR_RETURN_CTX(existing, Count(c, db, "MATCH (n) WHERE n.tenant_id = $tenant RETURN count(n)", tp),
                                "neo4j restore");
    report.plan.push_back("delete tenant " + *options.tenant + "'s " + std::to_string(existing) +
                          " nodes and their relationships");
  } else {
    SUMMIT_ASSIGN_OR_RETURN_CTX(existing, Count(c, db, "MATCH (n) RETURN count(n)"), "neo4j restore");
    if (existing > 0) {
      if (!options.allow_wipe) {
        return Fail(ErrorCode::kAlreadyExists,
                    "neo4j database " + db + " at " + target.uri + " is not empty (" + std::to_string(existing) +
                        " nodes); a full restore would replace it",
                    "confirm with --yes to empty it first, or restore one tenant with --set=tenant");
      }
      report.plan.push_back("empty the database (" + std::to_string(existing) + " nodes), its constraints and indexes");
    }
  }
  std::vector<std::string> schema;
  if (options.restore_schema && in.HasStream(kSchemaStream)) {
    SUMMIT_ASSIGN_OR_RETURN(auto src, in.OpenStream(kSchemaStream));
    SUMMIT_ASSIGN_OR_RETURN(std::string text, src->ReadAll());
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find(";\n", start);
      if (end == std::string::npos) end = text.size();
      if (end > start) schema.push_back(text.substr(start, end - start));
      start = end + 2;
    }
    report.plan.push_back("create " + std::to_string(schema.size()) + " constraints and indexes (if not existing)");
  }
  report.plan.push_back("create " + (attrs.contains("nodes") ? attrs["nodes"].dump() : std::string("the")) +
                        " nodes" + (options.tenant ? " of tenant " + *options.tenant : "") + " in batches of " +
                        std::to_string(options.batch_size) + (transform ? ", transformed" : ""));
  report.plan.push_back("create " + (attrs.contains("relationships") ? attrs["relationships"].dump() : std::string("the")) +
                        " relationships between restored nodes");
  report.plan.push_back("remove the temporary :" + std::string(kTempLabel) + " label, " + kTempProperty +
                        " property and index");
  if (options.dry_run) return report;
  auto t0 = std::chrono::steady_clock::now();
  auto phase = [&](const char* what) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    log::Debug("neo4j restore phase done", {{"phase", what}, {"seconds", std::to_string(secs)}});
    t0 = std::chrono::steady_clock::now();
  };

  // Leftovers of an interrupted restore would confuse the id lookup.
  SUMMIT_TRY_CTX(Drain(c, db, std::string("MATCH (n:") + kTempLabel + ") WITH n LIMIT 10000 REMOVE n:" + kTempLabel +
                                  ", n." + kTempProperty + " RETURN count(*)"),
                 "neo4j restore: clearing a previous restore's temporary ids");
  if (options.tenant) {
    SUMMIT_ASSIGN_OR_RETURN_CTX(report.nodes_deleted,
                                Drain(c, db, "MATCH (n) WHERE n.tenant_id = $tenant WITH n LIMIT 5000 DETACH DELETE n RETURN count(*)", tp),
                                "neo4j restore: deleting tenant " + *options.tenant + where);
  } else if (existing > 0) {
    SUMMIT_ASSIGN_OR_RETURN_CTX(auto cons, c.Query("SHOW CONSTRAINTS YIELD name RETURN name", {}, db), "neo4j restore");
    for (const auto& row : cons) {
      SUMMIT_TRY_CTX(Write(c, db, "DROP CONSTRAINT " + Quote(row[0].As<std::string>()) + " IF EXISTS"), "neo4j restore");
    }
    SUMMIT_ASSIGN_OR_RETURN_CTX(
        auto idx, c.Query("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name", {}, db), "neo4j restore");
    for (const auto& row : idx) {
      SUMMIT_TRY_CTX(Write(c, db, "DROP INDEX " + Quote(row[0].As<std::string>()) + " IF EXISTS"), "neo4j restore");
    }
    SUMMIT_ASSIGN_OR_RETURN_CTX(report.nodes_deleted,
                                Drain(c, db, "MATCH (n) WITH n LIMIT 5000 DETACH DELETE n RETURN count(*)"),
                                "neo4j restore: emptying database" + where);
  }
  phase("empty");
  for (const auto& s : schema) {
    SUMMIT_TRY_CTX(Write(c, db, IfNotExists(s)), "neo4j restore: schema");
    ++report.schema_statements;
  }
  SUMMIT_TRY_CTX(Write(c, db, std::string("CREATE INDEX ") + kTempIndex + " IF NOT EXISTS FOR (n:" + kTempLabel +
                                  ") ON (n." + kTempProperty + ")"),
                 "neo4j restore: temporary index");
  SUMMIT_TRY_CTX(Write(c, db, std::string("CALL db.awaitIndex('") + kTempIndex + "', 600)"), "neo4j restore");

  phase("schema");
  // Nodes.
  std::vector<int64_t> kept_ids;
  {
    SUMMIT_ASSIGN_OR_RETURN(auto src, in.OpenStream(kNodesStream));
    LineReader lr(std::move(src));
    NodeBatch batch;
    std::string line;
    uint64_t lineno = 0;
    for (;;) {
      SUMMIT_ASSIGN_OR_RETURN(bool more, lr.Next(line));
      if (!more) break;
      ++lineno;
      if (line.empty()) continue;
      SUMMIT_ASSIGN_OR_RETURN(json j, ParseLine(line, kNodesStream, lineno));
      SUMMIT_ASSIGN_OR_RETURN(transform::GraphNode n, NodeFromJson(j, lineno));
      if (options.tenant && TenantOf(n.properties) != *options.tenant) {
        ++report.nodes_dropped;
        continue;
      }
      if (transform != nullptr) {
        SUMMIT_ASSIGN_OR_RETURN_CTX(bool keep, transform->ApplyNode(n), "transforming node " + std::to_string(n.id));
        if (!keep) {
          ++report.nodes_dropped;
          continue;
        }
      }
      SUMMIT_ASSIGN_OR_RETURN_CTX(Map props, PropertiesFromJson(n.properties), "node " + std::to_string(n.id));
      kept_ids.push_back(n.id);
      Map row;
      row["i"] = n.id;
      row["p"] = Value(std::move(props));
      std::sort(n.labels.begin(), n.labels.end());
      batch.by_labels[n.labels].push_back(Value(std::move(row)));
      if (++batch.rows >= options.batch_size) SUMMIT_TRY_CTX(FlushNodes(c, db, batch), "neo4j restore" + where);
      ++report.nodes;
    }
    SUMMIT_TRY_CTX(FlushNodes(c, db, batch), "neo4j restore" + where);
  }
  phase("nodes");
  std::sort(kept_ids.begin(), kept_ids.end());
  auto kept = [&](int64_t id) { return std::binary_search(kept_ids.begin(), kept_ids.end(), id); };

  // Relationships.
  {
    SUMMIT_ASSIGN_OR_RETURN(auto src, in.OpenStream(kRelsStream));
    LineReader lr(std::move(src));
    RelBatch batch;
    std::string line;
    uint64_t lineno = 0;
    for (;;) {
      SUMMIT_ASSIGN_OR_RETURN(bool more, lr.Next(line));
      if (!more) break;
      ++lineno;
      if (line.empty()) continue;
      SUMMIT_ASSIGN_OR_RETURN(json j, ParseLine(line, kRelsStream, lineno));
      SUMMIT_ASSIGN_OR_RETURN(transform::GraphRelationship r, RelFromJson(j, lineno));
      if (!kept(r.start) || !kept(r.end)) {
        ++report.relationships_dropped;
        continue;
      }
      if (transform != nullptr) {
        SUMMIT_ASSIGN_OR_RETURN_CTX(bool keep, transform->ApplyRelationship(r),
                                    "transforming relationship " + std::to_string(r.id));
        if (!keep || !kept(r.start) || !kept(r.end)) {
          ++report.relationships_dropped;
          continue;
        }
      }
      SUMMIT_ASSIGN_OR_RETURN_CTX(Map props, PropertiesFromJson(r.properties), "relationship " + std::to_string(r.id));
      Map row;
      row["s"] = r.start;
      row["e"] = r.end;
      row["p"] = Value(std::move(props));
      batch.by_type[r.type].push_back(Value(std::move(row)));
      if (++batch.rows >= options.batch_size) SUMMIT_TRY_CTX(FlushRels(c, db, batch), "neo4j restore" + where);
      ++report.relationships;
    }
    SUMMIT_TRY_CTX(FlushRels(c, db, batch), "neo4j restore" + where);
  }
  phase("relationships");

  SUMMIT_TRY_CTX(Drain(c, db, std::string("MATCH (n:") + kTempLabel + ") WITH n LIMIT 10000 REMOVE n:" + kTempLabel +
                                  ", n." + kTempProperty + " RETURN count(*)"),
                 "neo4j restore: removing temporary ids");
  SUMMIT_TRY_CTX(Write(c, db, std::string("DROP INDEX ") + kTempIndex + " IF EXISTS"), "neo4j restore");
  phase("cleanup");
  return report;
}

// --- Export ------------------------------------------------------------------------------------

Status Export(CaptureSource& in, ExportFormat format, ByteSink& out) {
  if (format != ExportFormat::kCypher) return Fail(ErrorCode::kUnsupported, "neo4j export: unknown format");
  std::string buf;
  auto emit = [&](const std::string& s) -> Status {
    buf += s;
    if (buf.size() >= kFlushBytes) {
      SUMMIT_TRY(out.Write(buf));
      buf.clear();
    }
    return Ok();
  };
  SUMMIT_TRY(emit("// summit-dr neo4j export: run with cypher-shell into an empty database\n"));
  if (in.HasStream(kSchemaStream)) {
    SUMMIT_ASSIGN_OR_RETURN(auto src, in.OpenStream(kSchemaStream));
    SUMMIT_ASSIGN_OR_RETURN(std::string text, src->ReadAll());
    SUMMIT_TRY(emit(text));
  }
  SUMMIT_TRY(emit(std::string("CREATE INDEX ") + kTempIndex + " IF NOT EXISTS FOR (n:" + kTempLabel + ") ON (n." +
                  kTempProperty + ");\nCALL db.awaitIndex('" + kTempIndex + "', 600);\n"));
  std::vector<std::string> warnings;
  auto flush_warnings = [&](const std::string& what) -> Status {
    for (const auto& w : warnings) SUMMIT_TRY(emit("// WARNING: " + what + ": " + w + "\n"));
    warnings.clear();
    return Ok();
  };
  std::string line;
  {
    SUMMIT_ASSIGN_OR_RETURN(auto src, in.OpenStream(kNodesStream));
    LineReader lr(std::move(src));
    uint64_t lineno = 0;
    for (;;) {
      SUMMIT_ASSIGN_OR_RETURN(bool more, lr.Next(line));
      if (!more) break;
      if (line.empty()) continue;
      SUMMIT_ASSIGN_OR_RETURN(json j, ParseLine(line, kNodesStream, ++lineno));
      SUMMIT_ASSIGN_OR_RETURN(transform::GraphNode n, NodeFromJson(j, lineno));
      std::string labels = ":" + std::string(kTempLabel);
      for (const auto& l : n.labels) labels += ":" + Quote(l);
      SUMMIT_ASSIGN_OR_RETURN(std::string props,
                              CypherMap(n.properties, warnings, std::string(kTempProperty) + ": " + std::to_string(n.id)));
      SUMMIT_TRY(flush_warnings("node " + std::to_string(n.id)));
      SUMMIT_TRY(emit("CREATE (" + labels + " " + props + ");\n"));
    }
  }
  {
    SUMMIT_ASSIGN_OR_RETURN(auto src, in.OpenStream(kRelsStream));
    LineReader lr(std::move(src));
    uint64_t lineno = 0;
    for (;;) {
      SUMMIT_ASSIGN_OR_RETURN(bool more, lr.Next(line));
      if (!more) break;
      if (line.empty()) continue;
      SUMMIT_ASSIGN_OR_RETURN(json j, ParseLine(line, kRelsStream, ++lineno));
      SUMMIT_ASSIGN_OR_RETURN(transform::GraphRelationship r, RelFromJson(j, lineno));
      SUMMIT_ASSIGN_OR_RETURN(std::string props, CypherMap(r.properties, warnings));
      SUMMIT_TRY(flush_warnings("relationship " + std::to_string(r.id)));
      SUMMIT_TRY(emit(std::string("MATCH (a:") + kTempLabel + " {" + kTempProperty + ": " + std::to_string(r.start) +
                      "}), (b:" + kTempLabel + " {" + kTempProperty + ": " + std::to_string(r.end) +
                      "}) CREATE (a)-[:" + Quote(r.type) + " " + props + "]->(b);\n"));
    }
  }
  SUMMIT_TRY(emit(std::string("MATCH (n:") + kTempLabel + ") CALL { WITH n REMOVE n:" + kTempLabel + ", n." +
                  kTempProperty + " } IN TRANSACTIONS OF 10000 ROWS;\nDROP INDEX " + kTempIndex + " IF EXISTS;\n"));
  SUMMIT_TRY(out.Write(buf));
  return out.Close();
}

// --- Fingerprint -------------------------------------------------------------------------------

Result<GraphFingerprint> Fingerprint(const Settings& settings, const std::optional<std::string>& tenant) {
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto conn, Connect(settings), "neo4j fingerprint");
  Connection& c = *conn;
  Filter f;
  f.tenant = tenant;
  Queries q = ExportQueries(f);
  Accumulator acc;
  SUMMIT_TRY_CTX(c.Begin(settings.database, true), "neo4j fingerprint");
  SUMMIT_TRY_CTX(c.Run(q.nodes, q.params), "neo4j fingerprint");
  SUMMIT_TRY_CTX(c.Pull([&](List& rec) -> Status {
                   if (rec.size() != 1 || !rec[0].Is<bolt::Node>()) {
                     return Fail(ErrorCode::kCorruption, "fingerprint: a record that is not a node");
                   }
                   const auto& n = rec[0].As<bolt::Node>();
                   SUMMIT_ASSIGN_OR_RETURN(json props, PropertiesToJson(n.properties));
                   acc.Node(n.id, n.labels, props);
                   return Ok();
                 }, 10000),
                 "neo4j fingerprint");
  SUMMIT_TRY_CTX(c.Run(q.rels, q.params), "neo4j fingerprint");
  SUMMIT_TRY_CTX(c.Pull([&](List& rec) -> Status {
                   if (rec.size() != 1 || !rec[0].Is<bolt::Relationship>()) {
                     return Fail(ErrorCode::kCorruption, "fingerprint: a record that is not a relationship");
                   }
                   const auto& r = rec[0].As<bolt::Relationship>();
                   SUMMIT_ASSIGN_OR_RETURN(json props, PropertiesToJson(r.properties));
                   return acc.Rel(r.type, r.start, r.end, props);
                 }, 10000),
                 "neo4j fingerprint");
  SUMMIT_TRY_CTX(c.Commit(), "neo4j fingerprint");
  return acc.Finish();
}

Result<GraphFingerprint> FingerprintCapture(CaptureSource& in) {
  Accumulator acc;
  std::string line;
  {
    SUMMIT_ASSIGN_OR_RETURN(auto src, in.OpenStream(kNodesStream));
    LineReader lr(std::move(src));
    uint64_t lineno = 0;
    for (;;) {
      SUMMIT_ASSIGN_OR_RETURN(bool more, lr.Next(line));
      if (!more) break;
      if (line.empty()) continue;
      SUMMIT_ASSIGN_OR_RETURN(json j, ParseLine(line, kNodesStream, ++lineno));
      SUMMIT_ASSIGN_OR_RETURN(transform::GraphNode n, NodeFromJson(j, lineno));
      // Re-encode through the Value form so that the text is canonical whatever wrote the line.
      SUMMIT_ASSIGN_OR_RETURN(Map m, PropertiesFromJson(n.properties));
      SUMMIT_ASSIGN_OR_RETURN(json props, PropertiesToJson(m));
      acc.Node(n.id, n.labels, props);
    }
  }
  {
    SUMMIT_ASSIGN_OR_RETURN(auto src, in.OpenStream(kRelsStream));
    LineReader lr(std::move(src));
    uint64_t lineno = 0;
    for (;;) {
      SUMMIT_ASSIGN_OR_RETURN(bool more, lr.Next(line));
      if (!more) break;
      if (line.empty()) continue;
      SUMMIT_ASSIGN_OR_RETURN(json j, ParseLine(line, kRelsStream, ++lineno));
      SUMMIT_ASSIGN_OR_RETURN(transform::GraphRelationship r, RelFromJson(j, lineno));
      SUMMIT_ASSIGN_OR_RETURN(Map m, PropertiesFromJson(r.properties));
      SUMMIT_ASSIGN_OR_RETURN(json props, PropertiesToJson(m));
      SUMMIT_TRY(acc.Rel(r.type, r.start, r.end, props));
    }
  }
  return acc.Finish();
}

}  // namespace summit::sources::neo4j
