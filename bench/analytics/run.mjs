// Analytics read latency: 5 million analytics rows over the last 365 days across the 100
// sessions of one user, generated with SQL (seed_sqlite.sql / seed_postgres.sql), then p50/p99 of
// GET /api/v1/analytics/sessions/:id for 30 days and for 1 year, and of /analytics/overview, each
// as REQUESTS sequential requests over the 100 sessions from a client on the same machine (the
// figure is the whole HTTP round trip: auth, rollup queries, JSON). Also the write cost of the
// rollup triggers: one analytics INSERT and, in a second transaction, its outcome UPDATE (as the
// inbound path and the webhook worker write them), one after another, with and without the triggers.
// Read rounds (ROUNDS) may alternate with an older binary on a copy of the SQLite data
// (COMPARE_BIN) and run beside BURN busy processes (outside load). Usage: see run.sh.
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { api, freePort, note, resultLog, startGateway } from '../lib/gateway_bench.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]])
  return acc
}, []))
const bin = args.bin
const rows = Number(args.rows ?? 5000000)
const requests = Number(args.requests ?? 300)
const only = (args.only ?? 'sqlite,postgres').split(',')
const rounds = Number(args.rounds ?? 1)
const burn = Number(args.burn ?? 0)
const { emit } = resultLog(args.out)

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(p / 100 * s.length) - 1)] }
const iso = (d) => d.toISOString().slice(0, 10)

async function measure (base, token, name, paths) {
  for (let i = 0; i < 20; i++) await fetch(base + paths[i % paths.length], { headers: { authorization: `Bearer ${token}` } }).then((r) => r.arrayBuffer())
  const ms = []
  for (let i = 0; i < requests; i++) {
    const t = performance.now()
    const r = await fetch(base + paths[i % paths.length], { headers: { authorization: `Bearer ${token}` } })
    await r.arrayBuffer()
    if (r.status !== 200) throw new Error(`${paths[i % paths.length]}: ${r.status}`)
    ms.push(performance.now() - t)
  }
  return { name, requests, p50_ms: +pct(ms, 50).toFixed(2), p99_ms: +pct(ms, 99).toFixed(2), max_ms: +Math.max(...ms).toFixed(2) }
}

function pgUrlFor (base, name) { const u = new URL(base); u.pathname = `/${name}`; return u.toString() }

