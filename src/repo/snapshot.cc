#include "repo/snapshot.h"

#include <algorithm>
#include <set>
#include <tuple>

namespace summit::repo {

const SnapshotComponent* SnapshotManifest::FindComponent(std::string_view name) const {
  for (const auto& c : components)
    if (c.name == name) return &c;
  return nullptr;
}

Status ValidateSnapshotId(std::string_view id) {
  if (id.empty() || id.size() > 200 || id == "." || id == "..")
    return Fail(ErrorCode::kInvalidInput, "invalid snapshot id '" + std::string(id) + "'");
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-';
    if (!ok)
      return Fail(ErrorCode::kInvalidInput, "invalid character in snapshot id '" + std::string(id) + "'",
                  "snapshot ids use letters, digits, '.', '_' and '-'");
  }
  return Ok();
}

std::string EncodeManifest(const SnapshotManifest& m) {
  nlohmann::json comps = nlohmann::json::array();
  for (const auto& c : m.components) {
    nlohmann::json streams = nlohmann::json::array();
    for (const auto& s : c.streams) {
      nlohmann::json chunks = nlohmann::json::array();
      for (const auto& id : s.chunks) chunks.push_back(IdHex(id));
      nlohmann::json stream = {{"name", s.name},
                               {"size", s.size},
                               {"stored_size", s.stored_size},
                               {"sha256", IdHex(s.sha256)},
                               {"chunks", std::move(chunks)}};
      if (s.xxh3_128) stream["xxh3_128"] = codec::Xxh128Hex(*s.xxh3_128);
      streams.push_back(std::move(stream));
    }
    comps.push_back({{"name", c.name}, {"attributes", c.attributes}, {"streams", std::move(streams)}});
  }
  nlohmann::json j = {{"version", m.version},     {"id", m.id},
                      {"set", m.set},             {"tenant", m.tenant},
                      {"project", m.project},     {"host", m.host},
                      {"started", m.started},     {"finished", m.finished},
                      {"duration_seconds", m.duration_seconds},
                      {"tool_version", m.tool_version}, {"repository_id", m.repository_id},
                      {"new_bytes", m.new_bytes}, {"labels", m.labels},
                      {"components", std::move(comps)}};
  if (!m.bases.empty()) j["bases"] = m.bases;  // absent in manifests without dependencies
  return j.dump();
}

