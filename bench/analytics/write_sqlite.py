#!/usr/bin/env python3
"""The write cost of the analytics rollup triggers on SQLite, as the gateway pays it: prepared
statements reused (the gateway caches them per connection, db/sqlite.cpp; so does Python's sqlite3
module), WAL, synchronous=NORMAL, foreign keys, temp_store=MEMORY. Per message: one transaction inserting the analytics row (the
inbound path) and one updating its webhook outcome (the delivery worker). Rounds alternate with
the triggers, without the time-of-day trigger of migration 0015, without any, and without the
time-first hour index of migration 0018 (when the database has it); prints one JSON line with
the median microseconds per message of each.
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

def run(tag):
    t = time.perf_counter()
    for i in range(n):
        c.execute("BEGIN IMMEDIATE")
        cur = c.execute(
            "INSERT INTO analytics (session_id, message_id, message_type, is_group, is_mention, "
            "webhook_sent, created_at) VALUES (?, ?, 'text', 0, 0, 0, ?) RETURNING id",
            (session, f"W{tag}{i}", time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())))
        rid = cur.fetchone()[0]
        c.execute("COMMIT")
        c.execute("BEGIN IMMEDIATE")
        c.execute("UPDATE analytics SET webhook_sent = 1, webhook_success = 1, "
                  "webhook_response_time_ms = ?, webhook_status_code = 200 WHERE id = ?", (300, rid))
        c.execute("COMMIT")
    return (time.perf_counter() - t) * 1e6 / n

# Also without the time-of-day trigger of migration 0015 alone (the 0010 rollups kept): what that
# level adds.
time_of_day = [n for n in names if n.startswith("analytics_rollup_time_of_day")]
# And without the hour level's time-first index of migration 0018 alone, when it is there.
hour_time = c.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND "
                      "name = 'idx_analytics_rollup_hour_time'").fetchone()
with_, without, without_tod, without_hour_time = [], [], [], []
for r in range(rounds):
    with_.append(run(f"a{r}-"))
    if hour_time:
        c.execute("DROP INDEX idx_analytics_rollup_hour_time")
        try:
            without_hour_time.append(run(f"d{r}-"))
        finally:
            c.execute(hour_time[0])
    for name in time_of_day:
        c.execute(f"DROP TRIGGER {name}")
    without_tod.append(run(f"c{r}-"))
    for name in names:
        if name not in time_of_day:
            c.execute(f"DROP TRIGGER {name}")
    without.append(run(f"b{r}-"))
    for sql in triggers:
        c.execute(sql)
print(json.dumps({"us_per_message_with_rollups": round(statistics.median(with_), 1),
                  "us_per_message_without": round(statistics.median(without), 1),
                  "us_per_message_without_time_of_day": round(statistics.median(without_tod), 1),
                  "rounds_with": [round(x) for x in with_], "rounds_without": [round(x) for x in without],
                  "rounds_without_time_of_day": [round(x) for x in without_tod],
                  **({"us_per_message_without_hour_time_index": round(statistics.median(without_hour_time), 1),
                      "rounds_without_hour_time_index": [round(x) for x in without_hour_time]}
                     if hour_time else {})}))