for (const db of only) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-analytics-'))
  const logFile = path.join(dataDir, 'gateway.log')
  const env = {
    PATH: process.env.PATH, DATA_DIR: dataDir, BIND_ADDRESS: '127.0.0.1', LOG_LEVEL: 'warn',
    GENERATE_PIN_PER_HOUR: '1000000', RATE_LIMIT_PER_MINUTE: '1000000', ANALYTICS_RETENTION_DAYS: '0'
  }
  if (db === 'postgres') {
    const name = `bench_analytics_${Date.now()}`
    execFileSync('psql', [args['pg-url'], '-qc', `CREATE DATABASE ${name}`])
    env.DATABASE_URL = pgUrlFor(args['pg-url'], name)
  }
  const port = await freePort()
  env.PORT = String(port)
  const base = `http://127.0.0.1:${port}`
  // With a compare binary (an older build) the data is set up by it, so that it can read a copy
  // of it; this build migrates its own copy up when it starts.
  const setupBin = args['compare-bin'] && db === 'sqlite' ? args['compare-bin'] : bin
  let gw = await startGateway(setupBin, { env, dataDir, port, logFile })
  const call = api(base)
  const pin = (await call('POST', '/api/v1/auth/generate-pin')).json.data.pin
  const login = await fetch(base + '/api/v1/auth/login', { method: 'POST', headers: { authorization: `Basic ${Buffer.from(pin + ':').toString('base64')}` } })
  const token = (await login.json()).data.token
  const authed = api(base, token)
  const ids = []
  for (let i = 0; i < 100; i++) ids.push((await authed('POST', '/api/v1/sessions', { session_name: `bench ${i}`, webhook_url: 'http://127.0.0.1:9/hook' })).json.data.session_id)
  await gw.stop()

  note(`${db}: generating ${rows} analytics rows`)
  const t0 = performance.now()
  const now = Math.floor(Date.now() / 1000)
  if (db === 'sqlite') {
    const file = path.join(dataDir, 'gateway.db')
    const triggers = execFileSync('sqlite3', [file, "SELECT sql || ';' FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'analytics'"], { encoding: 'utf8' })
    const names = execFileSync('sqlite3', [file, "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'analytics'"], { encoding: 'utf8' }).trim().split('\n').filter(Boolean)
    execFileSync('sqlite3', [file, names.map((n) => `DROP TRIGGER ${n};`).join(' ')])
    const seed = readFileSync(path.join(here, 'seed_sqlite.sql'), 'utf8').replaceAll(':rows', String(rows)).replaceAll(':now', String(now))
    execFileSync('sqlite3', [file], { input: seed, stdio: ['pipe', 'ignore', 'inherit'], maxBuffer: 1 << 26 })
    execFileSync('sqlite3', [file], { input: triggers + '\nANALYZE;\n' })
    // The seed wrote every level: the fold mark (migration 0019) goes after its last quarter.
    if (execFileSync('sqlite3', [file, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'analytics_fold'"], { encoding: 'utf8' }).trim() === '1') {
      execFileSync('sqlite3', [file, `UPDATE analytics_fold SET folded_before = MAX(${now - now % 900}, (SELECT MAX(bucket_start) + 900 FROM analytics_rollup_quarter))`])
    }
  } else {
    execFileSync('psql', [env.DATABASE_URL, '-q', '-v', 'ON_ERROR_STOP=1', '-v', `rows=${rows}`, '-v', `now=${now}`, '-f', path.join(here, 'seed_postgres.sql')], { stdio: ['ignore', 'ignore', 'inherit'] })
    // As on SQLite: the seed wrote every level, so the fold mark goes after its last quarter.
    if (execFileSync('psql', [env.DATABASE_URL, '-qAt', '-c', "SELECT to_regclass('analytics_fold') IS NOT NULL"], { encoding: 'utf8' }).trim() === 't') {
      execFileSync('psql', [env.DATABASE_URL, '-qc', `UPDATE analytics_fold SET folded_before = GREATEST(${now - now % 900}, (SELECT MAX(bucket_start) + 900 FROM analytics_rollup_quarter))`])
    }
  }
  const seedS = (performance.now() - t0) / 1000
  const q = (s) => db === 'sqlite'
    ? execFileSync('sqlite3', [path.join(dataDir, 'gateway.db'), s], { encoding: 'utf8' }).trim()
    : execFileSync('psql', [env.DATABASE_URL, '-qAt', '-c', s], { encoding: 'utf8' }).trim()
  const counts = q('SELECT (SELECT COUNT(*) FROM analytics) || \' \' || (SELECT SUM(messages) FROM analytics_rollup_day) || \' \' || (SELECT COUNT(*) FROM analytics_rollup_quarter) || \' \' || (SELECT COUNT(*) FROM analytics_rollup_hour) || \' \' || (SELECT COUNT(*) FROM analytics_rollup_time_of_day)')
  note(`${db}: seeded in ${seedS.toFixed(0)} s (raw, rollup sum, quarter rows, hour rows, time-of-day rows: ${counts})`)

  const today = new Date()
  const yearAgo = new Date(today.getTime() - 364 * 86400000)
  const session = (q2) => ids.map((id) => `/api/v1/analytics/sessions/${id}${q2}`)
  const cases = [
    ['session_30_days_jakarta', session('?tz=Asia/Jakarta')],
    ['session_1_year_jakarta', session(`?period=weekly&start_date=${iso(yearAgo)}&end_date=${iso(today)}&tz=Asia/Jakarta`)],
    ['session_1_year_daily_utc', session(`?start_date=${iso(yearAgo)}&end_date=${iso(today)}`)],
    ['session_1_year_kolkata', session(`?period=monthly&start_date=${iso(yearAgo)}&end_date=${iso(today)}&tz=Asia/Kolkata`)],
    ['overview_100_sessions_jakarta', ['/api/v1/analytics/overview?tz=Asia/Jakarta']]
  ]
  // The binaries of the read rounds: this build and, on SQLite, the compare binary (which set the
  // data up) on a copy taken before this build has migrated it further; rounds alternate.
  const variants = [{ label: 'this', bin, dir: dataDir }]
  if (args['compare-bin'] && db === 'sqlite') {
    const dir = `${dataDir}-compare`
    cpSync(dataDir, dir, { recursive: true })
    variants.push({ label: 'compare', bin: args['compare-bin'], dir })
  }
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const v of variants) {
        gw = await startGateway(v.bin, { env: { ...env, DATA_DIR: v.dir }, dataDir: v.dir, port, logFile })
        // Outside load: BURN busy processes on the machine's cores while the cases run.
        const burners = []
        for (let i = 0; i < burn; i++) burners.push(spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }))
        try {
          for (const [name, paths] of cases) {
            const r = await measure(base, token, name, paths)
            emit({ bench: 'analytics_read', db, rows, sessions: 100, binary: v.label, round, burn, load: os.loadavg()[0].toFixed(2), ...r })
          }
        } finally {
          for (const b of burners) b.kill('SIGKILL')
        }
        await gw.stop()
      }
    }
  } finally {
    if (variants.length > 1) rmSync(variants[1].dir, { recursive: true, force: true })
  }

  // Write cost of the rollups: per message one transaction inserting the analytics row and one
  // updating its webhook outcome, one after another (one session's strand), with and without the
  // triggers, rounds alternating; medians.
  const n = Number(args.writes ?? 5000)
  const sid = ids[0]
  let w
  if (db === 'sqlite') {
    // Prepared statements reused, as the gateway does (the sqlite3 shell would compile the
    // triggers into every statement again): Python's sqlite3 module.
    w = JSON.parse(execFileSync('python3', [path.join(here, 'write_sqlite.py'), path.join(dataDir, 'gateway.db'), sid, String(n), '3'], { encoding: 'utf8' }))
  } else {
    // As write_sqlite.py: "with" rows at the current time (their quarter at or after the fold mark
    // of migration 0019: the quarter only), "late" rows two days back (quarters already folded:
    // every level, as every message paid before 0019), and without the triggers.
    const script = (when) => {
      const f = path.join(dataDir, `writes-${when.startsWith('GREATEST') ? 'now' : 'late'}.pgbench`)
      writeFileSync(f, `\\set r random(1, 1000000000)\nBEGIN;\nINSERT INTO analytics (session_id, message_id, message_type, created_at) VALUES ('${sid}', 'W' || :r, 'text', ${when}) RETURNING id \\gset\nEND;\nBEGIN;\nUPDATE analytics SET webhook_sent = TRUE, webhook_success = TRUE, webhook_response_time_ms = 300, webhook_status_code = 200 WHERE id = :id;\nEND;\n`)
      return f
    }
    // The seed's last rows are seconds old, so the mark may lie up to a quarter ahead of now().
    let mark = 0
    try { mark = Number(q('SELECT folded_before FROM analytics_fold')) } catch { /* below 0019: no mark */ }
    const current = script(`GREATEST(now(), to_timestamp(${mark}))`); const past = script("now() - interval '2 days'")
    const round = (f) => {
      const t = performance.now()
      execFileSync(args.pgbench ?? 'pgbench', ['-n', '-c', '1', '-t', String(n), '-f', f, env.DATABASE_URL], { stdio: ['ignore', 'ignore', 'inherit'] })
      return (performance.now() - t) * 1000 / n
    }
    const withR = []; const lateR = []; const withoutR = []
    for (let r = 0; r < 3; r++) {
      withR.push(round(current))
      lateR.push(round(past))
      q('ALTER TABLE analytics DISABLE TRIGGER USER')
      withoutR.push(round(current))
      q('ALTER TABLE analytics ENABLE TRIGGER USER')
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[1]
    w = { us_per_message_with_rollups: +median(withR).toFixed(1), us_per_message_late: +median(lateR).toFixed(1), us_per_message_without: +median(withoutR).toFixed(1), rounds_with: withR.map(Math.round), rounds_late: lateR.map(Math.round), rounds_without: withoutR.map(Math.round) }
  }
  emit({ bench: 'analytics_write', db, messages_per_round: n, ...w, load: os.loadavg()[0].toFixed(2) })
  if (db === 'postgres') execFileSync('psql', [args['pg-url'], '-qc', `DROP DATABASE ${new URL(env.DATABASE_URL).pathname.slice(1)} WITH (FORCE)`])
  if (process.env.KEEP_DATA && db === 'sqlite') note(`sqlite: data kept in ${dataDir} (PIN ${pin}; for profiling: start the gateway with DATA_DIR there)`)
  else rmSync(dataDir, { recursive: true, force: true })
}