Result<SnapshotManifest> ParseManifest(ByteView json) {
  nlohmann::json j = nlohmann::json::parse(AsString(json), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Fail(ErrorCode::kCorruption, "snapshot manifest is not a JSON object");
  try {
    SnapshotManifest m;
    m.version = j.at("version").get<int>();
    if (m.version != 1)
      return Fail(ErrorCode::kUnsupported, "snapshot format version " + std::to_string(m.version) + " is not supported");
    m.id = j.at("id").get<std::string>();
    m.set = j.value("set", "");
    m.tenant = j.value("tenant", "");
    m.project = j.value("project", "");
    m.host = j.value("host", "");
    m.started = j.value("started", "");
    m.finished = j.value("finished", "");
    m.duration_seconds = j.value("duration_seconds", 0.0);
    m.tool_version = j.value("tool_version", "");
    m.repository_id = j.value("repository_id", "");
    m.new_bytes = j.value("new_bytes", uint64_t{0});
    m.labels = j.value("labels", nlohmann::json::object());
    m.bases = j.value("bases", std::vector<std::string>{});
    for (const auto& b : m.bases)
      if (!ValidateSnapshotId(b).has_value()) return Fail(ErrorCode::kCorruption, "snapshot manifest names a malformed base id");
    for (const auto& cj : j.at("components")) {
      SnapshotComponent c;
      c.name = cj.at("name").get<std::string>();
      c.attributes = cj.value("attributes", nlohmann::json::object());
      for (const auto& sj : cj.at("streams")) {
        SnapshotStream s;
        s.name = sj.at("name").get<std::string>();
        s.size = sj.at("size").get<uint64_t>();
        s.stored_size = sj.value("stored_size", uint64_t{0});
        auto sha = ParseId(sj.at("sha256").get<std::string>());
        if (!sha) return Fail(ErrorCode::kCorruption, "stream " + s.name + " has a malformed sha256");
        s.sha256 = *sha;
        if (sj.contains("xxh3_128")) {
          s.xxh3_128 = codec::ParseXxh128(sj.at("xxh3_128").get<std::string>());
          if (!s.xxh3_128) return Fail(ErrorCode::kCorruption, "stream " + s.name + " has a malformed xxh3_128");
        }
        const auto& chunks = sj.at("chunks");
        if (!chunks.is_array()) return Fail(ErrorCode::kCorruption, "stream " + s.name + " chunks is not a list");
        s.chunks.reserve(chunks.size());
        for (const auto& h : chunks) {
          auto id = ParseId(h.get<std::string>());
          if (!id) return Fail(ErrorCode::kCorruption, "stream " + s.name + " lists a malformed chunk id");
          s.chunks.push_back(*id);
        }
        c.streams.push_back(std::move(s));
      }
      m.components.push_back(std::move(c));
    }
    return m;
  } catch (const nlohmann::json::exception& e) {
    return Fail(ErrorCode::kCorruption, std::string("malformed snapshot manifest: ") + e.what());
  }
}

nlohmann::json MetadataJson(const SnapshotManifest& m) {
  nlohmann::json comps = nlohmann::json::object();
  uint64_t total = 0, total_stored = 0;
  for (const auto& c : m.components) {
    nlohmann::json streams = nlohmann::json::object();
    uint64_t size = 0, stored = 0;
    for (const auto& s : c.streams) {
      streams[s.name] = {{"size", s.size},
                         {"stored_size", s.stored_size},
                         {"sha256", IdHex(s.sha256)},
                         {"chunk_count", s.chunks.size()}};
      if (s.xxh3_128) streams[s.name]["xxh3_128"] = codec::Xxh128Hex(*s.xxh3_128);
      size += s.size;
      stored += s.stored_size;
    }
    comps[c.name] = {{"attributes", c.attributes},
                     {"size", size},
                     {"stored_size", stored},
                     {"stream_count", c.streams.size()},
                     {"streams", std::move(streams)}};
    total += size;
    total_stored += stored;
  }
  return {{"id", m.id},
          {"set", m.set},
          {"tenant", m.tenant.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.tenant)},
          {"project", m.project.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.project)},
          {"host", m.host},
          {"started", m.started},
          {"finished", m.finished},
          {"duration_seconds", m.duration_seconds},
          {"tool_version", m.tool_version},
          {"repository_id", m.repository_id},
          {"format", "summit-dr repository v1"},
          {"size", total},
          {"stored_size", total_stored},
          {"new_bytes", m.new_bytes},
          {"labels", m.labels},
          {"bases", m.bases},
          {"components", std::move(comps)}};
}

// ---------------------------------------------------------------------------------------------
// SnapshotWriter

class SnapshotWriter::StreamSink final : public ByteSink {
 public:
  StreamSink(SnapshotWriter* owner, SnapshotComponent* component, std::string name,
             std::unique_ptr<StreamWriter> writer)
      : owner_(owner), component_(component), name_(std::move(name)), writer_(std::move(writer)) {}
  ~StreamSink() override {
    if (!closed_) {
      std::lock_guard lock(owner_->mu_);
      --owner_->open_streams_;
    }
  }
  Status Write(ByteView data) override {
    return writer_->Write(data);
  }
  Status Close() override {
    if (closed_) return Fail(ErrorCode::kInternal, "stream " + name_ + " closed twice");
    Status st = writer_->Close();
    std::lock_guard lock(owner_->mu_);
    closed_ = true;
    --owner_->open_streams_;
    if (!st) return Fail(st.error().Context("storing stream " + component_->name + "/" + name_));
    const StreamSummary& s = writer_->summary();
    owner_->manifest_.new_bytes += s.new_bytes;
    SnapshotStream entry{name_, s.size, s.stored_size, s.sha256, s.chunks, s.xxh3_128};
    auto& streams = component_->streams;
    auto pos = std::lower_bound(streams.begin(), streams.end(), name_,
                                [](const SnapshotStream& a, const std::string& n) { return a.name < n; });
    streams.insert(pos, std::move(entry));
    return Ok();
  }

 private:
  SnapshotWriter* owner_;
  SnapshotComponent* component_;
  std::string name_;
  std::unique_ptr<StreamWriter> writer_;
  bool closed_ = false;
};

class SnapshotWriter::ComponentSink final : public CaptureSink {
 public:
  ComponentSink(SnapshotWriter* owner, SnapshotComponent* component) : owner_(owner), component_(component) {}
  Result<std::unique_ptr<ByteSink>> OpenStream(std::string_view name) override {
    SUMMIT_TRY(ValidateStreamName(name));
    std::lock_guard lock(owner_->mu_);
    if (owner_->finished_) return Fail(ErrorCode::kInternal, "snapshot " + owner_->manifest_.id + " is finished");
    if (!names_.insert(std::string(name)).second)
      return Fail(ErrorCode::kAlreadyExists, "stream " + component_->name + "/" + std::string(name) +
                                                 " was already written in this snapshot");
    ++owner_->open_streams_;
    return std::unique_ptr<ByteSink>(
        new StreamSink(owner_, component_, std::string(name), owner_->repo_.NewStream()));
  }
  void SetAttribute(std::string_view key, nlohmann::json value) override {
    std::lock_guard lock(owner_->mu_);
    component_->attributes[std::string(key)] = std::move(value);
  }

