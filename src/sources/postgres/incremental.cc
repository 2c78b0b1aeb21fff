#include "sources/postgres/incremental.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

namespace summit::sources::postgres {
namespace {

// Reads a ByteSource line by line. A returned view stays valid until the next call.
class LineReader {
 public:
  explicit LineReader(ByteSource& source) : source_(source) {}

  // The next line without its '\n'; nullopt at the end of the stream.
  Result<std::optional<std::string_view>> Next() {
    for (;;) {
      size_t nl = buf_.find('\n', pos_);
      if (nl != std::string::npos) {
        std::string_view line(buf_.data() + pos_, nl - pos_);
        pos_ = nl + 1;
        return std::optional<std::string_view>(line);
      }
      if (eof_) {
        if (pos_ >= buf_.size()) return std::optional<std::string_view>();
        std::string_view line(buf_.data() + pos_, buf_.size() - pos_);
        pos_ = buf_.size();
        return std::optional<std::string_view>(line);
      }
      buf_.erase(0, pos_);
      pos_ = 0;
      size_t have = buf_.size();
      buf_.resize(have + kReadBytes);
      auto n = source_.Read(std::span<uint8_t>(reinterpret_cast<uint8_t*>(buf_.data() + have), kReadBytes));
      if (!n) return Fail(std::move(n).error());
      buf_.resize(have + *n);
      eof_ = *n == 0;
    }
  }

 private:
  static constexpr size_t kReadBytes = 256 << 10;
  ByteSource& source_;
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
};

// The key of a COPY text row: its key fields' text, in key order, joined by tabs (the shape
// of a key-list line). Fields never contain a raw tab: COPY escapes it.
bool ExtractKey(std::string_view row, const std::vector<size_t>& positions, std::string& key) {
  key.clear();
  thread_local std::vector<std::string_view> fields;
  fields.clear();
  size_t wanted = positions.empty() ? 0 : *std::max_element(positions.begin(), positions.end()) + 1;
  size_t start = 0;
  while (fields.size() < wanted) {
    size_t tab = row.find('\t', start);
    if (tab == std::string_view::npos) {
      fields.push_back(row.substr(start));
      break;
    }
    fields.push_back(row.substr(start, tab - start));
    start = tab + 1;
  }
  if (fields.size() < wanted) return false;
  for (size_t i = 0; i < positions.size(); ++i) {
    if (i > 0) key.push_back('\t');
    key.append(fields[positions[i]]);
  }
  return true;
}

// Lets the delta map be searched with a key-list line's view, without a string per key.
struct KeyHash {
  using is_transparent = void;
  size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
};

class MergedTableSource final : public ByteSource {
 public:
  MergedTableSource(std::string what, std::vector<size_t> key_positions, std::unique_ptr<ByteSource> keys,
                    std::unique_ptr<ByteSource> base)
      : what_(std::move(what)),
        key_positions_(std::move(key_positions)),
        keys_(std::move(keys)),
        base_(std::move(base)),
        key_lines_(*keys_),
        base_lines_(*base_) {}

  Status LoadDelta(ByteSource& delta) {
    LineReader lines(delta);
    std::string key;
    for (;;) {
      SUMMIT_ASSIGN_OR_RETURN(auto line, lines.Next());
      if (!line) break;
      if (!ExtractKey(*line, key_positions_, key))
        return Fail(ErrorCode::kCorruption, what_ + ": a delta row has fewer fields than its primary key needs");
      if (!delta_.emplace(key, std::string(*line)).second)
        return Fail(ErrorCode::kCorruption, what_ + ": key " + Printable(key) + " appears twice in the delta");
    }
    return Ok();
  }

  Result<size_t> Read(std::span<uint8_t> buf) override {
    // Drop what was handed out, so that out_ holds at most one buffer and one row.
    out_.erase(0, out_pos_);
    out_pos_ = 0;
    while (out_.size() < buf.size() && !done_) SUMMIT_TRY(NextRow());
    size_t n = std::min(buf.size(), out_.size());
    std::copy_n(out_.data(), n, buf.data());
    out_pos_ = n;
    return n;
  }

 private:
  static std::string Printable(std::string_view key) {
    std::string out;
    for (char c : key) out += c == '\t' ? std::string(", ") : std::string(1, c);
    return "(" + out + ")";
  }

