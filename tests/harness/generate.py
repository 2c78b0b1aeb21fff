#!/usr/bin/env python3
"""Deterministic generator of the Summit-shaped test dataset (docs/dataset.md).

Fills PostgreSQL (via psql and COPY), Neo4j (HTTP transactional endpoint, batched UNWIND),
Redis (RESP over a socket, pipelined) and a directory of files, reading the connection settings
the harness exports (PG*, NEO4J_HTTP_URL/NEO4J_USER/NEO4J_PASSWORD, REDIS_URL, HARNESS_DIR).
The same --seed, --size and --anchor give identical data. Every store is reset first.

  python3 tests/harness/generate.py --seed 1 --size tiny
  python3 tests/harness/generate.py --size small --only postgres,redis
  python3 tests/harness/generate.py --size 500MB --files /tmp/files --jobs 2

Python 3 standard library only. Prints a JSON summary (counts per table/label/db) on stdout.
"""
import argparse
import base64
import concurrent.futures
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import random
import socket
import subprocess
import sys
import tarfile
import time
import urllib.parse
import urllib.request

SIZES_MB = {"tiny": 1, "small": 100, "large": 4000}
DEFAULT_ANCHOR = "2025-01-20T00:00:00Z"
GENESIS_HASH = "0" * 64
BASE_TENANTS = ["customer-acme", "customer-globex", "customer-initech"]
EXTRA_TENANTS = ["customer-umbrella", "customer-hooli", "customer-stark", "customer-wayne",
                 "customer-tyrell", "customer-cyberdyne", "customer-soylent", "customer-wonka"]

FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
         "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
         "Sarah", "Chen", "Wei", "Aisha", "Mohammed", "Sofia", "Mateo", "Yuki", "Hiroshi", "Olga",
         "Dmitri", "Priya", "Arjun", "Zoë", "Björn", "Renée", "José", "Łukasz", "Siobhán"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
        "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
        "Moore", "Nguyen", "Kim", "Patel", "Okafor", "Müller", "Schmidt", "Rossi", "Dubois",
        "Kowalski", "Ivanova", "Tanaka", "O'Brien", "García-Márquez", "Søndergaard"]
STREETS = ["Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Pine St", "Elm St", "Washington Blvd",
           "Lake View Rd", "Sunset Blvd", "Market St", "Mission St", "Broadway", "Baker Street",
           "Rue de Rivoli", "Königstraße", "Via Roma"]
CITIES = [("San Francisco", "CA", "941"), ("Austin", "TX", "787"), ("New York", "NY", "100"),
          ("Seattle", "WA", "981"), ("Chicago", "IL", "606"), ("Boston", "MA", "021"),
          ("Denver", "CO", "802"), ("Portland", "OR", "972"), ("Atlanta", "GA", "303")]
AREA = ["415", "512", "212", "206", "312", "617", "303", "503", "404", "646", "737", "929"]
MAIL_DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "protonmail.com", "icloud.com"]
KINDS = ["person", "organization", "phone", "email", "domain", "ip", "vehicle", "account",
         "location", "document"]
ACTIONS = ["login", "logout", "view_entity", "export_report", "update_entity", "create_case",
           "delete_entity", "share_investigation", "run_analysis", "change_role", "api_call"]
EVENT_TYPES = ["entity.created", "entity.updated", "link.added", "run.started", "run.finished",
               "alert.raised", "query.executed", "file.uploaded"]
SPANS = ["graph.expand", "pg.query", "redis.get", "http.request", "nlp.extract", "ml.score",
         "policy.eval", "export.render"]
STATUSES = ["open", "active", "on_hold", "closed", "archived"]
ROLES = ["admin", "analyst", "viewer", "auditor"]
PATTERNS = ["burst", "periodic", "drift", "spike", "dormant", "beacon"]
NASTY = ["tab\there", "new\nline", "back\\slash", "quote \"dbl\" 'sgl'", "naïve café ☕",
         "日本語テキスト", "emoji 🚀🔥", "semi;colon,comma", "carriage\rreturn", "percent 100%_"]


