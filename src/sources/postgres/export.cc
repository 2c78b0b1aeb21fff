#include "sources/postgres/export.h"

#include <unistd.h>

#include "io/process.h"
#include "sources/postgres/backup.h"
#include "sources/postgres/catalog.h"
#include "sources/postgres/pg_conn.h"
#include "sources/postgres/restore.h"
#include "sources/postgres/sql_script.h"

namespace summit::sources::postgres {
namespace {

Status CopyStream(CaptureSource& in, const std::string& name, ByteSink& out, bool& ends_with_newline) {
  SUMMIT_ASSIGN_OR_RETURN(auto src, in.OpenStream(name));
  std::vector<uint8_t> buf(1 << 20);
  ends_with_newline = true;
  for (;;) {
    SUMMIT_ASSIGN_OR_RETURN(size_t n, src->Read(std::span<uint8_t>(buf.data(), buf.size())));
    if (n == 0) return Ok();
    ends_with_newline = buf[n - 1] == '\n';
    SUMMIT_TRY(out.Write(ByteView(buf.data(), n)));
  }
}

Status WriteScript(CaptureSource& in, const std::string& name, ByteSink& out) {
  SUMMIT_ASSIGN_OR_RETURN(auto src, in.OpenStream(name));
  SUMMIT_ASSIGN_OR_RETURN(std::string text, src->ReadAll());
  // \restrict guards a script against meta-commands smuggled into dumped data; our data is
  // COPY text between them, so the guard lines are removed rather than split around it.
  SUMMIT_ASSIGN_OR_RETURN(std::string clean, StripPsqlMetaCommands(text));
  return out.Write(std::string_view(clean));
}

Status ExportPlain(CaptureSource& in, ByteSink& out) {
  nlohmann::json a = in.Attributes();
  if (a.value("format", "") != kCaptureFormat) {
    return Fail(ErrorCode::kInvalidInput, "export: the capture is not a postgres logical capture");
  }
  SUMMIT_TRY(out.Write(std::string_view("--\n-- summit-dr export of a postgres capture (plain format: psql -f FILE)\n--\n\n")));
  SUMMIT_TRY(WriteScript(in, "schema.pre.sql", out));
  for (const auto& e : a.value("tables", nlohmann::json::array())) {
    TableInfo t = TableFromJson(e);
    SUMMIT_TRY(out.Write("\n--\n-- Data for " + t.qualified() + "\n--\n\nCOPY " + t.quoted() + " (" + ColumnList(t) +
                         ") FROM stdin;\n"));
    bool nl = true;
    SUMMIT_TRY(CopyStream(in, e.value("stream", ""), out, nl));
    if (!nl) SUMMIT_TRY(out.Write(std::string_view("\n")));
    SUMMIT_TRY(out.Write(std::string_view("\\.\n")));
  }
  std::string tail = "\n";
  for (const auto& s : a.value("sequences", nlohmann::json::array())) {
    tail += "SELECT pg_catalog.setval(" + QuoteLiteral(QuoteQualified(s.value("schema", ""), s.value("name", ""))) + ", " +
            std::to_string(s.value("last_value", int64_t{1})) + ", " + (s.value("is_called", false) ? "true" : "false") +
            ");\n";
  }
  SUMMIT_TRY(out.Write(tail));
  for (const auto& lo : a.value("large_objects", nlohmann::json::array())) {
    std::string oid = std::to_string(lo.value("oid", 0u));
    SUMMIT_TRY(out.Write("SELECT pg_catalog.lo_create(" + oid + ") WHERE NOT EXISTS (SELECT 1 FROM"
                         " pg_catalog.pg_largeobject_metadata WHERE oid = " + oid + ");\n"));
    SUMMIT_ASSIGN_OR_RETURN(auto src, in.OpenStream("large_objects/" + oid));
    std::vector<uint8_t> buf(64 << 10);
    int64_t off = 0;
    for (;;) {
      SUMMIT_ASSIGN_OR_RETURN(size_t n, src->Read(std::span<uint8_t>(buf.data(), buf.size())));
      if (n == 0) break;
      SUMMIT_TRY(out.Write("SELECT pg_catalog.lo_put(" + oid + ", " + std::to_string(off) + ", '\\x" +
                           HexEncode(ByteView(buf.data(), n)) + "'::bytea);\n"));
      off += static_cast<int64_t>(n);
    }
  }
  SUMMIT_TRY(WriteScript(in, "schema.post.sql", out));
  return out.Close();
}

Status ExportCustom(CaptureSource& in, const ExportOptions& options, ByteSink& out) {
  if (options.scratch.dbname.empty() && options.scratch.host.empty()) {
    return Fail(Error(ErrorCode::kInvalidInput, "export --format=custom needs a scratch postgres server")
                    .WithHint("configure one, or export --format=plain"));
  }
  Settings scratch = options.scratch.WithDatabase("summit_export_" + std::to_string(getpid()));
  RestoreOptions ro;
  ro.allow_drop = true;
  ro.jobs = options.jobs;
  ro.analyze = false;
  SUMMIT_TRY_CTX(Restore(scratch, ro, in, nullptr), "export: loading the scratch database");
  ProcessOptions p;
  p.argv = {options.pg_dump, "--format=custom", "--no-password"};
  p.env = scratch.ChildEnvironment();
  p.stdout_sink = &out;
  auto run = RunChecked(p, "pg_dump -Fc of the scratch database");
  auto admin = PgConn::Open(scratch.WithDatabase("postgres"));
  if (admin) (void)(*admin)->Exec("DROP DATABASE IF EXISTS " + QuoteIdent(scratch.dbname) + " WITH (FORCE)", "dropping");
  if (!run) return Fail(std::move(run).error());
  return out.Close();
}

}  // namespace

Status Export(CaptureSource& in, const ExportOptions& options, ByteSink& out) {
  return options.format == ExportFormat::kPlain ? ExportPlain(in, out) : ExportCustom(in, options, out);
}

}  // namespace summit::sources::postgres
