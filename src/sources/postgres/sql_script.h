// pg_dump's plain-format output, as the logical capture stores it (schema.pre.sql,
// schema.post.sql), made runnable through libpq: psql meta-commands are removed, and the
// script can be split into pg_dump's TOC entries ("-- Name: ...; Type: ...; Schema: ...") so
// that restore can leave out a foreign key whose referenced table is not restored.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace summit::sources::postgres {

// Removes the lines `\restrict KEY`, `\unrestrict KEY` (pg_dump since 15.14/17.6) and
// `\connect` lines. Any other line that starts with a backslash outside a dollar-quoted body
// fails with kUnsupported naming it (we never pass it to the server).
Result<std::string> StripPsqlMetaCommands(std::string_view script);

struct DumpEntry {
  std::string name;    // "users users_tenant_id_fkey"
  std::string type;    // "FK CONSTRAINT", "TABLE", "" for the preamble
  std::string schema;
  std::string sql;     // header comment included
  // For FK CONSTRAINT entries: the referenced table as written ("public.tenants"), unquoted.
  std::string references;
};

// Splits a script at pg_dump's "--\n-- Name: " headers; the first entry is the preamble
// (SET statements). Concatenating the entries' sql gives the script back.
std::vector<DumpEntry> SplitDumpScript(std::string_view script);

// The table an INDEX, CONSTRAINT, FK CONSTRAINT or TRIGGER entry is on, unquoted like
// DumpEntry::references ("public.events"); "" when the entry's SQL does not say.
std::string EntryTable(const DumpEntry& e);

// A foreign key entry rewritten as two statements: the constraint added NOT VALID (a brief
// SHARE ROW EXCLUSIVE lock) and then VALIDATE CONSTRAINT (SHARE UPDATE EXCLUSIVE on the table,
// ROW SHARE on the referenced one), which lets validations of different tables run side by
// side and next to index builds on the referenced table. The end state is the same validated
// constraint. Empty when the entry is not a single ADD CONSTRAINT ... FOREIGN KEY statement or
// is NOT VALID already (then it must stay as it is).
struct SplitForeignKey {
  std::string add_not_valid;
  std::string validate;
};
std::optional<SplitForeignKey> SplitForeignKeyEntry(const DumpEntry& e);

// An INDEX entry as pg_dump writes it (pg_get_indexdef): CREATE [UNIQUE] INDEX name ON [ONLY]
// table USING method (key, ...) [INCLUDE (...)] [WITH (...)] [WHERE ...]. `keys` lists the key
// columns when every key is a plain column with at most ASC/DESC and NULLS FIRST/LAST; it is
// empty when any key is an expression or names a collation or an operator class.
struct IndexDef {
  struct Key {
    std::string column;  // unquoted
    bool desc = false;
    bool nulls_first = false;  // as the index sorts: DESC defaults to NULLS FIRST
  };
  std::string name;
  std::string table;   // unquoted, as EntryTable
  std::string method;  // "btree", "gin", "brin", ...
  std::vector<Key> keys;
  bool partial = false;  // has a WHERE clause
};
std::optional<IndexDef> ParseIndexEntry(const DumpEntry& e);

}  // namespace summit::sources::postgres