# ---------------------------------------------------------------------------- the plan
class Plan:
    """Row counts and the pure functions tying rows together (tenant of a user, investigation of
    an entity, ...), so each table can be generated independently and in parallel."""

    def __init__(self, seed, mb, anchor):
        self.seed = seed
        self.mb = mb
        self.anchor = anchor
        n_extra = min(len(EXTRA_TENANTS), int(mb // 40))
        self.tenants = BASE_TENANTS + EXTRA_TENANTS[:n_extra]
        if mb >= 2000:
            self.tenants += ["customer-%03d" % i for i in range(1, 1 + int(mb // 200))]
        nt = len(self.tenants)
        f = mb
        self.n_users = max(10 * nt, int(40 * f))
        self.n_inv = max(6, int(3 * f))
        self.n_entities = max(200, int(330 * f))
        self.n_runs = max(20, int(40 * f))
        self.n_tasks = max(60, int(150 * f))
        self.n_billing = max(30, int(200 * f))
        self.n_audit = max(300, int(375 * f))
        self.n_events = max(1000, int(1200 * f))
        self.n_traces = max(1000, int(1500 * f))
        self.n_patterns = max(100, int(300 * f))
        self.n_provenance = max(100, int(150 * f))
        self.n_artifacts = max(10, int(12 * f))
        self.n_decisions = max(100, int(200 * f))
        self.n_catalog = max(20, int(2 * f))
        # Neo4j and Redis get a smaller share and are capped: they are filled over the network.
        self.neo_entities = min(self.n_entities, 150_000)
        self.neo_users = min(self.n_users, 20_000)
        self.redis_cache = min(max(100, int(100 * f)), 200_000)
        self.redis_sessions = min(max(30, int(30 * f)), 50_000)
        self.redis_tmp = min(max(20, int(10 * f)), 20_000)

    def rng(self, name):
        return random.Random("%d:%s" % (self.seed, name))

    def user_tenant(self, uid):
        return self.tenants[(uid - 1) % len(self.tenants)]

    def tenant_index(self, tenant):
        return self.tenants.index(tenant)

    def a_user_of(self, tenant_idx, k):
        """The k-th (mod count) user of a tenant; users of tenant t are t+1, t+1+nt, ..."""
        nt = len(self.tenants)
        per = (self.n_users - tenant_idx - 1) // nt + 1
        return tenant_idx + 1 + nt * (k % per)

    def inv_id(self, k):
        return "investigation-2025-%03d" % (k + 1)

    def inv_tenant_idx(self, k):
        return k % len(self.tenants)

    def entity_inv(self, eid):
        return (eid - 1) % self.n_inv

    def policy_count(self):
        return 4 * (len(self.tenants) + 1)


def ts(t):
    return t.strftime("%Y-%m-%d %H:%M:%S.%f+00")


def iso_z(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def copy_escape(s):
    if s is None:
        return "\\N"
    s = str(s)
    if any(c in s for c in "\\\t\n\r"):
        s = s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return s


def copy_bytea(b):
    return "\\\\x" + b.hex()


def jsonb_text(obj):
    """JSON text exactly as PostgreSQL prints a jsonb value (keys ordered by length, then bytes;
    ", " and ": " separators), so hashes over it can be recomputed from the database."""
    if isinstance(obj, dict):
        keys = sorted(obj, key=lambda k: (len(k.encode()), k.encode()))
        return "{" + ", ".join(json.dumps(k, ensure_ascii=False) + ": " + jsonb_text(obj[k])
                               for k in keys) + "}"
    if isinstance(obj, list):
        return "[" + ", ".join(jsonb_text(v) for v in obj) + "]"
    if isinstance(obj, float):
        raise ValueError("floats are not used in hashed jsonb")
    return json.dumps(obj, ensure_ascii=False)


# ---------------------------------------------------------------------------- realistic values
def person(r):
    return r.choice(FIRST), r.choice(LAST)


def ascii_slug(s):
    out = []
    for c in s.lower():
        if c.isascii() and c.isalnum():
            out.append(c)
    return "".join(out) or "x"


def email_for(r, first, last, uid, tenant=None):
    if tenant and r.random() < 0.6:
        dom = tenant.split("-", 1)[1] + "-corp.com"
    else:
        dom = r.choice(MAIL_DOMAINS)
    return "%s.%s%d@%s" % (ascii_slug(first), ascii_slug(last), uid, dom)


def phone(r):
    if r.random() < 0.85:
        return "+1 (%s) %03d-%04d" % (r.choice(AREA), r.randint(201, 989), r.randint(0, 9999))
    return "+44 20 %04d %04d" % (r.randint(1000, 9999), r.randint(0, 9999))


def address(r):
    city, st, z = r.choice(CITIES)
    return "%d %s, Apt %d, %s, %s %s%02d" % (r.randint(1, 9999), r.choice(STREETS),
                                            r.randint(1, 40), city, st, z, r.randint(0, 99))


def ipv4(r):
    while True:
        a = r.randint(11, 223)
        if a not in (127, 10, 172, 192, 169):
            return "%d.%d.%d.%d" % (a, r.randint(0, 255), r.randint(0, 255), r.randint(1, 254))


def ip(r):
    if r.random() < 0.1:
        return "2001:db8:%x:%x::%x" % (r.randint(0, 0xffff), r.randint(0, 0xffff), r.randint(1, 0xfff))
    return ipv4(r)


def luhn_complete(prefix, length, r):
    digits = [int(c) for c in prefix]
    while len(digits) < length - 1:
        digits.append(r.randint(0, 9))
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    digits.append((10 - total % 10) % 10)
    return "".join(map(str, digits))


def luhn_ok(number):
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card(r):
    kind = r.random()
    if kind < 0.5:
        n = luhn_complete("4" + str(r.randint(100, 999)), 16, r)
    elif kind < 0.85:
        n = luhn_complete(str(r.randint(51, 55)), 16, r)
    else:
        n = luhn_complete(r.choice(["34", "37"]), 15, r)
        return "%s-%s-%s" % (n[:4], n[4:10], n[10:])
    return "-".join(n[i:i + 4] for i in range(0, 16, 4))


ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def rand_str(r, n, alphabet=ALNUM):
    return "".join(r.choice(alphabet) for _ in range(n))


def credentials(seed):
    """Production-looking credentials shared by the configuration table, .env and secrets/."""
    r = random.Random("%d:credentials" % seed)
    up = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return {
        "STRIPE_API_KEY": "sk_live_" + rand_str(r, 24),
        "STRIPE_WEBHOOK_SECRET": "whsec_" + rand_str(r, 32),
        "JWT_SECRET": rand_str(r, 64, "0123456789abcdef"),
        "DB_PASSWORD": rand_str(r, 12) + "!" + rand_str(r, 8),
        "REDIS_PASSWORD": rand_str(r, 32),
        "NEO4J_PASSWORD": rand_str(r, 20),
        "AWS_ACCESS_KEY": "AKIA" + rand_str(r, 16, up),
        "AWS_SECRET_KEY": rand_str(r, 40, ALNUM + "/+"),
        "GITHUB_TOKEN_SECRET": "ghp_" + rand_str(r, 36),
        "SENDGRID_API_KEY": "SG." + rand_str(r, 22) + "." + rand_str(r, 43),
        "GOOGLE_MAPS_API_KEY": "AIza" + rand_str(r, 35),
        "OPENAI_API_KEY": "sk-proj-" + rand_str(r, 48),
        "ENCRYPTION_MASTER_KEY": base64.b64encode(r.randbytes(32)).decode(),
        "SMTP_PASSWORD": rand_str(r, 16),
        "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T%s/B%s/%s" % (
            rand_str(r, 8, up), rand_str(r, 10, up), rand_str(r, 24)),
    }


def all_credentials(seed):
    """credentials() plus values derived from them."""
    c = credentials(seed)
    c["DATABASE_URL"] = "postgresql://summit_app:%s@db.prod.summit.internal:5432/summit" % c["DB_PASSWORD"]
    return c


# ---------------------------------------------------------------------------- PostgreSQL
def pg_env():
    return dict(os.environ, PGOPTIONS="-c client_min_messages=warning")


def psql_run(sql, capture=False):
    p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At"], input=sql.encode(),
                       env=pg_env(), stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError("psql failed: %s" % p.stderr.decode(errors="replace").strip())
    return p.stdout.decode() if capture else ""


def pg_features():
    out = psql_run("SELECT string_agg(name, ',') FROM pg_available_extensions "
                   "WHERE name IN ('vector','timescaledb');", capture=True).strip()
    return set(filter(None, out.split(",")))


def pg_schema(features):
    emb = "vector(8)" if "vector" in features else "real[]"
    ext = ""
    if "vector" in features:
        ext += "CREATE EXTENSION IF NOT EXISTS vector;\n"
    if "timescaledb" in features:
        ext += "CREATE EXTENSION IF NOT EXISTS timescaledb;\n"
    return ext + """
CREATE TABLE tenants (id text PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE users (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, tenant_id text NOT NULL,
  email text NOT NULL, phone text, address text, full_name text NOT NULL, role text NOT NULL,
  created_at timestamptz NOT NULL,
  CONSTRAINT users_role_check CHECK (role IN ('admin', 'analyst', 'viewer', 'auditor')));
CREATE TABLE investigations (id text PRIMARY KEY, tenant_id text NOT NULL, title text NOT NULL,
  status text NOT NULL, classified_info text, internal_notes text, created_by bigint,
  created_at timestamptz NOT NULL);
CREATE TABLE entities (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, tenant_id text NOT NULL,
  investigation_id text NOT NULL, kind text NOT NULL, name text NOT NULL, contact_email text,
  phone_number text, attributes jsonb NOT NULL DEFAULT '{}', embedding %s,
  created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
CREATE TABLE runs (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, investigation_id text NOT NULL,
  tenant_id text NOT NULL, status text NOT NULL, params jsonb, started_at timestamptz NOT NULL,
  finished_at timestamptz);
CREATE TABLE tasks (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, run_id bigint NOT NULL,
  name text NOT NULL, status text NOT NULL, result text, payload bytea);
CREATE TABLE runbooks (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, tenant_id text,
  name text NOT NULL, body text NOT NULL);
CREATE TABLE configuration (name text PRIMARY KEY, value text NOT NULL, tenant_id text);
CREATE TABLE billing (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, tenant_id text NOT NULL,
  credit_card text, bank_account text, amount numeric(12,2) NOT NULL CHECK (amount >= 0),
  billed_at timestamptz NOT NULL);
CREATE TABLE audit_logs (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, tenant_id text NOT NULL,
  user_id bigint, action text NOT NULL, user_ip text, session_data jsonb,
  created_at timestamptz NOT NULL, prev_hash text NOT NULL, hash text NOT NULL);
CREATE TABLE events (time timestamptz NOT NULL, id bigint NOT NULL, tenant_id text NOT NULL,
  investigation_id text, type text NOT NULL, payload jsonb, PRIMARY KEY (time, id));
CREATE TABLE temporal_patterns (id bigint NOT NULL, time timestamptz NOT NULL, tenant_id text NOT NULL,
  pattern text NOT NULL, score double precision NOT NULL, PRIMARY KEY (time, id));
CREATE TABLE analytics_traces (time timestamptz NOT NULL, trace_id uuid NOT NULL, tenant_id text NOT NULL,
  span text NOT NULL, duration_ms integer NOT NULL, PRIMARY KEY (time, trace_id));
CREATE TABLE provenance (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, tenant_id text NOT NULL,
  investigation_id text NOT NULL, entity_id bigint NOT NULL, source text NOT NULL,
  attestation jsonb NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE policies (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, tenant_id text,
  name text NOT NULL, rego text NOT NULL, version integer NOT NULL);
CREATE TABLE policy_decisions (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, policy_id bigint NOT NULL,
  tenant_id text NOT NULL, decision text NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE catalog (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text NOT NULL UNIQUE,
  kind text NOT NULL, definition jsonb NOT NULL);
CREATE TABLE artifacts (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, investigation_id text NOT NULL,
  name text NOT NULL, content bytea NOT NULL);
""" % emb


PG_POST = """
ALTER TABLE users ADD CONSTRAINT users_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
ALTER TABLE investigations ADD CONSTRAINT investigations_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
ALTER TABLE investigations ADD CONSTRAINT investigations_created_by_fk FOREIGN KEY (created_by) REFERENCES users(id);
ALTER TABLE entities ADD CONSTRAINT entities_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
ALTER TABLE entities ADD CONSTRAINT entities_investigation_fk FOREIGN KEY (investigation_id) REFERENCES investigations(id);
ALTER TABLE runs ADD CONSTRAINT runs_investigation_fk FOREIGN KEY (investigation_id) REFERENCES investigations(id);
ALTER TABLE runs ADD CONSTRAINT runs_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
ALTER TABLE tasks ADD CONSTRAINT tasks_run_fk FOREIGN KEY (run_id) REFERENCES runs(id) ON DELETE CASCADE;
ALTER TABLE runbooks ADD CONSTRAINT runbooks_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
ALTER TABLE configuration ADD CONSTRAINT configuration_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
ALTER TABLE billing ADD CONSTRAINT billing_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
ALTER TABLE audit_logs ADD CONSTRAINT audit_logs_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
ALTER TABLE audit_logs ADD CONSTRAINT audit_logs_user_fk FOREIGN KEY (user_id) REFERENCES users(id);
ALTER TABLE provenance ADD CONSTRAINT provenance_entity_fk FOREIGN KEY (entity_id) REFERENCES entities(id);
ALTER TABLE provenance ADD CONSTRAINT provenance_investigation_fk FOREIGN KEY (investigation_id) REFERENCES investigations(id);
ALTER TABLE policies ADD CONSTRAINT policies_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
ALTER TABLE policy_decisions ADD CONSTRAINT policy_decisions_policy_fk FOREIGN KEY (policy_id) REFERENCES policies(id);
ALTER TABLE artifacts ADD CONSTRAINT artifacts_investigation_fk FOREIGN KEY (investigation_id) REFERENCES investigations(id);
CREATE INDEX users_tenant_idx ON users (tenant_id);
CREATE INDEX entities_tenant_inv_idx ON entities (tenant_id, investigation_id);
CREATE INDEX runs_investigation_idx ON runs (investigation_id);
CREATE INDEX tasks_run_idx ON tasks (run_id);
CREATE INDEX audit_logs_tenant_created_idx ON audit_logs (tenant_id, created_at);
CREATE INDEX events_tenant_time_idx ON events (tenant_id, time DESC);
CREATE INDEX analytics_traces_tenant_idx ON analytics_traces (tenant_id, time);
CREATE INDEX entities_attributes_gin ON entities USING gin (attributes);
CREATE VIEW active_investigations AS
  SELECT i.id, i.tenant_id, i.title, u.email AS owner_email
  FROM investigations i LEFT JOIN users u ON u.id = i.created_by
  WHERE i.status IN ('open', 'active');
CREATE FUNCTION entities_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE TRIGGER entities_touch_trg BEFORE UPDATE ON entities FOR EACH ROW EXECUTE FUNCTION entities_touch();
COMMENT ON TABLE audit_logs IS 'hash-chained per tenant: see docs/dataset.md';
"""

# Tables in COPY column order; generators below yield rows as lists of already-escaped fields.
PG_COLUMNS = {
    "tenants": "id, name, created_at",
    "users": "id, tenant_id, email, phone, address, full_name, role, created_at",
    "investigations": "id, tenant_id, title, status, classified_info, internal_notes, created_by, created_at",
    "entities": "id, tenant_id, investigation_id, kind, name, contact_email, phone_number, attributes, embedding, created_at, updated_at",
    "runs": "id, investigation_id, tenant_id, status, params, started_at, finished_at",
    "tasks": "id, run_id, name, status, result, payload",
    "runbooks": "id, tenant_id, name, body",
    "configuration": "name, value, tenant_id",
    "billing": "id, tenant_id, credit_card, bank_account, amount, billed_at",
    "audit_logs": "id, tenant_id, user_id, action, user_ip, session_data, created_at, prev_hash, hash",
    "events": "time, id, tenant_id, investigation_id, type, payload",
    "temporal_patterns": "id, time, tenant_id, pattern, score",
    "analytics_traces": "time, trace_id, tenant_id, span, duration_ms",
    "provenance": "id, tenant_id, investigation_id, entity_id, source, attestation, created_at",
    "policies": "id, tenant_id, name, rego, version",
    "policy_decisions": "id, policy_id, tenant_id, decision, created_at",
    "catalog": "id, name, kind, definition",
    "artifacts": "id, investigation_id, name, content",
}
SEQ_TABLES = ["users", "entities", "runs", "tasks", "runbooks", "billing", "audit_logs",
              "provenance", "policies", "policy_decisions", "catalog", "artifacts"]


def J(obj):
    return copy_escape(json.dumps(obj, ensure_ascii=False, separators=(", ", ": ")))


def gen_tenants(p):
    r = p.rng("tenants")
    for t in p.tenants:
        name = t.split("-", 1)[1].replace("_", " ").title() + " " + r.choice(["Corp", "Inc.", "LLC", "GmbH", "Ltd"])
        yield [t, copy_escape(name), ts(p.anchor - dt.timedelta(days=400 + r.randint(0, 300)))]


def gen_users(p):
    r = p.rng("users")
    for uid in range(1, p.n_users + 1):
        t = p.user_tenant(uid)
        first, last = person(r)
        yield [str(uid), t, copy_escape(email_for(r, first, last, uid, t)), phone(r),
               copy_escape(address(r)) if r.random() < 0.9 else "\\N",
               copy_escape("%s %s" % (first, last)), ROLES[uid % 4] if uid > len(p.tenants) else "admin",
               ts(p.anchor - dt.timedelta(days=r.randint(91, 700), seconds=r.randint(0, 86399)))]


def gen_investigations(p):
    r = p.rng("investigations")
    subjects = ["Wire fraud ring", "Insider data exfiltration", "Ransomware affiliate",
                "Counterfeit supply chain", "Money laundering network", "Phishing campaign",
                "Sanctions evasion", "Account takeover wave", "Crypto mixer cluster"]
    for k in range(p.n_inv):
        ti = p.inv_tenant_idx(k)
        classified = None
        if r.random() < 0.6:
            classified = "SECRET//NOFORN source %s reports %s; asset handle %s" % (
                rand_str(r, 6).upper(), r.choice(["meeting in Lisbon", "wallet 0x%s" % rand_str(r, 40, "0123456789abcdef"),
                                                  "burner +1 (%s) %03d-%04d" % (r.choice(AREA), r.randint(201, 989), r.randint(0, 9999))]),
                rand_str(r, 8))
        notes = None if r.random() < 0.2 else r.choice(NASTY) + " - contact " + email_for(r, *person(r), k)
        yield [p.inv_id(k), p.tenants[ti], copy_escape("%s #%d" % (r.choice(subjects), k + 1)),
               STATUSES[k % len(STATUSES)] if k >= 5 else ["open", "active"][k % 2],
               copy_escape(classified), copy_escape(notes), str(p.a_user_of(ti, k)),
               ts(p.anchor - dt.timedelta(days=r.randint(30, 365), seconds=r.randint(0, 86399)))]


def gen_entities(p, features):
    r = p.rng("entities")
    for eid in range(1, p.n_entities + 1):
        k = p.entity_inv(eid)
        ti = p.inv_tenant_idx(k)
        kind = KINDS[eid % len(KINDS)]
        first, last = person(r)
        name = {"person": "%s %s" % (first, last), "organization": "%s Holdings %s" % (last, r.choice(["Ltd", "SA", "LLC"])),
                "ip": ip(r), "domain": "%s-%s.%s" % (ascii_slug(last), rand_str(r, 4).lower(), r.choice(["com", "net", "io", "ru"]))}.get(kind, "%s %s" % (kind, rand_str(r, 8)))
        if eid % 97 == 0:
            name = name + " " + NASTY[(eid // 97) % len(NASTY)]
        email = email_for(r, first, last, eid) if kind in ("person", "organization", "email") else None
        ph = phone(r) if kind in ("person", "phone") or r.random() < 0.1 else None
        attrs = {"confidence": r.randint(1, 100), "source": r.choice(["osint", "humint", "sigint", "import"]),
                 "labels": [r.choice(["watchlist", "pep", "sanctioned", "vip", "internal"]) for _ in range(r.randint(0, 3))]}
        if kind == "person" and r.random() < 0.3:
            attrs["ssn"] = "%03d-%02d-%04d" % (r.randint(100, 899), r.randint(1, 99), r.randint(1, 9999))
        vec = [round(r.uniform(-1, 1), 4) for _ in range(8)]
        emb = ("[" + ",".join(repr(v) for v in vec) + "]") if "vector" in features else ("{" + ",".join(repr(v) for v in vec) + "}")
        created = p.anchor - dt.timedelta(days=r.randint(1, 300), seconds=r.randint(0, 86399))
        yield [str(eid), p.tenants[ti], p.inv_id(k), kind, copy_escape(name), copy_escape(email), copy_escape(ph),
               J(attrs), emb, ts(created), ts(created + dt.timedelta(hours=r.randint(0, 500)))]


def gen_runs(p):
    r = p.rng("runs")
    for rid in range(1, p.n_runs + 1):
        k = (rid - 1) % p.n_inv
        start = p.anchor - dt.timedelta(days=r.randint(0, 89), seconds=r.randint(0, 86399))
        done = r.random() < 0.9
        yield [str(rid), p.inv_id(k), p.tenants[p.inv_tenant_idx(k)], "succeeded" if done else r.choice(["running", "failed"]),
               J({"depth": r.randint(1, 5), "model": r.choice(["gnn-v3", "rules-2024", "nlp-xl"]), "limit": r.randint(100, 10000)}),
               ts(start), ts(start + dt.timedelta(seconds=r.randint(5, 7200))) if done else "\\N"]


def gen_tasks(p):
    r = p.rng("tasks")
    for tid in range(1, p.n_tasks + 1):
        rid = (tid - 1) % p.n_runs + 1
        payload = r.randbytes(r.randint(16, 400)) if r.random() < 0.8 else None
        yield [str(tid), str(rid), r.choice(["expand", "score", "extract", "dedupe", "export"]),
               r.choice(["done", "done", "done", "error", "queued"]),
               copy_escape(r.choice([None, "ok", "matched %d nodes" % r.randint(0, 999), "error: timeout\n\tat worker-%d" % r.randint(1, 9)])),
               copy_bytea(payload) if payload is not None else "\\N"]


def gen_runbooks(p):
    r = p.rng("runbooks")
    rid = 0
    for t in [None] + p.tenants:
        for name in ["incident-response", "key-rotation", "failover"]:
            rid += 1
            body = "# %s\n\n1. Page on-call (%s)\n2. Run `summit-dr restore --env=%s`\n\tverify C:\\backups\\%s\n" % (
                name, phone(r), r.choice(["staging", "dr_rehearsal"]), rand_str(r, 6))
            yield [str(rid), copy_escape(t), name if t is None else "%s-%s" % (t, name), copy_escape(body)]


def gen_configuration(p):
    creds = all_credentials(p.seed)
    r = p.rng("configuration")
    for name in sorted(creds):
        yield [name, copy_escape(creds[name]), "\\N"]
    plain = {"LOG_LEVEL": "info", "FEATURE_GRAPH_V2": "true", "MAX_UPLOAD_MB": "512", "REGION": "us-west-2"}
    for name in sorted(plain):
        yield [name, plain[name], "\\N"]
    for t in p.tenants:
        up = t.upper().replace("-", "_")
        yield [up + "_WEBHOOK_SECRET", "whsec_" + rand_str(r, 32), t]
        yield [up + "_SSO_CLIENT_KEY", rand_str(r, 40), t]
        yield [up + "_LDAP_BIND_PASSWORD", rand_str(r, 18), t]
        yield [up + "_DISPLAY_NAME", copy_escape(t.split("-", 1)[1].title()), t]


def gen_billing(p):
    r = p.rng("billing")
    for bid in range(1, p.n_billing + 1):
        yield [str(bid), p.tenants[(bid - 1) % len(p.tenants)], card(r) if r.random() < 0.95 else "\\N",
               "%s%010d" % (r.choice(["DE89", "GB29", "US"]), r.randint(0, 9999999999)),
               "%d.%02d" % (r.randint(10, 250000), r.randint(0, 99)),
               ts(p.anchor - dt.timedelta(days=r.randint(0, 364), seconds=r.randint(0, 86399)))]


def audit_canonical(row_id, tenant, user_id, action, user_ip, session_text, created_iso):
    n = "\\N"
    return "\t".join([str(row_id), tenant, n if user_id is None else str(user_id), action,
                      n if user_ip is None else user_ip, n if session_text is None else session_text,
                      created_iso])


def gen_audit_logs(p):
    r = p.rng("audit_logs")
    nt = len(p.tenants)
    last = {t: GENESIS_HASH for t in p.tenants}
    span = 90 * 86400
    for aid in range(1, p.n_audit + 1):
        ti = (aid - 1) % nt
        t = p.tenants[ti]
        user = None if r.random() < 0.05 else p.a_user_of(ti, r.randint(0, 10 ** 6))
        uip = ip(r) if r.random() < 0.97 else None
        sess = None
        if r.random() < 0.9:
            sess = {"sid": rand_str(r, 24), "ua": r.choice(["Mozilla/5.0 (X11; Linux x86_64)", "curl/8.5.0", "Summit-CLI/2.3"]),
                    "mfa": r.choice(["totp", "webauthn", "none"]), "geo": r.choice(["US-CA", "US-NY", "DE-BE", "GB-LND"]),
                    "token": "eyJ" + rand_str(r, 30)}
        sess_text = jsonb_text(sess) if sess is not None else None
        created = p.anchor - dt.timedelta(seconds=span - (aid * span) // (p.n_audit + 1))
        created_iso = iso_z(created)
        action = r.choice(ACTIONS)
        prev = last[t]
        h = hashlib.sha256((prev + "\n" + audit_canonical(aid, t, user, action, uip, sess_text, created_iso)).encode()).hexdigest()
        last[t] = h
        yield [str(aid), t, "\\N" if user is None else str(user), action, copy_escape(uip),
               copy_escape(sess_text), ts(created), prev, h]


def sql_list(values):
    return "ARRAY[" + ", ".join("'%s'" % v.replace("'", "''") for v in values) + "]"


def sql_inv_id(k):
    return ("('investigation-2025-' || CASE WHEN (%s) + 1 < 1000 THEN lpad(((%s) + 1)::text, 3, '0') "
            "ELSE ((%s) + 1)::text END)" % (k, k, k))


def sql_rand(p, table):
    """Per-row pseudo-random 28-bit integers r1..r4 (and 16-bit r5) from md5(seed:table:i):
    deterministic, and fast enough server-side for gigabytes of rows."""
    return ("(SELECT i, ('x' || substr(m, 1, 7))::bit(28)::int AS r1, ('x' || substr(m, 8, 7))::bit(28)::int AS r2, "
            "('x' || substr(m, 15, 7))::bit(28)::int AS r3, ('x' || substr(m, 22, 7))::bit(28)::int AS r4, "
            "('x' || substr(m, 29, 4))::bit(16)::int AS r5, m "
            "FROM (SELECT i, md5('%d:%s:' || i) AS m FROM generate_series(1, %%d) AS i) h) g" % (p.seed, table))


# The time series are generated by PostgreSQL itself (generate_series + md5): the large dataset's
# gigabytes of events would take minutes to format in Python.
def sql_events(p):
    nt = len(p.tenants)
    span = 90 * 86400
    k = "(r2 %% %d)" % p.n_inv
    ti = "(%s %% %d)" % (k, nt)
    return """INSERT INTO events (time, id, tenant_id, investigation_id, type, payload)
SELECT timestamptz '{anchor}' - interval '90 days'
         + (div(i::numeric * {span}, {n1})::bigint * 1000000 + r1 % 1000000) * interval '1 microsecond',
       i, ({tenants})[{ti} + 1],
       CASE WHEN r3 % 100 < 95 THEN {inv} END,
       ({types})[r4 % {ntypes} + 1],
       jsonb_build_object('actor', 'user:' || ({ti} + 1 + {nt} * (i % (({nu} - {ti} - 1) / {nt} + 1))),
                          'ip', (ARRAY[23, 34, 45, 52, 63, 78, 81, 89, 91, 104, 151, 185, 203, 212])[r3 % 14 + 1]
                                || '.' || (r4 % 256) || '.' || (r1 % 256) || '.' || (1 + r2 % 254),
                          'entity', 1 + (r5 * 4096 + r4 % 4096) % {ne}, 'bytes', r1 % 1000000)
       || CASE WHEN i % 5 = 0 THEN jsonb_build_object('query', 'MATCH (e:Entity {{tenant_id: $t}}) WHERE e.score > '
            || (1 + r2 % 99) || ' RETURN e LIMIT ' || (10 + r3 % 491)) ELSE '{{}}'::jsonb END
FROM {rand}""".format(anchor=iso_z(p.anchor), span=span, n1=p.n_events + 1, tenants=sql_list(p.tenants), ti=ti,
                     inv=sql_inv_id(k), types=sql_list(EVENT_TYPES), ntypes=len(EVENT_TYPES), nt=nt, nu=p.n_users,
                     ne=p.n_entities, rand=sql_rand(p, "events") % p.n_events)


def sql_analytics_traces(p):
    span_us = 90 * 86400 * 10 ** 6
    return """INSERT INTO analytics_traces (time, trace_id, tenant_id, span, duration_ms)
SELECT timestamptz '{anchor}' - interval '90 days' + div(i::numeric * {span}, {n1})::bigint * interval '1 microsecond',
       m::uuid, ({tenants})[i % {nt} + 1], ({spans})[r1 % {nspans} + 1],
       1 + floor(-ln(1 - r2::float8 / 268435456) * 40)::int
FROM {rand}""".format(anchor=iso_z(p.anchor), span=span_us, n1=p.n_traces + 1, tenants=sql_list(p.tenants),
                     nt=len(p.tenants), spans=sql_list(SPANS), nspans=len(SPANS),
                     rand=sql_rand(p, "analytics_traces") % p.n_traces)


def sql_temporal_patterns(p):
    span = 90 * 86400
    return """INSERT INTO temporal_patterns (id, time, tenant_id, pattern, score)
SELECT i, timestamptz '{anchor}' - interval '90 days' + div(i::numeric * {span}, {n1})::bigint * interval '1 second',
       ({tenants})[i % {nt} + 1], ({patterns})[r1 % {npat} + 1], round(r2::numeric * 100 / 268435456, 6)::float8
FROM {rand}""".format(anchor=iso_z(p.anchor), span=span, n1=p.n_patterns + 1, tenants=sql_list(p.tenants),
                     nt=len(p.tenants), patterns=sql_list(PATTERNS), npat=len(PATTERNS),
                     rand=sql_rand(p, "temporal_patterns") % p.n_patterns)


PG_SQL_GENERATORS = {"events": sql_events, "analytics_traces": sql_analytics_traces,
                     "temporal_patterns": sql_temporal_patterns}

def gen_provenance(p):
    r = p.rng("provenance")
    for i in range(1, p.n_provenance + 1):
        eid = r.randint(1, p.n_entities)
        k = p.entity_inv(eid)
        att = {"digest": "sha256:" + "%064x" % r.getrandbits(256), "signer": "cosign://summit/%s" % rand_str(r, 6).lower(),
               "chain": [r.choice(["ingest", "normalize", "enrich", "review"]) for _ in range(r.randint(1, 4))]}
        yield [str(i), p.tenants[p.inv_tenant_idx(k)], p.inv_id(k), str(eid),
               r.choice(["upload", "connector:splunk", "connector:s3", "analyst"]), J(att),
               ts(p.anchor - dt.timedelta(days=r.randint(0, 200), seconds=r.randint(0, 86399)))]


def rego(name, r):
    return ("package summit.%s\n\ndefault allow := false\n\nallow if {\n\tinput.user.role == \"%s\"\n"
            "\tinput.tenant == data.tenants[_]\n}\n" % (name.replace("-", "_"), r.choice(ROLES)))


def gen_policies(p):
    r = p.rng("policies")
    pid = 0
    for t in [None] + p.tenants:
        for name in ["read-access", "export-control", "classified-access", "retention"]:
            pid += 1
            yield [str(pid), copy_escape(t), name, copy_escape(rego(name, r)), str(r.randint(1, 9))]


def gen_policy_decisions(p):
    r = p.rng("policy_decisions")
    n_pol = p.policy_count()
    for i in range(1, p.n_decisions + 1):
        yield [str(i), str(r.randint(1, n_pol)), p.tenants[i % len(p.tenants)], r.choice(["allow", "deny", "allow"]),
               ts(p.anchor - dt.timedelta(seconds=r.randint(0, 90 * 86400)))]


def gen_catalog(p):
    r = p.rng("catalog")
    for i in range(1, p.n_catalog + 1):
        kind = r.choice(["dataset", "connector", "model", "schema"])
        yield [str(i), "%s-%04d" % (kind, i), kind,
               J({"owner": "team-%s" % r.choice(["intel", "data", "ml"]), "fields": [rand_str(r, 6).lower() for _ in range(r.randint(1, 6))],
                  "pii": r.random() < 0.3, "description": r.choice(NASTY)})]


def gen_artifacts(p):
    r = p.rng("artifacts")
    for i in range(1, p.n_artifacts + 1):
        k = (i - 1) % p.n_inv
        size = r.randint(1024, 15 * 1024)
        # Half compressible text, half random bytes: chunking and compression both have work.
        if i % 2:
            content = (("report line %d for %s\n" % (i, p.inv_id(k))) * (size // 30 + 1)).encode()[:size]
        else:
            content = r.randbytes(size)
        yield [str(i), p.inv_id(k), "report-%04d.%s" % (i, "txt" if i % 2 else "bin"), copy_bytea(content)]


PG_GENERATORS = {
    "tenants": gen_tenants, "users": gen_users, "investigations": gen_investigations,
    "entities": gen_entities, "runs": gen_runs, "tasks": gen_tasks, "runbooks": gen_runbooks,
    "configuration": gen_configuration, "billing": gen_billing, "audit_logs": gen_audit_logs,
    "provenance": gen_provenance,
    "policies": gen_policies, "policy_decisions": gen_policy_decisions, "catalog": gen_catalog,
    "artifacts": gen_artifacts,
}
# Largest first so the parallel workers finish together.
PG_ORDER = ["events", "analytics_traces", "audit_logs", "entities", "artifacts", "provenance",
            "tasks", "temporal_patterns", "billing", "policy_decisions", "users", "runs",
            "investigations", "catalog", "configuration", "runbooks", "policies", "tenants"]


def copy_table(args):
    """Worker: streams one table's rows into `psql -c "COPY ... FROM STDIN"`."""
    table, seed, mb, anchor, features = args
    p = Plan(seed, mb, anchor)
    if table in PG_SQL_GENERATORS:
        out = psql_run("SET synchronous_commit = off;\n" + PG_SQL_GENERATORS[table](p) + ";\n"
                       "SELECT count(*) FROM %s;\n" % table, capture=True)
        return table, int(out.split()[-1]), 0
    gen = PG_GENERATORS[table]
    rows = gen(p, features) if table == "entities" else gen(p)
    proc = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c",
                             "COPY %s (%s) FROM STDIN" % (table, PG_COLUMNS[table])],
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=pg_env())
    n = 0
    nbytes = 0
    buf = []
    size = 0
    try:
        for row in rows:
            line = "\t".join(row) + "\n"
            buf.append(line)
            size += len(line)
            n += 1
            if size > 1 << 20:
                data = "".join(buf).encode()
                nbytes += len(data)
                proc.stdin.write(data)
                buf, size = [], 0
        data = "".join(buf).encode()
        nbytes += len(data)
        proc.stdin.write(data)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    err = proc.stderr.read().decode(errors="replace")
    if proc.wait() != 0:
        raise RuntimeError("COPY into %s failed: %s" % (table, err.strip()))
    return table, n, nbytes


def fill_postgres(p, jobs, pool):
    features = pg_features()
    reset = """
SELECT lo_unlink(oid) FROM pg_largeobject_metadata;
DROP SCHEMA IF EXISTS public CASCADE;
CREATE SCHEMA public;
GRANT ALL ON SCHEMA public TO public;
"""
    psql_run(reset + pg_schema(features))
    if "timescaledb" in features:
        psql_run("SELECT create_hypertable('events', 'time');\n"
                 "SELECT create_hypertable('temporal_patterns', 'time');\n"
                 "SELECT create_hypertable('analytics_traces', 'time');\n")
    futs = [pool.submit(copy_table, (t, p.seed, p.mb, p.anchor, features)) for t in PG_ORDER]
    return features, futs


def finish_postgres(p, features, futs):
    counts = {}
    total = 0
    for f in futs:
        table, n, nbytes = f.result()
        counts[table] = n
        total += nbytes
    seqs = "".join("SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT max(id) FROM %s));\n" % (t, t)
                   for t in SEQ_TABLES)
    lo = "SELECT lo_from_bytea(424242, convert_to('summit large object: signing key backup\n" \
         "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC%s\n-----END PRIVATE KEY-----\n', 'UTF8'));\n" \
         "COMMENT ON LARGE OBJECT 424242 IS 'legacy signing key blob';\n" % rand_str(p.rng("lo"), 40)
    psql_run(PG_POST + seqs + lo + "ANALYZE;\n")
    return {"tables": counts, "copy_bytes": total, "extensions": sorted(features)}


# ---------------------------------------------------------------------------- Neo4j
class Neo4jHttp:
    def __init__(self, url, user, password):
        self.url = url.rstrip("/") + "/db/neo4j/tx/commit"
        token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        self.headers = {"Content-Type": "application/json", "Accept": "application/json",
                        "Authorization": "Basic " + token}

    def run(self, statement, **params):
        body = json.dumps({"statements": [{"statement": statement, "parameters": params}]}).encode()
        req = urllib.request.Request(self.url, data=body, headers=self.headers, method="POST")
        with urllib.request.urlopen(req, timeout=600) as resp:
            out = json.load(resp)
        if out.get("errors"):
            raise RuntimeError("neo4j: %s (statement: %s)" % (out["errors"][0].get("message"), statement[:80]))
        res = out["results"][0] if out.get("results") else {}
        return [row["row"] for row in res.get("data", [])]


def batches(items, n):
    for i in range(0, len(items), n):
        yield items[i:i + n]


def fill_neo4j(args):
    seed, mb, anchor = args
    p = Plan(seed, mb, anchor)
    db = Neo4jHttp(os.environ["NEO4J_HTTP_URL"], os.environ.get("NEO4J_USER", "neo4j"), os.environ["NEO4J_PASSWORD"])
    while db.run("MATCH (n) WITH n LIMIT 20000 DETACH DELETE n RETURN count(*)")[0][0] > 0:
        pass
    for name, in db.run("SHOW CONSTRAINTS YIELD name RETURN name"):
        db.run("DROP CONSTRAINT `%s`" % name)
    for name, in db.run("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name"):
        db.run("DROP INDEX `%s`" % name)
    for label in ["User", "Investigation", "Entity"]:
        db.run("CREATE CONSTRAINT %s_uid IF NOT EXISTS FOR (n:%s) REQUIRE n.uid IS UNIQUE" % (label.lower(), label))
    db.run("CREATE INDEX entity_tenant IF NOT EXISTS FOR (n:Entity) ON (n.tenant_id)")
    db.run("CREATE INDEX user_tenant IF NOT EXISTS FOR (n:User) ON (n.tenant_id)")

    r = p.rng("neo4j")
    users = []
    for uid in range(1, p.neo_users + 1):
        first, last = person(r)
        users.append({"uid": "user-%d" % uid, "tenant_id": p.user_tenant(uid), "email": email_for(r, first, last, uid, p.user_tenant(uid)),
                      "phone": phone(r), "name": "%s %s" % (first, last)})
    for b in batches(users, 5000):
        db.run("UNWIND $rows AS r CREATE (u:User) SET u = r", rows=b)
    invs = [{"uid": p.inv_id(k), "tenant_id": p.tenants[p.inv_tenant_idx(k)], "title": "Investigation %d" % (k + 1),
             "opened": (p.anchor - dt.timedelta(days=r.randint(30, 365))).strftime("%Y-%m-%d"),
             "owner": "user-%d" % min(p.a_user_of(p.inv_tenant_idx(k), k), p.neo_users) if p.a_user_of(p.inv_tenant_idx(k), k) <= p.neo_users else "user-%d" % (p.inv_tenant_idx(k) + 1),
             "since": (p.anchor - dt.timedelta(days=r.randint(1, 30))).strftime("%Y-%m-%d")} for k in range(p.n_inv)]
    for b in batches(invs, 5000):
        db.run("UNWIND $rows AS r CREATE (i:Investigation {uid: r.uid, tenant_id: r.tenant_id, title: r.title, opened: date(r.opened)}) "
               "WITH i, r MATCH (u:User {uid: r.owner}) CREATE (u)-[:OWNS {since: date(r.since)}]->(i)", rows=b)
    ents = []
    n_classified = 0
    for eid in range(1, p.neo_entities + 1):
        k = p.entity_inv(eid)
        e = {"uid": "entity-%d" % eid, "tenant_id": p.tenants[p.inv_tenant_idx(k)], "investigation_id": p.inv_id(k),
             "name": "%s %s" % person(r) if eid % 53 else "Ωmega «%d» \"q\" \\ tab\t" % eid, "kind": KINDS[eid % len(KINDS)],
             "score": round(r.random() * 100, 3), "tags": [r.choice(["watchlist", "pep", "sanctioned", "vip"]) for _ in range(r.randint(0, 3))],
             "seen_at": iso_z(p.anchor - dt.timedelta(seconds=r.randint(0, 90 * 86400))),
             "lat": round(r.uniform(-60, 70), 5), "lon": round(r.uniform(-180, 180), 5),
             "phone": phone(r) if r.random() < 0.4 else None,
             "classified": ("TOP SECRET//SI source %s" % rand_str(r, 8)) if r.random() < 0.1 else None}
        n_classified += e["classified"] is not None
        ents.append(e)
    for b in batches(ents, 5000):
        db.run("UNWIND $rows AS r CREATE (e:Entity {uid: r.uid, tenant_id: r.tenant_id, investigation_id: r.investigation_id, "
               "name: r.name, kind: r.kind, score: r.score, tags: r.tags, seen_at: datetime(r.seen_at), "
               "location: point({latitude: r.lat, longitude: r.lon})}) "
               "SET e.phone = r.phone "
               "FOREACH (_ IN CASE WHEN r.classified IS NULL THEN [] ELSE [1] END | SET e:Classified, e.classified = r.classified) "
               "WITH e, r MATCH (i:Investigation {uid: r.investigation_id}) CREATE (i)-[:CONTAINS]->(e)", rows=b)
    rels = []
    nt = len(p.tenants)
    for eid in range(1, p.neo_entities + 1):
        for _ in range(2):
            # Another entity of the same tenant: same residue of investigation index mod nt.
            other = eid + nt * r.randint(1, 50) * (1 if r.random() < 0.5 else -1)
            other = ((other - 1) % p.neo_entities) + 1
            if p.inv_tenant_idx(p.entity_inv(other)) != p.inv_tenant_idx(p.entity_inv(eid)) or other == eid:
                continue
            rels.append({"a": "entity-%d" % eid, "b": "entity-%d" % other, "w": round(r.random(), 4),
                         "ev": ["doc-%s" % rand_str(r, 6) for _ in range(r.randint(0, 2))]})
    for b in batches(rels, 10000):
        db.run("UNWIND $rows AS r MATCH (a:Entity {uid: r.a}), (b:Entity {uid: r.b}) "
               "CREATE (a)-[:RELATED_TO {weight: r.w, evidence: r.ev}]->(b)", rows=b)
    flags = []
    for eid in range(1, p.neo_entities + 1, 7):
        ti = p.inv_tenant_idx(p.entity_inv(eid))
        u = p.a_user_of(ti, eid)
        if u <= p.neo_users:
            flags.append({"u": "user-%d" % u, "e": "entity-%d" % eid, "at": iso_z(p.anchor - dt.timedelta(seconds=r.randint(0, 86400 * 30)))})
    for b in batches(flags, 10000):
        db.run("UNWIND $rows AS r MATCH (u:User {uid: r.u}), (e:Entity {uid: r.e}) CREATE (u)-[:FLAGGED {at: datetime(r.at)}]->(e)", rows=b)
    counts = {lbl: c for lbl, c in db.run("MATCH (n) UNWIND labels(n) AS l RETURN l, count(*) ORDER BY l")}
    rel_counts = {t: c for t, c in db.run("MATCH ()-[r]->() RETURN type(r), count(*) ORDER BY type(r)")}
    return {"labels": counts, "relationships": rel_counts}


# ---------------------------------------------------------------------------- Redis
def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


class Redis:
    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.sock = socket.create_connection((u.hostname or "127.0.0.1", u.port or 6379), timeout=120)
        self.f = self.sock.makefile("rb")
        self.pending = []
        self.npending = 0
        if u.password:
            self.call(*(["AUTH", u.username, u.password] if u.username else ["AUTH", u.password]))

    def read_reply(self):
        line = self.f.readline()
        if not line:
            raise RuntimeError("redis closed the connection")
        kind, rest = line[:1], line[1:-2]
        if kind == b"-":
            raise RuntimeError("redis: " + rest.decode())
        if kind in (b"+", b":"):
            return rest
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read_reply() for _ in range(n)]
        raise RuntimeError("redis: unexpected reply %r" % line)

    def send(self, *args):
        self.pending.append(resp(*args))
        self.npending += 1
        if len(self.pending) >= 2000:
            self.flush()

    def flush(self):
        if self.pending:
            self.sock.sendall(b"".join(self.pending))
            self.pending = []
        while self.npending:
            self.npending -= 1
            self.read_reply()

    def call(self, *args):
        self.flush()
        self.sock.sendall(resp(*args))
        return self.read_reply()


def fill_redis(args):
    seed, mb, anchor = args
    p = Plan(seed, mb, anchor)
    r = p.rng("redis")
    c = Redis(os.environ["REDIS_URL"])
    c.call("FLUSHALL")
    c.call("SELECT", 0)
    nt = len(p.tenants)
    for i in range(1, p.redis_cache + 1):
        t = p.tenants[i % nt]
        eid = r.randint(1, p.n_entities)
        if i % 3:
            c.send("SET", "cache:%s:entity:%d" % (t, i), json.dumps({"id": eid, "name": "%s %s" % person(r), "score": r.randint(0, 100)}))
        else:
            c.send("HSET", "cache:%s:entity:%d" % (t, i), "id", eid, "kind", KINDS[i % len(KINDS)], "hits", r.randint(0, 9999))
    for i in range(p.redis_sessions):
        h = "%032x" % r.getrandbits(128)
        sid = "%s-%s-4%s-8%s-%s" % (h[:8], h[8:12], h[13:16], h[17:20], h[20:])
        uid = r.randint(1, p.n_users)
        c.send("HSET", "session:" + sid, "user_id", uid, "tenant", p.user_tenant(uid), "ip", ip(r),
               "csrf", rand_str(r, 32), "created", iso_z(p.anchor))
        c.send("EXPIRE", "session:" + sid, 86400 + r.randint(0, 86400))
    for i in range(p.redis_tmp):
        c.send("SET", "%s:%s:%d" % (r.choice(["tmp", "temp"]), r.choice(["upload", "lock", "export"]), i), rand_str(r, 20),
               "EX", 600 + r.randint(0, 3000))
    for uid in range(1, min(p.n_users, 5000) + 1):
        first, last = person(r)
        c.send("SET", "user:%d:email" % uid, email_for(r, first, last, uid, p.user_tenant(uid)))
    big = max(600, min(20000, int(50 * mb)))  # above the listpack/intset limits (512)
    for t in p.tenants:
        k = "tenant:%s:" % t
        c.send("SET", k + "counter", r.randint(0, 10 ** 9))                # int encoding
        c.send("SET", k + "banner", "Welcome to " + t + " — " + r.choice(NASTY))  # raw/embstr
        c.send("SET", k + "blob", r.randbytes(2048))                        # raw, binary
        c.send("RPUSH", k + "recent", *["entity-%d" % r.randint(1, 999) for _ in range(10)])       # listpack
        for b in batches(["log line %d %s" % (j, rand_str(r, 40)) for j in range(big)], 1000):
            c.send("RPUSH", k + "log", *b)                                  # quicklist
        c.send("SADD", k + "user_ids", *[r.randint(1, 10 ** 6) for _ in range(50)])               # intset
        c.send("SADD", k + "tags", *["tag-%s" % rand_str(r, 5) for _ in range(12)])               # listpack/hashtable (small)
        for b in batches(["member-%d-%s" % (j, rand_str(r, 8)) for j in range(big)], 1000):
            c.send("SADD", k + "members", *b)                               # hashtable
        c.send("HSET", k + "settings", "theme", "dark", "mfa", "required", "retention_days", 30)  # listpack hash
        for b in batches([x for j in range(big) for x in ("field-%d" % j, rand_str(r, 24))], 2000):
            c.send("HSET", k + "profile_index", *b)                         # hashtable hash
        c.send("ZADD", k + "top", *[x for j in range(8) for x in (r.randint(0, 1000), "entity-%d" % j)])  # listpack zset
        for b in batches([x for j in range(big) for x in (repr(round(r.random() * 1000, 3)), "entity-%d" % j)], 2000):
            c.send("ZADD", k + "leaderboard", *b)                           # skiplist zset
        base_ms = int(anchor.timestamp() * 1000)
        for j in range(50):
            c.send("XADD", k + "stream", "%d-%d" % (base_ms + j * 1000, j % 3), "type", r.choice(EVENT_TYPES),
                   "entity", r.randint(1, p.n_entities))
        c.send("XGROUP", "CREATE", k + "stream", "indexers", "0")
        c.send("XREADGROUP", "GROUP", "indexers", "worker-1", "COUNT", 5, "STREAMS", k + "stream", ">")
        c.send("SET", k + "quota_cache", rand_str(r, 16), "EX", 7200)        # TTL on a tenant key
    c.flush()
    c.call("SELECT", 1)
    for i in range(max(20, min(10000, int(20 * mb)))):
        c.send("SET", "ratelimit:%s" % ipv4(r), r.randint(0, 100), "EX", 3600)
    c.send("HSET", "feature:flags", "graph_v2", "on", "export_pdf", "off", "beta_ui", "on")
    c.send("RPUSH", "queue:exports", *["job-%d" % j for j in range(20)])
    c.flush()
    sizes = {}
    for db in (0, 1):
        c.call("SELECT", db)
        sizes["db%d" % db] = int(c.call("DBSIZE"))
    return {"keys": sizes}


# ---------------------------------------------------------------------------- files
def write_files(p, root):
    r = p.rng("files")
    creds = all_credentials(p.seed)
    mtime = p.anchor.timestamp()
    written = []

    def put(rel, data, mode=0o644):
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if isinstance(data, str):
            data = data.encode()
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        os.utime(path, (mtime, mtime))
        written.append(rel)

    if os.path.isdir(root):
        import shutil
        shutil.rmtree(root)
    os.makedirs(root)
    put("docker-compose.yml", """services:
  postgres:
    image: timescale/timescaledb-ha:pg15
    environment:
      POSTGRES_PASSWORD: %s
  neo4j:
    image: neo4j:5-community
    environment:
      NEO4J_AUTH: neo4j/%s
  redis:
    image: redis:7
    command: ["redis-server", "--requirepass", "%s"]
  api:
    image: summit/api:2.3.1
    env_file: .env
""" % (creds["DB_PASSWORD"], creds["NEO4J_PASSWORD"], creds["REDIS_PASSWORD"]))
    put("docker-compose.dev.yml", "services:\n  api:\n    build: .\n    environment:\n      LOG_LEVEL: debug\n")
    put(".env", "".join("%s=%s\n" % (k, v) for k, v in sorted(creds.items())), 0o600)
    put("Justfile", "backup:\n\tsummit-dr backup --set=full\n\nrestore-dev id:\n\tsummit-dr restore {{id}} --env=dev\n")
    for name in ["read-access", "export-control", "classified-access", "retention"]:
        put("policies/%s.rego" % name, rego(name, r))
    for name in ["core", "tenant-overrides"]:
        bio = io.BytesIO()
        with tarfile.open(fileobj=bio, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            for pol in ["read-access", "retention"]:
                data = rego(pol, r).encode()
                info = tarfile.TarInfo("%s/%s.rego" % (name, pol))
                info.size = len(data)
                info.mtime = int(mtime)
                tar.addfile(info, io.BytesIO(data))
        put("policy-bundles/%s.tar.gz" % name, gzip.compress(bio.getvalue(), mtime=0))
    for i in range(1, 6):
        put("catalog/dataset-%02d.yaml" % i, "name: dataset-%02d\nowner: team-%s\npii: %s\nfields:\n%s" % (
            i, r.choice(["intel", "data"]), "true" if i % 2 else "false",
            "".join("  - name: %s\n    type: %s\n" % (rand_str(r, 6).lower(), r.choice(["text", "int", "timestamp"])) for _ in range(4))))
    put("secrets/aws.json", json.dumps({"access_key_id": creds["AWS_ACCESS_KEY"], "secret_access_key": creds["AWS_SECRET_KEY"]}, indent=2), 0o600)
    put("secrets/stripe.json", json.dumps({"api_key": creds["STRIPE_API_KEY"], "webhook_secret": creds["STRIPE_WEBHOOK_SECRET"]}, indent=2), 0o600)
    put("secrets/database.json", json.dumps({"url": creds["DATABASE_URL"], "password": creds["DB_PASSWORD"]}, indent=2), 0o600)
    put("terraform/terraform.tfstate", json.dumps({"version": 4, "terraform_version": "1.7.5", "serial": 42, "resources": [
        {"type": "aws_db_instance", "name": "summit", "instances": [{"attributes": {"password": creds["DB_PASSWORD"], "endpoint": "db.prod.summit.internal:5432"}}]},
        {"type": "aws_s3_bucket", "name": "backups", "instances": [{"attributes": {"bucket": "summit-backups-prod"}}]}]}, indent=2))
    put("k8s/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: summit-api\nspec:\n  replicas: 3\n")
    put("k8s/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: summit-db\nstringData:\n  password: %s\n" % creds["DB_PASSWORD"])
    for ti, t in enumerate(p.tenants):
        put("tenants/%s/config.yaml" % t, "tenant: %s\nregion: %s\nadmin_email: %s\nsso_client_key: %s\n" % (
            t, r.choice(["us-west-2", "eu-central-1"]), email_for(r, *person(r), ti + 1, t), rand_str(r, 40)))
    for k in range(min(p.n_inv, 20)):
        put("projects/%s/reports/summary.md" % p.inv_id(k), "# %s\n\nAnalyst: %s\nPhone: %s\n" % (p.inv_id(k), email_for(r, *person(r), k), phone(r)))
        put("projects/%s/reports/evidence.bin" % p.inv_id(k), r.randbytes(4096))
    return {"files": len(written), "dir": root}


# ---------------------------------------------------------------------------- main
def parse_size(s):
    if s in SIZES_MB:
        return SIZES_MB[s]
    u = s.upper()
    for suffix, mult in (("GB", 1024), ("MB", 1)):
        if u.endswith(suffix) and u[:-len(suffix)].replace(".", "", 1).isdigit():
            return float(u[:-len(suffix)]) * mult
    raise argparse.ArgumentTypeError("size must be tiny, small, large, <N>MB or <N>GB, not '%s'" % s)


def parse_anchor(s):
    if s == "today":
        now = dt.datetime.now(dt.timezone.utc)
        return dt.datetime(now.year, now.month, now.day, tzinfo=dt.timezone.utc)
    try:
        return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(dt.timezone.utc)
    except ValueError:
        raise argparse.ArgumentTypeError("anchor must be an ISO time like %s, or 'today'" % DEFAULT_ANCHOR)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--size", type=parse_size, default="tiny", help="tiny (~1 MB), small (~100 MB), large (~4 GB), <N>MB")
    ap.add_argument("--only", default=None, help="comma list of postgres,neo4j,redis,files (default: every store whose settings are set, plus files)")
    ap.add_argument("--files", default=None, help="directory for the files tree (default $HARNESS_DIR/files or .harness/files)")
    ap.add_argument("--anchor", type=parse_anchor, default=parse_anchor(DEFAULT_ANCHOR),
                    help="the dataset's 'now': time series cover the 90 days before it (default %s; 'today' = today 00:00 UTC)" % DEFAULT_ANCHOR)
    ap.add_argument("--jobs", type=int, default=2, help="parallel workers (default 2)")
    ap.add_argument("--force", action="store_true", help="allow resetting a PostgreSQL that is not on loopback")
    a = ap.parse_args()
    if isinstance(a.size, str):
        a.size = parse_size(a.size)

    have = {"postgres": bool(os.environ.get("PGPORT") or os.environ.get("PGHOST")),
            "neo4j": bool(os.environ.get("NEO4J_HTTP_URL") and os.environ.get("NEO4J_PASSWORD")),
            "redis": bool(os.environ.get("REDIS_URL")), "files": True}
    if a.only:
        want = [s.strip() for s in a.only.split(",") if s.strip()]
        for s in want:
            if s not in have:
                ap.error("unknown store '%s' in --only (known: postgres, neo4j, redis, files)" % s)
            if not have[s]:
                ap.error("--only %s but its settings are not in the environment (eval \"$(tests/harness/up.sh)\" first)" % s)
    else:
        want = [s for s in ("postgres", "neo4j", "redis", "files") if have[s]]
    if "postgres" in want and not a.force:
        host = os.environ.get("PGHOST", "")
        if host not in ("", "127.0.0.1", "localhost", "::1") and not host.startswith("/"):
            ap.error("PGHOST=%s is not loopback; the generator drops schema public first. Pass --force if you mean it" % host)

    p = Plan(a.seed, a.size, a.anchor)
    started = time.time()
    summary = {"seed": a.seed, "size_mb": a.size, "anchor": iso_z(a.anchor), "tenants": p.tenants,
               "investigations": p.n_inv}
    ctx = __import__("multiprocessing").get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, a.jobs), mp_context=ctx) as pool:
        side = {}
        if "neo4j" in want:
            side["neo4j"] = pool.submit(fill_neo4j, (a.seed, a.size, a.anchor))
        if "redis" in want:
            side["redis"] = pool.submit(fill_redis, (a.seed, a.size, a.anchor))
        if "postgres" in want:
            features, futs = fill_postgres(p, a.jobs, pool)
            summary["postgres"] = finish_postgres(p, features, futs)
        for k, f in side.items():
            summary[k] = f.result()
    if "files" in want:
        root = a.files or (os.path.join(os.environ["HARNESS_DIR"], "files") if os.environ.get("HARNESS_DIR") else ".harness/files")
        summary["files"] = write_files(p, root)
    summary["seconds"] = round(time.time() - started, 1)
    json.dump(summary, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    try:
        main()
    except (RuntimeError, OSError, KeyError) as e:
        sys.stderr.write("generate.py: %s\n" % e)
        sys.exit(1)