  // Appends the row of the next key to out_, or sets done_ at the end of the key list.
  Status NextRow() {
    SUMMIT_ASSIGN_OR_RETURN(auto key, key_lines_.Next());
    if (!key) {
      done_ = true;
      if (delta_used_ != delta_.size())
        return Fail(ErrorCode::kCorruption, what_ + ": " + std::to_string(delta_.size() - delta_used_) +
                                                " delta row(s) have keys that are not in the key list",
                    "the capture is damaged: run `summit-dr check --read-data`");
      return Ok();
    }
    if (auto it = delta_.find(*key); it != delta_.end()) {
      out_.append(it->second).push_back('\n');
      ++delta_used_;
      return Ok();
    }
    std::string base_key;
    for (;;) {
      SUMMIT_ASSIGN_OR_RETURN(auto row, base_lines_.Next());
      if (!row)
        return Fail(ErrorCode::kCorruption,
                    what_ + ": key " + Printable(*key) + " is in the key list but in neither the delta nor the base",
                    "the base snapshot does not hold what this snapshot was taken against: restore a full "
                    "snapshot, and run `summit-dr check --read-data`");
      if (!ExtractKey(*row, key_positions_, base_key))
        return Fail(ErrorCode::kCorruption, what_ + ": a base row has fewer fields than its primary key needs");
      if (base_key == *key) {
        out_.append(*row).push_back('\n');
        return Ok();
      }
      // A base row whose key is not wanted here was deleted, or updated (its new version is in
      // the delta): skip it.
    }
  }

  std::string what_;
  std::vector<size_t> key_positions_;
  std::unique_ptr<ByteSource> keys_;
  std::unique_ptr<ByteSource> base_;
  LineReader key_lines_;
  LineReader base_lines_;
  std::unordered_map<std::string, std::string, KeyHash, std::equal_to<>> delta_;
  size_t delta_used_ = 0;
  std::string out_;
  size_t out_pos_ = 0;
  bool done_ = false;
};

// One delta table of a capture, as recorded in its `tables` attribute.
struct DeltaTable {
  std::string table;
  std::string stream;       // the name the materialized stream is read under
  std::string base;         // snapshot id
  std::string base_stream;  // the table's stream in the base's (materialized) capture
  std::vector<size_t> key_positions;
};

Result<DeltaTable> DeltaTableFromJson(const nlohmann::json& t, const std::string& snapshot_id) {
  DeltaTable d;
  d.table = t.value("table", "");
  d.stream = t.value("stream", "");
  d.base = t.value("base", "");
  d.base_stream = t.value("base_stream", "");
  auto columns = t.value("columns", std::vector<std::string>{});
  for (const auto& k : t.value("primary_key", std::vector<std::string>{})) {
    auto it = std::find(columns.begin(), columns.end(), k);
    if (it == columns.end()) break;
    d.key_positions.push_back(static_cast<size_t>(it - columns.begin()));
  }
  if (d.stream.empty() || d.base.empty() || d.base_stream.empty() || d.key_positions.empty())
    return Fail(ErrorCode::kCorruption, "snapshot " + snapshot_id + ", table " + d.table +
                                            ": the delta entry lacks its stream, base, base stream or key columns");
  return d;
}

class MaterializedCapture final : public CaptureSource {
 public:
  MaterializedCapture(std::unique_ptr<CaptureSource> raw, std::string snapshot_id)
      : raw_(std::move(raw)), snapshot_id_(std::move(snapshot_id)), attributes_(raw_->Attributes()) {}

  Status Init(const BaseCaptureOpener& open_base) {
    nlohmann::json& tables = attributes_["tables"];
    for (auto& t : tables) {
      if (t.value("mode", "full") != "delta") continue;
      SUMMIT_ASSIGN_OR_RETURN(DeltaTable d, DeltaTableFromJson(t, snapshot_id_));
      for (const char* suffix : {kDeltaSuffix, kKeysSuffix})
        if (!raw_->HasStream(d.stream + suffix))
          return Fail(ErrorCode::kCorruption, "snapshot " + snapshot_id_ + ", table " + d.table + ": stream " +
                                                  d.stream + suffix + " is missing");
      if (!bases_.count(d.base)) {
        auto base = open_base(d.base);
        if (!base)
          return Fail(std::move(base).error().Context("snapshot " + snapshot_id_ + " is incremental on snapshot " +
                                                      d.base + ", which cannot be read"));
        bases_.emplace(d.base, std::move(*base));
      }
      if (!bases_.at(d.base)->HasStream(d.base_stream))
        return Fail(ErrorCode::kCorruption, "snapshot " + snapshot_id_ + ", table " + d.table + ": its base " + d.base +
                                                " has no stream " + d.base_stream);
      // What consumers see: a full capture's entry.
      for (const char* k : {"mode", "base", "base_stream", "delta_rows", "delta_bytes", "keys_bytes"}) t.erase(k);
      deltas_.emplace(d.stream, std::move(d));
    }
    return Ok();
  }

