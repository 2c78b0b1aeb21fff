// Row-level incremental PostgreSQL captures (docs/incremental.md): reading them back.
//
// An incremental capture stores, for a table captured in "delta" mode (see backup.h), two
// streams instead of the table's COPY text:
//   <stream>.delta   the rows whose xmin is not older than the base snapshot's xmin horizon,
//                    COPY text, ordered by primary key
//   <stream>.keys    the primary key of every row of the table, COPY text, same order
// and its `tables` entry says {"mode": "delta", "base": <snapshot id>, "base_stream": <stream
// of the table in the base>}. The table's full stream is materialized on the fly by walking
// the key list: a key in the delta emits the delta row; any other key emits the base's row
// with that key, skipping base rows whose key is not wanted any more (deleted or updated). The
// base is read through the same presentation, so chains of incremental captures work.
// Keys are compared as the COPY text of their fields only (no collation): base, delta and key
// list are all ordered by the same ORDER BY, so a key missing from both the delta and the rest
// of the base means the chain is damaged, and is a hard error naming snapshot, table and key.
//
// MaterializeCapture presents a whole capture as if it were full: every consumer (restore,
// export, transforms, plans) reads postgres captures through it.
//
// Thread-safety: a materialized capture is safe for concurrent OpenStream calls (parallel
// restore workers); each returned ByteSource is used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "io/stream.h"

namespace summit::sources::postgres {

// Suffixes of the two streams of a delta table.
inline constexpr const char* kDeltaSuffix = ".delta";
inline constexpr const char* kKeysSuffix = ".keys";

// Merges one table. `key_positions` are the indices of the primary key columns in a row, in
// key order (the order of the fields of a key-list line). `what` names the snapshot and table
// in errors ("snapshot X, table public.users"). The delta is read completely before the first
// Read (its size is bounded by max_delta_fraction at backup). Read fails with kCorruption when
// a key is in neither the delta nor the base, or a delta row's key is not in the key list.
Result<std::unique_ptr<ByteSource>> MergeTableStream(std::string what, std::vector<size_t> key_positions,
                                                     std::unique_ptr<ByteSource> keys,
                                                     std::unique_ptr<ByteSource> delta,
                                                     std::unique_ptr<ByteSource> base);

// Opens the *materialized* postgres capture of another snapshot (a base).
using BaseCaptureOpener = std::function<Result<std::unique_ptr<CaptureSource>>(const std::string& snapshot_id)>;

// True when some table of the capture attributes is stored as a delta.
bool HasDeltaTables(const nlohmann::json& attributes);

// The snapshot ids the capture's delta tables read from (sorted, unique).
std::vector<std::string> DeltaBases(const nlohmann::json& attributes);

// Presents `raw` (the capture of snapshot `snapshot_id` as stored) as a full capture: the
// streams of delta tables appear under their table's stream name, the .delta/.keys streams
// are hidden, and the `tables` entries look like a full capture's. Bases are opened here,
// recursively, so a missing base fails now (kNotFound, naming this snapshot and the base),
// not in the middle of a restore. A capture without delta tables is returned as it is.
Result<std::unique_ptr<CaptureSource>> MaterializeCapture(std::unique_ptr<CaptureSource> raw,
                                                          const std::string& snapshot_id,
                                                          const BaseCaptureOpener& open_base);

}  // namespace summit::sources::postgres
