// The order a restore sends a table's rows in, chosen for its most expensive index build.
//
// A backup streams each table in primary-key order. Restored in that order, the heap is in
// primary-key order, and a btree index that leads with another column -- the platform's
// (tenant_id, time) indexes -- is built from randomly ordered input: PostgreSQL sorts it in full,
// and with a low-cardinality text column first most comparisons fall through to the second
// column (6.9 s for 3 M rows here, against 1.1 s for the primary key). Sent grouped by that
// leading column instead -- the groups in the index's order of their values, each group in
// stream order (or reversed, for a DESC index) -- the rows arrive already in the index's order,
// PostgreSQL's sort sees presorted input and checks it in one pass (1.6 s), and the primary key's
// build pays a little more (1.1 s -> 1.5 s).
//
// Only the physical order of the heap changes, never its contents: a row's place in a heap is
// not part of a table's value (pg_restore, too, writes rows in whatever order the dump has). It
// does change what ANALYZE reports as the columns' correlation, so tables that say they care
// about physical order are left in stream order: a BRIN index (it relies on correlation) or a
// CLUSTER ON mark.
//
// Thread-safety: ChooseLoadOrder is pure; a RowStager is used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "sources/postgres/catalog.h"
#include "sources/postgres/sql_script.h"

namespace summit::sources::postgres {

struct LoadOrderPlan {
  std::string index;        // the index whose build the order serves
  size_t column = 0;        // position in the table's COPY columns of the grouping column
  bool column_desc = false;  // groups in descending order of the column's values
  bool nulls_first = false;  // the group of NULLs goes first
  bool reverse_rows = false;  // within a group, rows in reverse stream order
};

// The order for `table` (streamed in primary-key order) given the post-data entries on it
// (INDEX entries, and any entry whose SQL carries CLUSTER ON): a btree index, not partial, on
// plain columns, whose first key is not the primary key's first column and whose other keys
// are a prefix of the primary key, all ascending (rows in stream order) or all descending
// (rows reversed). Among several, the one with the most keys, then the first by name. None
// when the table has no primary key, a BRIN index, or is clustered.
std::optional<LoadOrderPlan> ChooseLoadOrder(const TableInfo& table, const std::vector<const DumpEntry*>& entries);

// Holds a table's rows back, grouped by a key, so that they can be sent group by group. Keeps
// up to `memory_bytes` in memory and writes the rest to an unlinked temporary file in
// `spill_dir` (nothing is left behind, whatever happens). At most `max_groups` keys.
class RowStager {
 public:
  struct Options {
    size_t memory_bytes = 16u << 20;
    size_t block_bytes = 256u << 10;
    size_t max_groups = 256;
    std::string spill_dir;  // "" = $TMPDIR, else /tmp
  };
  explicit RowStager(Options options);

  // The directory rows go to beyond memory: `spill_dir`, else $TMPDIR, else /tmp.
  static std::string SpillDir(const Options& options);
  // Whether that directory's file system has `bytes` free plus a margin of 1 GiB (or 10 % of it,
  // if less) for everything else; true when it cannot be asked (the write then says).
  static bool HasRoomFor(uint64_t bytes, const Options& options);
  ~RowStager();
  RowStager(const RowStager&) = delete;
  RowStager& operator=(const RowStager&) = delete;

  // The group of `key`, created if new; nullopt when max_groups groups exist already.
  std::optional<size_t> Group(std::string_view key);
  // Appends one row to a group. Fails (kNoSpace, kPermission or kUnavailable, naming the spill file's directory) when the spill
  // file cannot be written; the rows added before are all still there to Emit.
  Status Add(size_t group, std::string_view row);

  size_t groups() const { return groups_.size(); }
  const std::string& key(size_t group) const { return groups_[group].key; }
  uint64_t rows() const { return rows_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t spilled_bytes() const { return spilled_; }

  // Passes every row to `out` (in batches of whole rows): the groups in `order` (every group
  // exactly once), each group's rows in the order added, or reversed. Then the stager is empty.
  Status Emit(const std::vector<size_t>& order, bool reverse, const std::function<Status(std::string_view)>& out);

 private:
  struct Block {
    std::string data;                // the rows, while in memory
    std::vector<uint32_t> row_ends;  // end offset of each row in the block
    uint64_t size = 0;
    int64_t file_offset = -1;        // >= 0: spilled there, `data` released
  };
  struct RowGroup {
    std::string key;
    std::vector<Block> blocks;
  };
  Status Spill(Block& b);

  Options options_;
  std::vector<RowGroup> groups_;
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view k) const { return std::hash<std::string_view>{}(k); }
  };
  std::unordered_map<std::string, size_t, KeyHash, std::equal_to<>> index_;  // looked up without a copy
  size_t in_memory_ = 0;
  uint64_t rows_ = 0, bytes_ = 0, spilled_ = 0;
  int fd_ = -1;
  int64_t file_end_ = 0;
};

}  // namespace summit::sources::postgres
