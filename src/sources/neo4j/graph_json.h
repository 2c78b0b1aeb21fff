// The export format of Neo4j property values: JSON with typed wrappers for what JSON lacks.
// This is the encoding of GraphNode/GraphRelationship::properties (src/transform/hooks.h) and
// of every line of the neo4j capture's nodes.jsonl / relationships.jsonl.
//
//   Neo4j type       JSON
//   null, boolean    null, true/false
//   string           "..." (UTF-8 as stored)
//   integer          a JSON integer when |v| <= 2^53, else {"$int": "-9223372036854775808"}
//   float            a JSON number always written with a '.' or an exponent (1.0, 1e+300), so it
//                    never reads back as an integer; 17 significant digits: bit-exact.
//                    NaN and infinities: {"$float": "NaN" | "Infinity" | "-Infinity"}
//   list             a JSON array of the above
//   byte array       {"$bytes": "<standard base64 with padding>"}
//   date             {"$date": "2025-01-20"}            (years outside 0..9999: "+12345-01-01", "-0001-01-01")
//   local time       {"$localtime": "10:00:00"}         (".nnnnnnnnn" appended when the nanoseconds are not 0)
//   time             {"$time": "10:00:00+01:00"}        (offset always as +HH:MM, with :SS when needed)
//   local datetime   {"$localdatetime": "2025-01-20T10:00:00.000000001"}
//   datetime+offset  {"$datetime": "2025-01-20T10:00:00+01:00"}  (wall-clock time at that offset)
//   datetime+zone    {"$datetime": "2025-01-20T09:00:00Z[Europe/Paris]"}  (the instant in UTC, and
//                    the zone); from a legacy 4.4 server without the utc patch the wall-clock time:
//                    "2025-01-20T10:00:00[Europe/Paris]" (no Z)
//   duration         {"$duration": {"months": 14, "days": 3, "seconds": 3600, "nanoseconds": 5}}
//   point            {"$point": {"srid": 4326, "x": 2.35, "y": 48.85}} (and "z" for 3D points)
// Property values are never maps in Neo4j, so every JSON object is a wrapper; an unknown
// wrapper is kInvalidInput. ToJson(FromJson(j)) == j and FromJson(ToJson(v)) == v.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "sources/neo4j/bolt/packstream.h"

namespace summit::sources::neo4j {

// kUnsupported for values that are not property values (maps, nodes, relationships, paths).
Result<nlohmann::json> ToJson(const bolt::Value& value);
Result<nlohmann::json> PropertiesToJson(const bolt::Map& properties);

// kInvalidInput when the JSON is not a value of the format above.
Result<bolt::Value> FromJson(const nlohmann::json& json);
Result<bolt::Map> PropertiesFromJson(const nlohmann::json& object);

// Dumps with sorted keys, no spaces: the canonical text used for hashing.
std::string CanonicalDump(const nlohmann::json& json);

// Civil calendar helpers (proleptic Gregorian), exposed for tests.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);
void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d);

std::string Base64Encode(ByteView data);
Result<Bytes> Base64Decode(std::string_view text);

}  // namespace summit::sources::neo4j