 private:
  SnapshotWriter* owner_;
  SnapshotComponent* component_;
  std::set<std::string> names_;
};

SnapshotWriter::SnapshotWriter(Repository& repo, SnapshotInfo info, const Clock& clock)
    : repo_(repo), clock_(clock), started_(clock.Now()) {
  manifest_.id = std::move(info.id);
  manifest_.set = std::move(info.set);
  manifest_.tenant = std::move(info.tenant);
  manifest_.project = std::move(info.project);
  manifest_.host = std::move(info.host);
  manifest_.tool_version = std::move(info.tool_version);
  manifest_.labels = std::move(info.labels);
  manifest_.repository_id = repo.config().id;
  manifest_.started = FormatRfc3339(started_);
  // Components live in a list whose elements must not move: reserve generously and refuse
  // beyond (a snapshot has a handful of components).
  manifest_.components.reserve(64);
}

SnapshotWriter::~SnapshotWriter() = default;

Result<std::unique_ptr<SnapshotWriter>> SnapshotWriter::Begin(Repository& repo, SnapshotInfo info,
                                                              const Clock& clock) {
  SUMMIT_TRY(ValidateSnapshotId(info.id));
  auto st = repo.backend().Stat(SnapshotKey(info.id));
  if (st.has_value())
    return Fail(ErrorCode::kAlreadyExists, "snapshot " + info.id + " already exists",
                "snapshot ids carry a timestamp; wait a second or pick another id");
  if (st.error().code() != ErrorCode::kNotFound) return Fail(st.error().Context("checking snapshot " + info.id));
  return std::unique_ptr<SnapshotWriter>(new SnapshotWriter(repo, std::move(info), clock));
}

Result<CaptureSink*> SnapshotWriter::Component(std::string_view name) {
  if (name.empty() || name.find('/') != std::string_view::npos || ValidateSnapshotId(name).has_value() == false)
    return Fail(ErrorCode::kInvalidInput, "invalid component name '" + std::string(name) + "'");
  std::lock_guard lock(mu_);
  if (finished_) return Fail(ErrorCode::kInternal, "snapshot " + manifest_.id + " is finished");
  auto it = components_.find(name);
  if (it != components_.end()) return static_cast<CaptureSink*>(it->second.get());
  if (manifest_.components.size() == manifest_.components.capacity())
    return Fail(ErrorCode::kInvalidInput, "too many components in snapshot " + manifest_.id);
  manifest_.components.push_back(SnapshotComponent{std::string(name), nlohmann::json::object(), {}});
  auto sink = std::make_unique<ComponentSink>(this, &manifest_.components.back());
  CaptureSink* out = sink.get();
  components_.emplace(std::string(name), std::move(sink));
  return out;
}

void SnapshotWriter::AddBase(const std::string& id) {
  std::lock_guard lock(mu_);
  auto pos = std::lower_bound(manifest_.bases.begin(), manifest_.bases.end(), id);
  if (pos == manifest_.bases.end() || *pos != id) manifest_.bases.insert(pos, id);
}

Result<nlohmann::json> SnapshotWriter::Finish() {
  {
    std::lock_guard lock(mu_);
    if (finished_) return Fail(ErrorCode::kInternal, "snapshot " + manifest_.id + " finished twice");
    if (open_streams_ != 0)
      return Fail(ErrorCode::kInternal, std::to_string(open_streams_) + " stream(s) of snapshot " + manifest_.id +
                                            " are still open");
    finished_ = true;
  }
  // "Write order and invariants" 2-3: packs and index files first...
  SUMMIT_TRY_CTX(repo_.Flush(), "finishing snapshot " + manifest_.id);
  TimePoint finished = clock_.Now();
  manifest_.finished = FormatRfc3339(finished);
  manifest_.duration_seconds = std::chrono::duration<double>(finished - started_).count();
  SnapshotManifest m = manifest_;
  std::sort(m.components.begin(), m.components.end(),
            [](const SnapshotComponent& a, const SnapshotComponent& b) { return a.name < b.name; });
  // ... then the manifest, last: only now does the snapshot exist.
  std::string text = EncodeManifest(m);
  SUMMIT_TRY_CTX(repo_.PutSealed(SnapshotKey(m.id), AsBytes(text), kAadSnapshot), "writing snapshot " + m.id);
  return MetadataJson(m);
}

