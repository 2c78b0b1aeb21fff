// In-flight sanitization: the rules of config/sanitization.yaml, filtered by an environment's
// profile, as the PgRowTransform / GraphTransform / RedisTransform the stores' sinks call.
//
// The result equals the spec's SQL and Cypher run after a plain restore: PostgreSQL rules are
// consecutive UPDATEs (each SET expression reads the row as it was before that statement;
// WHERE uses three-valued logic, so a NULL compared with LIKE does not match); Neo4j rules
// are the spec's MATCH ... WHERE ... SET / REMOVE statements in order, with {$id} = GraphNode.id.
//
// Deterministic: the same input, rules and salt give the same output in every run and store.
// Thread-safe: Apply* may be called concurrently on different rows (an internal cache of
// per-table column bindings is guarded by a shared mutex).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>

#include "transform/hooks.h"
#include "transform/rules.h"

namespace summit::transform {

// Evaluates one expression. `field(name)` gives other fields, `current` is the assigned
// field's own value (mask, pseudonym without input, vector), `node_id` is {$id}.
// Returns nullopt for NULL.
std::optional<std::string> EvaluateExpr(const ValueExpr& expr, const std::function<FieldValue(std::string_view)>& field,
                                        FieldValue current, std::optional<int64_t> node_id, std::string_view salt);

class PgSanitizer final : public PgRowTransform {
 public:
  // Fails with kInvalidInput when the profile uses keyed rules (pseudonym, vector noise) but has
  // no salt. `salt_override`, when non-empty, replaces the profile's salt.
  static Result<std::unique_ptr<PgSanitizer>> Create(const RuleSet& rules, const Profile& profile,
                                                     std::string salt_override = {});
  bool Applies(const PgTable& table) const override;
  // Fails with kNotFound when a rule names a column the table lacks.
  Result<bool> Apply(const PgTable& table, PgRow& row) const override;

 private:
  struct Bound;
  PgSanitizer() = default;
  Result<std::shared_ptr<const Bound>> Bind(const PgTable& table) const;

  std::string file_;
  std::string salt_;
  std::map<std::string, std::vector<PgRule>> rules_;  // by table key
  mutable std::shared_mutex mu_;
  mutable std::map<std::string, std::shared_ptr<const Bound>> bound_;  // by table key
};

class GraphSanitizer final : public GraphTransform {
 public:
  static Result<std::unique_ptr<GraphSanitizer>> Create(const RuleSet& rules, const Profile& profile,
                                                        std::string salt_override = {});
  Result<bool> ApplyNode(GraphNode& node) const override;
  Result<bool> ApplyRelationship(GraphRelationship& rel) const override;

 private:
  GraphSanitizer() = default;
  std::string salt_;
  std::vector<GraphRule> rules_;
};

class RedisSanitizer final : public RedisTransform {
 public:
  static Result<std::unique_ptr<RedisSanitizer>> Create(const RuleSet& rules, const Profile& profile,
                                                        std::string salt_override = {});
  // The first matching rule decides: drop, or replace a string value (a replace rule matching a
  // non-string key drops it, so no unsanitized value survives). Keys no rule matches are kept.
  RedisKeyDecision Apply(int db, std::string_view key, std::optional<std::string_view> string_value) const override;

 private:
  RedisSanitizer() = default;
  std::string salt_;
  std::vector<RedisRule> rules_;
};

// "users" for public.users, "audit.events" otherwise: how rules and schemas name tables.
std::string TableKey(const PgTable& table);

// Applies several row transforms in order (e.g. the reducer, then the sanitizer): a row dropped
// by one is not shown to the next. Applies() is true when any applies. Not owning.
class ChainedPgTransform final : public PgRowTransform {
 public:
  explicit ChainedPgTransform(std::vector<const PgRowTransform*> parts) : parts_(std::move(parts)) {}
  bool Applies(const PgTable& table) const override;
  Result<bool> Apply(const PgTable& table, PgRow& row) const override;
  Status EndTable(const PgTable& table) const override;
  bool NeedsParentsFirst() const override;

 private:
  std::vector<const PgRowTransform*> parts_;
};

}  // namespace summit::transform
