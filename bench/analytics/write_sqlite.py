#!/usr/bin/env python3
"""The write cost of the analytics rollup triggers on SQLite, as the gateway pays it: prepared
statements reused (the gateway caches them per connection, db/sqlite.cpp; so does Python's sqlite3
module), WAL, synchronous=NORMAL, foreign keys, temp_store=MEMORY. Per message: one transaction
inserting the analytics row (the inbound path) and one updating its webhook outcome (the delivery
worker). Rounds alternate between these variants:
  with_rollups  the triggers, the row's quarter at or after the fold mark (migration 0019): what a
                message pays (its quarter only; the fold adds it to the coarser levels later);
  late          the triggers, the row's quarter before the fold mark (a row written with a past
                time, or a webhook outcome after its quarter was folded): every level, as before;
  without       no rollup trigger at all;
  no_index      the triggers without the time-first hour index of migration 0018 (if there).
Without the fold table (a database below 0019) "with_rollups" and "late" are the same. Prints one JSON
line with the median microseconds per message of each.
Usage: write_sqlite.py DB_FILE SESSION_ID [MESSAGES_PER_ROUND] [ROUNDS]"""
import json, sqlite3, statistics, sys, time

db, session = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 3
c = sqlite3.connect(db, isolation_level=None, cached_statements=64)
c.execute("PRAGMA journal_mode=WAL")
c.execute("PRAGMA synchronous=NORMAL")
c.execute("PRAGMA foreign_keys=ON")
c.execute("PRAGMA temp_store=MEMORY")
triggers = [r[0] for r in c.execute(
    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'analytics'")]
names = [r[0] for r in c.execute(
    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'analytics'")]
folded = c.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                   "name = 'analytics_fold'").fetchone()
mark = c.execute("SELECT folded_before FROM analytics_fold").fetchone()[0] if folded else None

def stamp(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))

def run(tag, late):
    # Now, or just after the mark if that is later (right after seeding it may be). Late rows: a
    # day before the mark, in quarters that were folded.
    at = stamp(mark - 86400) if late and mark else stamp(max(time.time(), (mark or 0) + 1))
    t = time.perf_counter()
    for i in range(n):
        c.execute("BEGIN IMMEDIATE")
        cur = c.execute(
            "INSERT INTO analytics (session_id, message_id, message_type, is_group, is_mention, "
            "webhook_sent, created_at) VALUES (?, ?, 'text', 0, 0, 0, ?) RETURNING id",
            (session, f"W{tag}{i}", at))
        rid = cur.fetchone()[0]
        c.execute("COMMIT")
        c.execute("BEGIN IMMEDIATE")
        c.execute("UPDATE analytics SET webhook_sent = 1, webhook_success = 1, "
                  "webhook_response_time_ms = ?, webhook_status_code = 200 WHERE id = ?", (300, rid))
        c.execute("COMMIT")
    return (time.perf_counter() - t) * 1e6 / n

hour_time = c.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND "
                      "name = 'idx_analytics_rollup_hour_time'").fetchone()
out = {"with_rollups": [], "late": [], "without": [], "no_index": []}
for r in range(rounds):
    out["with_rollups"].append(run(f"a{r}-", False))
    out["late"].append(run(f"l{r}-", True))
    if hour_time:
        c.execute("DROP INDEX idx_analytics_rollup_hour_time")
        try:
            out["no_index"].append(run(f"d{r}-", False))
        finally:
            c.execute(hour_time[0])
    for name in names:
        c.execute(f"DROP TRIGGER {name}")
    try:
        out["without"].append(run(f"b{r}-", False))
    finally:
        for sql in triggers:
            c.execute(sql)
res = {"fold_mark": mark}
for k, v in out.items():
    if v:
        res[f"us_per_message_{k}"] = round(statistics.median(v), 1)
        res[f"rounds_{k}"] = [round(x) for x in v]
print(json.dumps(res))
