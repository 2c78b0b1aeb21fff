// Export of a logical capture to standard PostgreSQL formats, for the day someone must restore
// with stock tools (`summit-dr export ID --component=postgres --format=plain|custom`).
//   plain:  one SQL script for psql: schema.pre.sql, COPY ... FROM stdin blocks in foreign-key
//           order, setval() for sequences, large objects (lo_create/lo_put), schema.post.sql.
//   custom: the capture is restored into a scratch database on a given server and pg_dump -Fc
//           writes the archive (pg_restore reads it); the scratch database is dropped after.
//
// Thread-safety: reentrant.
#pragma once

#include <string>

#include "core/result.h"
#include "io/stream.h"
#include "sources/postgres/settings.h"

namespace summit::sources::postgres {

enum class ExportFormat { kPlain, kCustom };

struct ExportOptions {
  ExportFormat format = ExportFormat::kPlain;
  // kCustom only: a server to restore into (a scratch database is created and dropped there).
  Settings scratch;
  std::string pg_dump = "pg_dump";
  int jobs = 2;
};

// Writes the export into `out` and closes it. Fails with kInvalidInput for a capture that is not
// a postgres logical capture or kCustom without a scratch server; kUnavailable from the server.
Status Export(CaptureSource& in, const ExportOptions& options, ByteSink& out);

}  // namespace summit::sources::postgres
