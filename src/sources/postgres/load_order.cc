#include "sources/postgres/load_order.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "io/stream.h"

namespace summit::sources::postgres {
std::optional<LoadOrderPlan> ChooseLoadOrder(const TableInfo& table, const std::vector<const DumpEntry*>& entries) {
  if (table.primary_key.empty()) return std::nullopt;
  std::optional<LoadOrderPlan> best;
  size_t best_keys = 0;
  for (const DumpEntry* e : entries) {
    if (e->sql.find("CLUSTER ON") != std::string::npos) return std::nullopt;
    auto d = ParseIndexEntry(*e);
    if (!d) continue;
    if (d->method == "brin") return std::nullopt;
    if (d->method != "btree" || d->partial || d->keys.empty()) continue;
    const auto& keys = d->keys;
    if (keys[0].column == table.primary_key[0]) continue;
    auto col = std::find(table.columns.begin(), table.columns.end(), keys[0].column);
    if (col == table.columns.end()) continue;
    // The other keys: the primary key's first columns, all in one direction.
    if (keys.size() - 1 > table.primary_key.size()) continue;
    const bool desc = keys.size() > 1 && keys[1].desc;
    bool fits = true;
    for (size_t i = 1; i < keys.size(); ++i) fits = fits && keys[i].column == table.primary_key[i - 1] && keys[i].desc == desc;
    if (!fits) continue;
    if (best && (keys.size() < best_keys || (keys.size() == best_keys && d->name >= best->index))) continue;
    best = LoadOrderPlan{d->name, static_cast<size_t>(col - table.columns.begin()), keys[0].desc, keys[0].nulls_first, desc};
    best_keys = keys.size();
  }
  return best;
}

RowStager::RowStager(Options options) : options_(std::move(options)) {}

RowStager::~RowStager() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<size_t> RowStager::Group(std::string_view key) {
  auto it = index_.find(key);
  if (it != index_.end()) return it->second;
  if (groups_.size() >= options_.max_groups) return std::nullopt;
  groups_.push_back({std::string(key), {}});
  index_.emplace(std::string(key), groups_.size() - 1);
  return groups_.size() - 1;
}

std::string RowStager::SpillDir(const Options& options) { return TempDirectory(options.spill_dir); }

bool RowStager::HasRoomFor(uint64_t bytes, const Options& options) {
  struct statvfs v {};
  if (::statvfs(SpillDir(options).c_str(), &v) != 0) return true;
  const uint64_t total = static_cast<uint64_t>(v.f_blocks) * v.f_frsize;
  const uint64_t avail = static_cast<uint64_t>(v.f_bavail) * v.f_frsize;
  const uint64_t margin = std::min<uint64_t>(uint64_t{1} << 30, total / 10);
  return avail >= margin && avail - margin >= bytes;
}

Status RowStager::Spill(Block& b) {
  const std::string dir = SpillDir(options_);
  if (fd_ < 0) {
    // An unlinked file: it goes away with the process, however the restore ends.
    SUMMIT_ASSIGN_OR_RETURN_CTX(fd_, OpenUnlinkedTempFile(dir), "holding rows back");
  }
  size_t done = 0;
  while (done < b.data.size()) {
    ssize_t n = ::pwrite(fd_, b.data.data() + done, b.data.size() - done, file_end_ + static_cast<int64_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Fail(ErrnoError("writing rows held back to a temporary file in", dir, n < 0 ? errno : ENOSPC));
    done += static_cast<size_t>(n);
  }
  b.file_offset = file_end_;
  file_end_ += static_cast<int64_t>(b.data.size());
  spilled_ += b.data.size();
  in_memory_ -= b.data.size();
  std::string().swap(b.data);
  return Ok();
}

Status RowStager::Add(size_t group, std::string_view row) {
  auto& blocks = groups_[group].blocks;
  Block* b = blocks.empty() ? nullptr : &blocks.back();
  if (b == nullptr || b->file_offset >= 0 || (b->size > 0 && b->size + row.size() > options_.block_bytes)) {
    // The group's block is full: it goes to the file when memory is over budget.
    if (b != nullptr && b->file_offset < 0 && in_memory_ > options_.memory_bytes) SUMMIT_TRY(Spill(*b));
    blocks.emplace_back();
    b = &blocks.back();
    b->data.reserve(std::max(options_.block_bytes, row.size()));
  }
  b->data.append(row);
  b->size += row.size();
  b->row_ends.push_back(static_cast<uint32_t>(b->size));
  in_memory_ += row.size();
  ++rows_;
  bytes_ += row.size();
  return Ok();
}

Status RowStager::Emit(const std::vector<size_t>& order, bool reverse, const std::function<Status(std::string_view)>& out) {
  std::vector<bool> seen(groups_.size());
  for (size_t g : order) {
    if (g >= groups_.size() || seen[g]) return Fail(ErrorCode::kInternal, "row groups to emit are not a permutation");
    seen[g] = true;
  }
  if (order.size() != groups_.size()) return Fail(ErrorCode::kInternal, "row groups to emit are not a permutation");
  constexpr size_t kBatch = 1u << 20;
  std::string from_file, batch;
  auto emit_block = [&](Block& b) -> Status {
    std::string_view data = b.data;
    if (b.file_offset >= 0) {
      from_file.resize(b.size);
      size_t done = 0;
      while (done < b.size) {
        ssize_t n = ::pread(fd_, from_file.data() + done, b.size - done, b.file_offset + static_cast<int64_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Fail(ErrnoError("reading back rows held in a temporary file in", SpillDir(options_), errno));
        if (n == 0) return Fail(ErrorCode::kCorruption, "the temporary file of rows held back is shorter than written");
        done += static_cast<size_t>(n);
      }
      data = from_file;
    }
    if (!reverse) {
      if (!data.empty()) SUMMIT_TRY(out(data));
    } else {
      for (size_t r = b.row_ends.size(); r-- > 0;) {
        size_t begin = r == 0 ? 0 : b.row_ends[r - 1];
        batch.append(data.substr(begin, b.row_ends[r] - begin));
        if (batch.size() >= kBatch) {
          SUMMIT_TRY(out(batch));
          batch.clear();
        }
      }
    }
    std::string().swap(b.data);
    std::vector<uint32_t>().swap(b.row_ends);
    return Ok();
  };
  for (size_t g : order) {
    auto& blocks = groups_[g].blocks;
    if (!reverse) {
      for (auto& b : blocks) SUMMIT_TRY(emit_block(b));
    } else {
      for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) SUMMIT_TRY(emit_block(*it));
    }
  }
  if (!batch.empty()) SUMMIT_TRY(out(batch));
  groups_.clear();
  index_.clear();
  in_memory_ = 0;
  rows_ = bytes_ = spilled_ = 0;
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  file_end_ = 0;
  return Ok();
}

}  // namespace summit::sources::postgres
