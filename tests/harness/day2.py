#!/usr/bin/env python3
"""A deterministic "realistic day of changes" on a database made by tests/harness/generate.py.

Applies, in one transaction, what a production day does to Summit's PostgreSQL (docs/dataset.md,
"A day of changes"):
  - appends one day of rows, dated in [anchor + (day-1) d, anchor + day d), to events,
    analytics_traces and audit_logs (as many per day as the dataset's 90 days average; the audit
    rows continue each tenant's hash chain, so the chain check stays 0);
  - updates about 1 % of entities and of investigations, skewed to recent rows (the newest by
    created_at are the most likely; probability 0.1 * exp(-rank / (N / 10))): entities get new
    attributes (confidence, a review mark) and some a new phone number, through the
    entities_touch_trg trigger (not bypassed, so updated_at becomes the transaction's time);
    investigations move on in their status and get a line of notes;
  - deletes a few rows, respecting foreign keys: entities (their provenance rows first), runs
    (their tasks go by ON DELETE CASCADE) and policy decisions.
Deterministic: the same database, --seed and --day make the same changes (except updated_at).
Reads PG* like psql (PGDATABASE is the database changed). Prints a JSON summary on stdout.

  python3 tests/harness/day2.py                 # day 1 after the default anchor, seed 1
  python3 tests/harness/day2.py --seed 7 --day 2 --anchor 2025-01-20T00:00:00Z
"""
import argparse
import datetime as dt
import hashlib
import json
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate as g  # noqa: E402  (the dataset's value helpers and defaults)