  std::vector<std::string> ListStreams() const override {
    std::set<std::string> tables;  // stream names of every table
    for (const auto& t : attributes_.value("tables", nlohmann::json::array())) tables.insert(t.value("stream", ""));
    std::set<std::string> out;
    for (auto& s : raw_->ListStreams()) {
      bool hidden = false;
      for (const char* suffix : {kDeltaSuffix, kKeysSuffix}) {
        if (s.ends_with(suffix) && tables.count(s.substr(0, s.size() - std::string_view(suffix).size()))) hidden = true;
      }
      if (!hidden) out.insert(std::move(s));
    }
    for (const auto& [stream, d] : deltas_) out.insert(stream);
    return {out.begin(), out.end()};
  }

  Result<std::unique_ptr<ByteSource>> OpenStream(std::string_view name) override {
    auto it = deltas_.find(std::string(name));
    if (it == deltas_.end()) return raw_->OpenStream(name);
    const DeltaTable& d = it->second;
    SUMMIT_ASSIGN_OR_RETURN(auto keys, raw_->OpenStream(d.stream + kKeysSuffix));
    SUMMIT_ASSIGN_OR_RETURN(auto delta, raw_->OpenStream(d.stream + kDeltaSuffix));
    SUMMIT_ASSIGN_OR_RETURN(auto base, bases_.at(d.base)->OpenStream(d.base_stream));
    return MergeTableStream("snapshot " + snapshot_id_ + ", table " + d.table + " (base " + d.base + ")",
                            d.key_positions, std::move(keys), std::move(delta), std::move(base));
  }

  // For a delta table: an estimate (the base's size plus the delta's), for plans and progress.
  Result<uint64_t> StreamSize(std::string_view name) const override {
    auto it = deltas_.find(std::string(name));
    if (it == deltas_.end()) return raw_->StreamSize(name);
    const DeltaTable& d = it->second;
    SUMMIT_ASSIGN_OR_RETURN(uint64_t base, bases_.at(d.base)->StreamSize(d.base_stream));
    SUMMIT_ASSIGN_OR_RETURN(uint64_t delta, raw_->StreamSize(d.stream + kDeltaSuffix));
    return base + delta;
  }

  nlohmann::json Attributes() const override { return attributes_; }

 private:
  std::unique_ptr<CaptureSource> raw_;
  std::string snapshot_id_;
  nlohmann::json attributes_;
  std::map<std::string, DeltaTable> deltas_;  // by materialized stream name; immutable after Init
  // Bases are opened in Init and only read afterwards; CaptureSource::OpenStream is thread-safe.
  std::map<std::string, std::unique_ptr<CaptureSource>> bases_;
};

}  // namespace

Result<std::unique_ptr<ByteSource>> MergeTableStream(std::string what, std::vector<size_t> key_positions,
                                                     std::unique_ptr<ByteSource> keys,
                                                     std::unique_ptr<ByteSource> delta,
                                                     std::unique_ptr<ByteSource> base) {
  if (key_positions.empty()) return Fail(ErrorCode::kInternal, what + ": a delta table needs a primary key");
  auto merged = std::make_unique<MergedTableSource>(std::move(what), std::move(key_positions), std::move(keys),
                                                    std::move(base));
  SUMMIT_TRY(merged->LoadDelta(*delta));
  return std::unique_ptr<ByteSource>(std::move(merged));
}

bool HasDeltaTables(const nlohmann::json& attributes) { return !DeltaBases(attributes).empty(); }

std::vector<std::string> DeltaBases(const nlohmann::json& attributes) {
  std::set<std::string> out;
  if (!attributes.is_object()) return {};
  for (const auto& t : attributes.value("tables", nlohmann::json::array()))
    if (t.value("mode", "full") == "delta") out.insert(t.value("base", ""));
  return {out.begin(), out.end()};
}

Result<std::unique_ptr<CaptureSource>> MaterializeCapture(std::unique_ptr<CaptureSource> raw,
                                                          const std::string& snapshot_id,
                                                          const BaseCaptureOpener& open_base) {
  if (!HasDeltaTables(raw->Attributes())) return raw;
  auto m = std::make_unique<MaterializedCapture>(std::move(raw), snapshot_id);
  SUMMIT_TRY(m->Init(open_base));
  return std::unique_ptr<CaptureSource>(std::move(m));
}

}  // namespace summit::sources::postgres