// ---------------------------------------------------------------------------------------------
// SnapshotReader

namespace {

class ComponentSource final : public CaptureSource {
 public:
  ComponentSource(Repository& repo, const SnapshotComponent& c) : repo_(repo), c_(c) {}
  std::vector<std::string> ListStreams() const override {
    std::vector<std::string> out;
    for (const auto& s : c_.streams) out.push_back(s.name);
    std::sort(out.begin(), out.end());
    return out;
  }
  Result<std::unique_ptr<ByteSource>> OpenStream(std::string_view name) override {
    const SnapshotStream* s = Find(name);
    if (!s) return Fail(ErrorCode::kNotFound, "component " + c_.name + " has no stream " + std::string(name));
    // "Integrity": the XXH3-128 when the manifest records one (each blob is authenticated by
    // GCM under its id and the chunk list by the sealed manifest), else the SHA-256.
    if (s->xxh3_128) return repo_.OpenStream(s->chunks, StreamCheck{std::nullopt, s->xxh3_128});
    return repo_.OpenStream(s->chunks, StreamCheck{s->sha256, std::nullopt});
  }
  Result<uint64_t> StreamSize(std::string_view name) const override {
    const SnapshotStream* s = Find(name);
    if (!s) return Fail(ErrorCode::kNotFound, "component " + c_.name + " has no stream " + std::string(name));
    return s->size;
  }
  nlohmann::json Attributes() const override { return c_.attributes; }

 private:
  const SnapshotStream* Find(std::string_view name) const {
    for (const auto& s : c_.streams)
      if (s.name == name) return &s;
    return nullptr;
  }
  Repository& repo_;
  SnapshotComponent c_;
};

}  // namespace

Result<SnapshotManifest> LoadManifest(Repository& repo, std::string_view id) {
  SUMMIT_TRY(ValidateSnapshotId(id));
  auto plain = repo.GetSealed(SnapshotKey(id), kAadSnapshot);
  if (!plain.has_value()) {
    if (plain.error().code() == ErrorCode::kNotFound)
      return Fail(Error(ErrorCode::kNotFound, "snapshot " + std::string(id) + " does not exist in " +
                                                  repo.backend().Describe(),
                        "list snapshots with `summit-dr list`"));
    return Fail(plain.error().Context("reading snapshot " + std::string(id)));
  }
  SUMMIT_ASSIGN_OR_RETURN_CTX(SnapshotManifest m, ParseManifest(*plain), "parsing snapshot " + std::string(id));
  if (m.id != id) return Fail(ErrorCode::kCorruption, "snapshot object " + std::string(id) + " holds snapshot " + m.id);
  return m;
}

Result<std::unique_ptr<SnapshotReader>> SnapshotReader::Open(Repository& repo, std::string_view id) {
  SUMMIT_ASSIGN_OR_RETURN(SnapshotManifest m, LoadManifest(repo, id));
  return std::unique_ptr<SnapshotReader>(new SnapshotReader(repo, std::move(m)));
}

std::vector<std::string> SnapshotReader::Components() const {
  std::vector<std::string> out;
  for (const auto& c : manifest_.components) out.push_back(c.name);
  return out;
}

Result<std::unique_ptr<CaptureSource>> SnapshotReader::Component(std::string_view name) {
  const SnapshotComponent* c = manifest_.FindComponent(name);
  if (!c)
    return Fail(ErrorCode::kNotFound, "snapshot " + manifest_.id + " has no component " + std::string(name));
  return std::unique_ptr<CaptureSource>(new ComponentSource(repo_, *c));
}

Result<std::vector<SnapshotManifest>> ListSnapshots(Repository& repo) {
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto objects, repo.backend().List(kSnapshotsPrefix), "listing snapshots");
  std::vector<SnapshotManifest> out;
  for (const auto& o : objects) {
    std::string id = o.key.substr(kSnapshotsPrefix.size());
    auto m = LoadManifest(repo, id);
    if (!m.has_value()) {
      if (m.error().code() == ErrorCode::kNotFound) continue;  // deleted concurrently
      return Fail(m.error());
    }
    out.push_back(std::move(*m));
  }
  std::sort(out.begin(), out.end(), [](const SnapshotManifest& a, const SnapshotManifest& b) {
    return std::tie(a.started, a.id) < std::tie(b.started, b.id);
  });
  return out;
}

}  // namespace summit::repo