def psql(sql, capture=True, single_tx=False):
    args = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-F", "\t"]
    if single_tx:
        args.append("-1")
    p = subprocess.run(args, input=sql.encode(), env=g.pg_env(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError("psql failed: %s" % p.stderr.decode(errors="replace").strip())
    return p.stdout.decode()


def rows(sql):
    return [line.split("\t") for line in psql(sql).splitlines() if line]


def skewed_pick(table, seed, day, recent="created_at", fraction=0.01):
    """SQL selecting ids of `table` (recent-skewed, deterministic): rank by `recent` desc, keep a
    row when its md5-derived uniform number < 0.1 * exp(-rank / (N/10)) * (fraction / 0.01)."""
    order = "created_at DESC, id DESC" if recent == "created_at" else "length(id::text) DESC, id DESC"
    return """SELECT id FROM (
  SELECT id, row_number() OVER (ORDER BY {order}) - 1 AS rk, count(*) OVER () AS n
  FROM {t}) x
WHERE ('x' || substr(md5('{seed}:day{day}:{t}:' || id), 1, 8))::bit(32)::bigint / 4294967296.0
      < {scale} * exp(-rk / greatest(n / 10.0, 1))""".format(t=table, seed=seed, day=day, scale=10 * fraction, order=order)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1, help="seed of the changes (default 1)")
    ap.add_argument("--day", type=int, default=1, help="which day after the anchor (default 1); days apply in order")
    ap.add_argument("--anchor", type=g.parse_anchor, default=g.parse_anchor(g.DEFAULT_ANCHOR),
                    help="the dataset's anchor as given to generate.py (default %s)" % g.DEFAULT_ANCHOR)
    ap.add_argument("--recent", choices=["created_at", "id"], default="created_at",
                    help="what 'recent' means for the updates: created_at (default; in generated data it is not "
                         "correlated with the physical order) or id (insertion order, as in a live database)")
    ap.add_argument("--force", action="store_true", help="allow a PGHOST that is not on loopback, or a day already applied")
    a = ap.parse_args()
    host = os.environ.get("PGHOST", "")
    if not a.force and host not in ("", "127.0.0.1", "localhost", "::1") and not host.startswith("/"):
        ap.error("PGHOST=%s is not loopback; pass --force if you mean to change it" % host)
    if a.day < 1:
        ap.error("--day starts at 1")

    started = time.time()
    day0 = a.anchor + dt.timedelta(days=a.day - 1)
    day1 = day0 + dt.timedelta(days=1)
    lo, hi = g.iso_z(day0), g.iso_z(day1)
    r = random.Random("%d:day%d" % (a.seed, a.day))

    # ---- what the database holds
    (n_ev, n_ev_in_day, max_ev_id, n_tr, n_au, max_au_id, n_ent, n_inv) = rows("""
SELECT (SELECT count(*) FROM events WHERE time < '{a}'),
       (SELECT count(*) FROM events WHERE time >= '{lo}' AND time < '{hi}'),
       (SELECT coalesce(max(id), 0) FROM events),
       (SELECT count(*) FROM analytics_traces WHERE time < '{a}'),
       (SELECT count(*) FROM audit_logs WHERE created_at < '{a}'),
       (SELECT coalesce(max(id), 0) FROM audit_logs),
       (SELECT count(*) FROM entities), (SELECT count(*) FROM investigations)
""".format(a=g.iso_z(a.anchor), lo=lo, hi=hi))[0]
    if int(n_ev) == 0:
        raise RuntimeError("no events before the anchor %s: not a generate.py database, or another --anchor" % g.iso_z(a.anchor))
    if int(n_ev_in_day) and not a.force:
        raise RuntimeError("day %d (%s .. %s) already has events: applied before? (--force to add again)" % (a.day, lo, hi))
    per_day = lambda n: max(1, round(int(n) / 90))  # noqa: E731
    add_ev, add_tr, add_au = per_day(n_ev), per_day(n_tr), per_day(n_au)
    tenants = [t for (t,) in rows("SELECT id FROM tenants ORDER BY created_at, id")]
    invs = [i for (i,) in rows("SELECT id FROM investigations ORDER BY id")]
    users_of = {}
    for uid, t in rows("SELECT id, tenant_id FROM users ORDER BY id"):
        users_of.setdefault(t, []).append(int(uid))
    last_hash = {t: g.GENESIS_HASH for t in tenants}
    for t, h in rows("SELECT DISTINCT ON (tenant_id) tenant_id, hash FROM audit_logs ORDER BY tenant_id, id DESC"):
        last_hash[t] = h
    max_entity = int(rows("SELECT coalesce(max(id), 1) FROM entities")[0][0])
    nt, span_us = len(tenants), 86400 * 10 ** 6

    sql = ["SET synchronous_commit = off;"]
    # ---- appends: events and analytics_traces computed server-side (as generate.py does)
    sql.append("""INSERT INTO events (time, id, tenant_id, investigation_id, type, payload)
SELECT timestamptz '{lo}' + ((i::bigint * {span} / {n1}) + r1 % 1000000) * interval '1 microsecond',
       {base} + i, ({tenants})[r2 % {nt} + 1],
       CASE WHEN r3 % 100 < 95 THEN ({invs})[r2 % {ninv} + 1] END,
       ({types})[r4 % {ntypes} + 1],
       jsonb_build_object('actor', 'user:' || (1 + r5 % 1000), 'ip', (23 + r3 % 180) || '.' || (r4 % 256) || '.' || (r1 % 256) || '.' || (1 + r2 % 254),
                          'entity', 1 + (r5 * 4096 + r4 % 4096) % {ne}, 'bytes', r1 % 1000000)
FROM (SELECT i, ('x' || substr(m, 1, 7))::bit(28)::int AS r1, ('x' || substr(m, 8, 7))::bit(28)::int AS r2,
             ('x' || substr(m, 15, 7))::bit(28)::int AS r3, ('x' || substr(m, 22, 7))::bit(28)::int AS r4,
             ('x' || substr(m, 29, 4))::bit(16)::int AS r5
      FROM (SELECT i, md5('{seed}:day{day}:events:' || i) AS m FROM generate_series(1, {n}) AS i) h) x;""".format(
        lo=lo, span=span_us - 1000000, n1=add_ev + 1, base=max_ev_id, tenants=g.sql_list(tenants), nt=nt,
        invs=g.sql_list(invs), ninv=len(invs), types=g.sql_list(g.EVENT_TYPES), ntypes=len(g.EVENT_TYPES),
        ne=max_entity, seed=a.seed, day=a.day, n=add_ev))
    sql.append("""INSERT INTO analytics_traces (time, trace_id, tenant_id, span, duration_ms)
SELECT timestamptz '{lo}' + (i::bigint * {span} / {n1}) * interval '1 microsecond', m::uuid,
       ({tenants})[i % {nt} + 1], ({spans})[('x' || substr(m, 1, 7))::bit(28)::int % {nspans} + 1],
       1 + floor(-ln(1 - ('x' || substr(m, 8, 7))::bit(28)::int::float8 / 268435456) * 40)::int
FROM (SELECT i, md5('{seed}:day{day}:analytics_traces:' || i) AS m FROM generate_series(1, {n}) AS i) h;""".format(
        lo=lo, span=span_us, n1=add_tr + 1, tenants=g.sql_list(tenants), nt=nt, spans=g.sql_list(g.SPANS),
        nspans=len(g.SPANS), seed=a.seed, day=a.day, n=add_tr))

    # ---- audit_logs: continue every tenant's hash chain (docs/dataset.md, "The audit chain")
    lines = []
    for k in range(1, add_au + 1):
        aid = int(max_au_id) + k
        t = tenants[(aid - 1) % nt]
        us = users_of.get(t, [])
        user = None if (r.random() < 0.05 or not us) else r.choice(us)
        uip = g.ip(r) if r.random() < 0.97 else None
        sess = None
        if r.random() < 0.9:
            sess = {"sid": g.rand_str(r, 24), "ua": r.choice(["Mozilla/5.0 (X11; Linux x86_64)", "curl/8.5.0", "Summit-CLI/2.3"]),
                    "mfa": r.choice(["totp", "webauthn", "none"]), "geo": r.choice(["US-CA", "US-NY", "DE-BE", "GB-LND"]),
                    "token": "eyJ" + g.rand_str(r, 30)}
        sess_text = g.jsonb_text(sess) if sess is not None else None
        created = day0 + dt.timedelta(microseconds=(k * span_us) // (add_au + 1))
        action = r.choice(g.ACTIONS)
        prev = last_hash[t]
        h = hashlib.sha256((prev + "\n" + g.audit_canonical(aid, t, user, action, uip, sess_text, g.iso_z(created))).encode()).hexdigest()
        last_hash[t] = h
        lines.append("\t".join([str(aid), t, "\\N" if user is None else str(user), action, g.copy_escape(uip),
                                g.copy_escape(sess_text), g.ts(created), prev, h]))
    sql.append("COPY audit_logs (%s) FROM STDIN;\n%s\n\\." % (g.PG_COLUMNS["audit_logs"], "\n".join(lines)))
    sql.append("SELECT setval(pg_get_serial_sequence('audit_logs', 'id'), (SELECT max(id) FROM audit_logs));")

    # ---- updates: ~1 % of entities and investigations, recent rows first; the trigger runs
    sql.append("""CREATE TEMP TABLE day_entities ON COMMIT DROP AS {pick};
UPDATE entities e SET
  attributes = e.attributes || jsonb_build_object(
      'confidence', 1 + ('x' || substr(md5('{seed}:day{day}:conf:' || e.id), 1, 6))::bit(24)::int % 100,
      'reviewed', '{lo_date}', 'reviewer', 'user:' || (1 + ('x' || substr(md5('{seed}:day{day}:rev:' || e.id), 1, 6))::bit(24)::int % 500)),
  phone_number = CASE WHEN e.kind IN ('person', 'phone') AND ('x' || substr(md5('{seed}:day{day}:ph:' || e.id), 1, 2))::bit(8)::int < 64
                      THEN '+1 (415) ' || lpad((('x' || substr(md5('{seed}:day{day}:ph:' || e.id), 3, 6))::bit(24)::int % 10000000)::text, 7, '0')
                      ELSE e.phone_number END
FROM day_entities d WHERE e.id = d.id;""".format(pick=skewed_pick("entities", a.seed, a.day, a.recent), seed=a.seed, day=a.day, lo_date=lo[:10]))
    sql.append("""CREATE TEMP TABLE day_investigations ON COMMIT DROP AS {pick};
UPDATE investigations i SET
  status = CASE i.status WHEN 'open' THEN 'active' WHEN 'active' THEN
                  (ARRAY['active', 'on_hold', 'closed'])[1 + ('x' || substr(md5('{seed}:day{day}:st:' || i.id), 1, 4))::bit(16)::int % 3]
                WHEN 'on_hold' THEN 'active' WHEN 'closed' THEN 'archived' ELSE i.status END,
  internal_notes = coalesce(i.internal_notes || E'\\n', '') || '{lo_date}: reviewed, ' ||
                   (1 + ('x' || substr(md5('{seed}:day{day}:nt:' || i.id), 1, 4))::bit(16)::int % 40) || ' new leads'
FROM day_investigations d WHERE i.id = d.id;""".format(pick=skewed_pick("investigations", a.seed, a.day, a.recent),
                                                          seed=a.seed, day=a.day, lo_date=lo[:10]))

    # ---- a few deletes, children first (provenance -> entities; tasks cascade with runs)
    n_del_ent = max(3, int(n_ent) // 20000)
    n_del_run = max(2, int(n_ent) // 100000)
    n_del_dec = max(5, int(n_ent) // 10000)
    sql.append("""CREATE TEMP TABLE day_del_entities ON COMMIT DROP AS
  SELECT id FROM entities ORDER BY md5('{seed}:day{day}:del:' || id) LIMIT {ne};
DELETE FROM provenance WHERE entity_id IN (SELECT id FROM day_del_entities);
DELETE FROM entities WHERE id IN (SELECT id FROM day_del_entities);
DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE status = 'failed' ORDER BY md5('{seed}:day{day}:delrun:' || id) LIMIT {nr});
DELETE FROM policy_decisions WHERE id IN (SELECT id FROM policy_decisions ORDER BY md5('{seed}:day{day}:deldec:' || id) LIMIT {nd});""".format(
        seed=a.seed, day=a.day, ne=n_del_ent, nr=n_del_run, nd=n_del_dec))

    # ---- the summary, counted inside the same transaction
    sql.append("""SELECT 'entities_updated', count(*) FROM day_entities
UNION ALL SELECT 'investigations_updated', count(*) FROM day_investigations
UNION ALL SELECT 'entities_deleted', count(*) FROM day_del_entities;""")
    before = dict((k, int(v)) for k, v in rows("""SELECT 'provenance', count(*) FROM provenance UNION ALL SELECT 'runs', count(*) FROM runs
UNION ALL SELECT 'tasks', count(*) FROM tasks UNION ALL SELECT 'policy_decisions', count(*) FROM policy_decisions"""))
    out = psql("\n".join(sql) + "\n", single_tx=True)
    changed = dict((k, int(v)) for k, v in (line.split("\t") for line in out.splitlines() if "\t" in line))
    after = dict((k, int(v)) for k, v in rows("""SELECT 'provenance', count(*) FROM provenance UNION ALL SELECT 'runs', count(*) FROM runs
UNION ALL SELECT 'tasks', count(*) FROM tasks UNION ALL SELECT 'policy_decisions', count(*) FROM policy_decisions"""))
    summary = {
        "seed": a.seed, "day": a.day, "from": lo, "to": hi, "recent": a.recent,
        "appended": {"events": add_ev, "analytics_traces": add_tr, "audit_logs": add_au},
        "updated": {"entities": changed["entities_updated"], "investigations": changed["investigations_updated"],
                    "entities_of": int(n_ent), "investigations_of": int(n_inv)},
        "deleted": {"entities": changed["entities_deleted"],
                    **{k: before[k] - after[k] for k in ("provenance", "runs", "tasks", "policy_decisions")}},
        "seconds": round(time.time() - started, 1),
    }
    json.dump(summary, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    try:
        main()
    except (RuntimeError, OSError, KeyError, IndexError) as e:
        sys.stderr.write("day2.py: %s\n" % e)
        sys.exit(1)
