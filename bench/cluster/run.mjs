// Driver of bench/cluster (started by run.sh): cluster mode, several wa-gateway processes on one
// PostgreSQL database, against the benchmarks' emulator host (bench/gateway_pipeline/
// emulator_host.mjs, its own process).
//   node bench/cluster/run.mjs --bin GATEWAY --pg-url URL [--sessions 300] [--nodes 3]
//     [--rounds 3] [--handover-rounds 3] [--ttl 15] [--renew 3] [--batch 30] [--skip-throughput] [--tp-bots 60]
//     [--tp-senders 6] [--tp-messages 6000] [--tp-rate 3000] [--out FILE]
//
// Failover (each round on a fresh emulator and database): NODES nodes, SESSIONS sessions created
// and started round-robin over the nodes (as a load balancer spreads requests), paired by the
// emulator's scan. Then kill -9 of the last node; measured from the kill:
//   claimed_ms        every session it ran has a live lease (session_leases, the database's
//                     clock) held by another node
//   api_connected_ms  the session list of a surviving node shows all of them connected, with a
//                     node_id other than the dead node's
//   login_ms          the emulator logged every one of their devices in again
//   failover_ms       the largest of the three: all of them connected again elsewhere
// With LEASE_TTL_SECONDS=ttl the leases of the dead node expire ttl seconds after their last
// renewal at most; after_ttl_ms = failover_ms - ttl * 1000 is what the cluster adds to that.
// Handover (HANDOVER_ROUNDS rounds, the same way): SIGTERM instead of kill -9; the node gives its
// leases up at once, so no lease time is in the figure.
// Rejoin (after each failover and handover): the node is started again, and the two others, now
// over their share + 1, hand it their surplus (CLUSTER_REBALANCE, docs/CLUSTER.md); measured from
// its start until every node holds at most ceil(sessions / nodes) + 1 live leases and a node's
// session list shows every session connected: rejoin_ms, with moved = the sessions it took.
//
// Throughput (one emulator, one database): TP_BOTS bot sessions on one node, TP_SENDERS Baileys
// senders, each (sender, bot) chat warmed up once; then for 1, 2, ... NODES nodes (each added node
// gets its share of the sessions from the rebalancing, topped up to floor(bots / nodes) by stop +
// start through it): TP_MESSAGES messages encrypted
// ahead of time and released by the emulator at TP_RATE per second (more than the gateways
// drain); received_per_s = messages / (last webhook received - release start). Same mechanism
// as bench/gateway_pipeline (its emulator host is reused as is).
//
// One JSON line per measurement on stdout (and appended to --out), a summary at the end;
// progress on stderr.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { promisify, parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { api, freePort, note, pool, range, resultLog, sleep, startGateway, startHost } from '../lib/gateway_bench.mjs'

const { values: opt } = parseArgs({
  options: {
    bin: { type: 'string' },
    'pg-url': { type: 'string' },
    sessions: { type: 'string', default: '300' },
    nodes: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    'handover-rounds': { type: 'string', default: '3' },
    ttl: { type: 'string', default: '15' },
    renew: { type: 'string', default: '3' },
    batch: { type: 'string', default: '30' },
    'skip-throughput': { type: 'boolean', default: false },
    'tp-bots': { type: 'string', default: '60' },
    'tp-senders': { type: 'string', default: '6' },
    'tp-messages': { type: 'string', default: '6000' },
    'tp-rate': { type: 'string', default: '3000' },
    out: { type: 'string' }
  }
})
if (!opt.bin) throw new Error('--bin is required')
if (!opt['pg-url']) throw new Error('--pg-url is required')
const N = Number(opt.sessions)
const NODES = Number(opt.nodes)
const ROUNDS = Number(opt.rounds)
const HANDOVER_ROUNDS = Number(opt['handover-rounds'])
const TTL = Number(opt.ttl)
const RENEW = Number(opt.renew)
const BATCH = Number(opt.batch)
const TP_BOTS = Number(opt['tp-bots'])
const TP_SENDERS = Number(opt['tp-senders'])
const TP_MESSAGES = Number(opt['tp-messages'])
const TP_RATE = Number(opt['tp-rate'])

const here = path.dirname(fileURLToPath(import.meta.url))
const HOST = path.join(here, '../gateway_pipeline/emulator_host.mjs')
const execFileP = promisify(execFile)
const nowMs = () => Number(process.hrtime.bigint()) / 1e6 // CLOCK_MONOTONIC, as in the host
const { results, emit } = resultLog(opt.out)
const phoneOf = (jid) => String(jid ?? '').split(/[:@]/)[0]
const psql = async (url, q) => (await execFileP('psql', [url, '-qAt', '-F', '|', '-c', q], { encoding: 'utf8', timeout: 30000, maxBuffer: 1 << 26 }))
  .stdout.split('\n').filter((l) => l.length > 0).map((l) => l.split('|'))

// ---- a cluster on a fresh database --------------------------------------------------------------

let dbCounter = 0
/** A fresh database on the server; {url, drop()}. */
const freshDatabase = async () => {
  const name = `gwcluster_${process.pid}_${Date.now()}_${dbCounter++}`
  await psql(opt['pg-url'], `CREATE DATABASE ${name}`)
  const u = new URL(opt['pg-url'])
  u.pathname = `/${name}`
  return { url: u.toString(), drop: () => psql(opt['pg-url'], `DROP DATABASE ${name} WITH (FORCE)`).catch(() => {}) }
}

/**
 * A cluster on `dbUrl` against the emulator host `host`: start(i) starts node i (NODE_ID
 * bench-i); kill(i) sends SIGKILL; close() stops every node and removes their directories.
 */
const makeCluster = ({ dbUrl, host }) => {
  const nodes = []
  const gatewayEnv = Object.fromEntries((process.env.GATEWAY_ENV ?? '').split(/\s+/).filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
  const start = async (i) => {
    // A node started again (rejoin) gets a new data directory; the dead one's goes now.
    if (nodes[i] && !nodes[i].alive && !process.env.KEEP_DATA) rmSync(nodes[i].dataDir, { recursive: true, force: true })
    const dataDir = mkdtempSync(path.join(os.tmpdir(), `gw-cluster-bench-${i}-`))
    const port = await freePort()
    const env = {
      PATH: process.env.PATH,
      ASAN_OPTIONS: process.env.ASAN_OPTIONS ?? 'detect_leaks=0',
      PORT: String(port),
      BIND_ADDRESS: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      WHATSAPP_SERVER_URL: host.ws_url,
      WHATSAPP_ROOT_PUBLIC_KEY: host.root_public_key,
      RATE_LIMIT_PER_MINUTE: '1000000',
      GENERATE_PIN_PER_HOUR: '1000000',
      LOGIN_FAILURES_PER_MINUTE: '1000000',
      DATABASE_URL: dbUrl,
      CLUSTER_ENABLED: 'true',
      NODE_ID: `bench-${i}`,
      LEASE_TTL_SECONDS: String(TTL),
      LEASE_RENEW_SECONDS: String(RENEW),
      // One secret for all nodes: a token from one is good on the others.
      JWT_SECRET: 'bench-cluster-jwt-secret-0123456789abcdef01',
      PIN_SECRET: 'bench-cluster-pin-secret-0123456789abcdef01',
      ...gatewayEnv
    }
    const logFile = path.join(dataDir, 'gateway.log')
    const gw = await startGateway(opt.bin, { env, dataDir, port, logFile })
    nodes[i] = { i, id: `bench-${i}`, gw, dataDir, logFile, base: `http://127.0.0.1:${port}`, alive: true }
    return nodes[i]
  }
  return {
    nodes,
    start,
    kill: (i, signal = 'SIGKILL') => { process.kill(nodes[i].gw.pid, signal); nodes[i].alive = false },
    logTail: () => nodes.filter(Boolean).map((n) => { try { return `--- ${n.id}\n${readFileSync(n.logFile, 'utf8').split('\n').slice(-15).join('\n')}` } catch { return '' } }).join('\n'),
    close: async () => {
      await Promise.all(nodes.filter(Boolean).map(async (n) => {
        if (n.alive) await n.gw.stop().catch(() => {})
        if (!process.env.KEEP_DATA) rmSync(n.dataDir, { recursive: true, force: true })
      }))
    }
  }
}

/** A user's token (logged in on node 0; good on every node). */
const tokenOn = async (base) => {
  const { pin } = (await api(base)('POST', '/api/v1/auth/generate-pin')).json.data
  const r = await fetch(base + '/api/v1/auth/login', { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${pin}:`).toString('base64')}` } })
  if (!r.ok) throw new Error(`login: ${r.status} ${await r.text()}`)
  return (await r.json()).data.token
}

/** The session list from node `n`: Map id -> {status, node_id}; null when it does not answer. */
const listOf = async (n, token) => {
  try {
    const r = await fetch(`${n.base}/api/v1/sessions`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10000) })
    if (!r.ok) return null
    return new Map((await r.json()).data.map((s) => [s.session_id, s]))
  } catch { return null }
}

/** session_id -> {node, live} */
const leasesOf = async (dbUrl) => new Map((await psql(dbUrl, 'SELECT session_id, node_id, (expires_at > now())::int FROM session_leases')).map(([s, node, live]) => [s, { node, live: live === '1' }]))
const countsOf = (L) => {
  const c = {}
  for (const l of L.values()) if (l.live) c[l.node] = (c[l.node] ?? 0) + 1
  return c
}

/**
 * Creates `count` sessions (webhook `webhookUrl`) and starts them round-robin over `nodes`,
 * pairing each by the emulator's scan, BATCH at a time; resolves with {ids, phones, ms} once the
 * list shows every one connected.
 */
const pairSessions = async ({ nodes, token, host, count, webhookUrl, phoneBase }) => {
  const t0 = nowMs()
  const ids = new Array(count)
  const phones = Array.from({ length: count }, (_, i) => String(phoneBase + i))
  await pool([...Array(count).keys()], 16, async (i) => {
    const call = api(nodes[i % nodes.length].base, token)
    ids[i] = (await call('POST', '/api/v1/sessions', { session_name: `bot ${String(i).padStart(4, '0')}`, webhook_url: webhookUrl })).json.data.session_id
  })
  let done = 0
  await pool(ids, BATCH, async (id, i) => {
    const n = nodes[i % nodes.length]
    const call = api(n.base, token)
    const s = (await call('POST', `/api/v1/sessions/${id}/start`)).json.data
    if (s.status !== 'qr' || !s.qr_text) throw new Error(`start ${id} on ${n.id}: ${JSON.stringify(s).slice(0, 300)}`)
    await host.control('POST', '/accounts', { phone: phones[i] })
    await host.control('POST', `/accounts/${phones[i]}/scan`, { qr: s.qr_text })
    const deadline = Date.now() + 180000
    for (;;) {
      if ((await call('GET', `/api/v1/sessions/${id}`)).json.data.status === 'connected') break
      if (Date.now() > deadline) throw new Error(`session ${id} not connected 180 s after the scan`)
      await sleep(250)
    }
    if (++done % 50 === 0 || done === count) note(`  connected ${done}/${count} (${((nowMs() - t0) / 1000).toFixed(1)} s)`)
  })
  return { ids, phones, ms: Math.round(nowMs() - t0) }
}

// ---- failover -----------------------------------------------------------------------------------

const failoverRound = async (roundNo, signal = 'SIGKILL') => {
  const kind = signal === 'SIGKILL' ? 'failover' : 'handover'
  note(`${kind} round ${roundNo} (${signal}): ${N} sessions over ${NODES} nodes, lease ${TTL} s (renewed every ${RENEW} s)`)
  const out = { kind, round: roundNo, signal, sessions: N, nodes: NODES, lease_ttl_s: TTL, lease_renew_s: RENEW, load_before: os.loadavg()[0] }
  const host = await startHost(HOST)
  const db = await freshDatabase()
  const cluster = makeCluster({ dbUrl: db.url, host })
  try {
    for (let i = 0; i < NODES; i++) await cluster.start(i)
    const token = await tokenOn(cluster.nodes[0].base)
    const { ids, phones, ms } = await pairSessions({ nodes: cluster.nodes, token, host, count: N, webhookUrl: 'http://127.0.0.1:9/hook', phoneBase: 15550000000 })
    out.pair_ms = ms
    const phoneOfId = new Map(ids.map((id, i) => [id, phones[i]]))
    // Wait for a settled start: every session leased and listed connected.
    const settleDeadline = Date.now() + 60000
    let L
    for (;;) {
      L = await leasesOf(db.url)
      const list = await listOf(cluster.nodes[0], token)
      if (ids.every((id) => L.get(id)?.live) && list && ids.every((id) => list.get(id)?.status === 'connected')) break
      if (Date.now() > settleDeadline) throw new Error('sessions not all leased and connected 60 s after pairing')
      await sleep(250)
    }
    out.counts_before = countsOf(L)
    const victim = cluster.nodes[NODES - 1]
    const theirs = ids.filter((id) => L.get(id).node === victim.id)
    out.victim_sessions = theirs.length
    if (!theirs.length) throw new Error(`${victim.id} runs no session: ${JSON.stringify(out.counts_before)}`)
    const victimPhones = new Set(theirs.map((id) => phoneOfId.get(id)))
    const survivors = cluster.nodes.filter((n) => n !== victim)
    await sleep(2000)
    let since = (await host.call('log', { since: 0 })).next
    note(`  ${signal} to ${victim.id} (${theirs.length} sessions); counts ${JSON.stringify(out.counts_before)}`)
    const t0 = nowMs()
    cluster.kill(NODES - 1, signal)
    const loggedIn = new Set()
    let claimed = null; let listed = null; let login = null
    const deadline = Date.now() + (TTL + 180) * 1000
    let k = 0
    while (claimed === null || listed === null || login === null) {
      if (Date.now() > deadline) throw new Error(`not all ${theirs.length} sessions back ${TTL + 180} s after the kill: claimed ${claimed}, listed ${listed}, login ${login}`)
      const log = await host.call('log', { since })
      since = log.next
      for (const e of log.events) if (e.kind === 'login' && victimPhones.has(phoneOf(e.jid))) loggedIn.add(phoneOf(e.jid))
      if (login === null && loggedIn.size === victimPhones.size) login = nowMs() - t0
      if (claimed === null) {
        const L2 = await leasesOf(db.url)
        if (theirs.every((id) => L2.get(id)?.live && L2.get(id).node !== victim.id)) {
          claimed = nowMs() - t0
          out.counts_after = countsOf(L2)
        }
      }
      if (listed === null) {
        const list = await listOf(survivors[k++ % survivors.length], token)
        if (list && theirs.every((id) => list.get(id)?.status === 'connected' && list.get(id)?.node_id && list.get(id).node_id !== victim.id)) listed = nowMs() - t0
      }
      await sleep(100)
    }
    out.claimed_ms = Math.round(claimed)
    out.api_connected_ms = Math.round(listed)
    out.login_ms = Math.round(login)
    out.failover_ms = Math.round(Math.max(claimed, listed, login))
    if (signal === 'SIGKILL') out.after_ttl_ms = out.failover_ms - TTL * 1000
    note(`  ${kind} ${out.failover_ms} ms (claimed ${out.claimed_ms}, listed connected ${out.api_connected_ms}, emulator logins ${out.login_ms}); counts after ${JSON.stringify(out.counts_after)}`)

    // Rejoin: the node comes back; the others hand it their surplus.
    const limit = Math.ceil(N / NODES) + 1
    const t1 = nowMs()
    await cluster.start(NODES - 1)
    const rejoinDeadline = Date.now() + 180000
    for (let j = 0; ; j++) {
      const L3 = await leasesOf(db.url)
      const c = countsOf(L3)
      const list = await listOf(survivors[j % survivors.length], token)
      if (ids.every((id) => L3.get(id)?.live) && Object.values(c).every((x) => x <= limit) &&
          list && ids.every((id) => list.get(id)?.status === 'connected')) {
        out.rejoin_ms = Math.round(nowMs() - t1)
        out.rejoin_moved = c[victim.id] ?? 0
        out.counts_rejoined = c
        break
      }
      if (Date.now() > rejoinDeadline) throw new Error(`not balanced 180 s after ${victim.id} came back: ${JSON.stringify(c)}`)
      await sleep(100)
    }
    note(`  rejoin: balanced in ${out.rejoin_ms} ms, ${out.rejoin_moved} sessions moved to ${victim.id}; counts ${JSON.stringify(out.counts_rejoined)}`)
    out.ok = true
  } catch (err) {
    out.ok = false
    out.error = err.message
    note(`  FAILED: ${err.message}\n${cluster.logTail()}`)
  } finally {
    await cluster.close()
    await host.stop()
    await db.drop()
  }
  emit(out)
  return out
}

// ---- throughput ---------------------------------------------------------------------------------

/** Records the first arrival (monotonic ms) of each message id; answers warm-ups with a reply. */
const startReceiver = async () => {
  const r = { first: new Map(), count: 0, dups: 0 }
  r.server = http.createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const t = nowMs()
      let id; let warm = false
      try {
        const m = JSON.parse(Buffer.concat(chunks).toString('utf8')).message
        id = m?.id
        warm = typeof m?.content === 'string' && m.content.startsWith('warm-up')
      } catch {}
      if (id) {
        r.count++
        if (r.first.has(id)) r.dups++
        else r.first.set(id, t)
      }
      const body = warm ? '{"reply":"warm-up reply"}' : '{}'
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    })
  })
  r.server.keepAliveTimeout = 60000
  await new Promise((resolve) => r.server.listen(0, '127.0.0.1', resolve))
  r.url = `http://127.0.0.1:${r.server.address().port}/webhook/whatsapp`
  r.close = () => new Promise((resolve) => { r.server.closeAllConnections?.(); r.server.close(resolve) })
  return r
}

const pct = (sorted, p) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null

const throughput = async () => {
  note(`throughput: ${TP_BOTS} bots, ${TP_SENDERS} senders, ${TP_MESSAGES} messages released at ${TP_RATE}/s, 1..${NODES} nodes`)
  const host = await startHost(HOST)
  const rx = await startReceiver()
  const db = await freshDatabase()
  const cluster = makeCluster({ dbUrl: db.url, host })
  try {
    await cluster.start(0)
    const token = await tokenOn(cluster.nodes[0].base)
    const { ids, phones, ms } = await pairSessions({ nodes: [cluster.nodes[0]], token, host, count: TP_BOTS, webhookUrl: rx.url, phoneBase: 15560000000 })
    note(`  ${TP_BOTS} bots connected on one node (${(ms / 1000).toFixed(1)} s); pairing ${TP_SENDERS} senders`)
    await host.call('bots', { phones })
    await host.call('senders', { count: TP_SENDERS, base: 16670000000 })
    const warm = await host.call('warmup', {})
    note(`  warm-up done (${(warm.ms / 1000).toFixed(1)} s)`)
    for (let k = 1; k <= NODES; k++) {
      const out = { kind: 'throughput', nodes: k, bots: TP_BOTS, senders: TP_SENDERS, messages: TP_MESSAGES, release_rate: TP_RATE, lease_ttl_s: TTL, load_before: os.loadavg()[0] }
      try {
        if (k > 1) {
          // The new node takes its share: first from the others' rebalancing (they hold more
          // than their share + 1 now), then stop + start through it up to floor(bots / nodes) (a
          // start on a node under its share claims the session for that node).
          const added = await cluster.start(k - 1)
          const call = api(added.base, token)
          const want = Math.floor(TP_BOTS / k)
          const limit = Math.ceil(TP_BOTS / k) + 1
          const rebalanceDeadline = Date.now() + 60000
          while (Object.values(countsOf(await leasesOf(db.url))).some((x) => x > limit) && Date.now() < rebalanceDeadline) await sleep(250)
          for (;;) {
            const L = await leasesOf(db.url)
            const c = countsOf(L)
            if ((c[added.id] ?? 0) >= want) break
            const donor = Object.entries(c).filter(([id]) => id !== added.id).sort((x, y) => y[1] - x[1])[0][0]
            const picks = ids.filter((id) => L.get(id)?.live && L.get(id).node === donor).slice(0, Math.min(5, want - (c[added.id] ?? 0)))
            await Promise.all(picks.map(async (id) => {
              await call('POST', `/api/v1/sessions/${id}/stop`)
              await call('POST', `/api/v1/sessions/${id}/start`) // where it runs: the leases, above
            }))
          }
          const deadline = Date.now() + 60000
          for (;;) {
            const list = await listOf(added, token)
            if (list && ids.every((id) => list.get(id)?.status === 'connected')) break
            if (Date.now() > deadline) throw new Error('bots not all connected 60 s after the move')
            await sleep(250)
          }
        }
        out.counts = countsOf(await leasesOf(db.url))
        const prep = await host.call('prepare', { count: TP_MESSAGES })
        if (prep.held !== TP_MESSAGES) throw new Error(`prepared ${prep.held} of ${TP_MESSAGES} messages`)
        await sleep(1000)
        rx.dups = 0
        const rel = await host.call('release', { rate: TP_RATE })
        let last = -1; let lastChange = nowMs()
        const deadline = nowMs() + 300000
        for (;;) {
          let got = 0
          for (const id of rel.ids) if (rx.first.has(id)) got++
          if (got === rel.ids.length || nowMs() > deadline) break
          if (got !== last) { last = got; lastChange = nowMs() }
          if (nowMs() - lastChange > 20000) break
          await sleep(200)
        }
        await sleep(500)
        await host.call('settle')
        const times = rel.ids.map((id) => rx.first.get(id)).filter((t) => t !== undefined).sort((a, b) => a - b)
        const lat = rel.ids.map((id, i) => rx.first.has(id) ? rx.first.get(id) - rel.at[i] : null).filter((x) => x !== null).sort((a, b) => a - b)
        out.offered_per_s = Math.round(rel.achieved_per_s)
        out.received = times.length
        out.lost = rel.ids.length - times.length
        out.duplicates = rx.dups
        out.drain_ms = times.length ? Math.round(times[times.length - 1] - rel.start) : null
        out.received_per_s = times.length ? Math.round(times.length / ((times[times.length - 1] - rel.start) / 1000)) : 0
        out.latency_ms = { p50: Math.round(pct(lat, 50)), p99: Math.round(pct(lat, 99)), max: Math.round(lat[lat.length - 1] ?? 0) }
        out.ok = out.lost === 0
        note(`  ${k} node(s) ${JSON.stringify(out.counts)}: ${out.received_per_s} msg/s received (${out.received}/${TP_MESSAGES}, lost ${out.lost}, dups ${out.duplicates}, drained in ${out.drain_ms} ms, p50 ${out.latency_ms.p50} p99 ${out.latency_ms.p99} ms)`)
      } catch (err) {
        out.ok = false
        out.error = err.message
        note(`  FAILED: ${err.message}\n${cluster.logTail()}`)
      }
      emit(out)
      if (!out.ok && out.error) break
      await sleep(2000)
    }
  } finally {
    await cluster.close()
    await host.stop()
    await rx.close()
    await db.drop()
  }
}

// ---- rounds and summary -------------------------------------------------------------------------

const started = Date.now()
for (let r = 1; r <= ROUNDS; r++) await failoverRound(r)
for (let r = 1; r <= HANDOVER_ROUNDS; r++) await failoverRound(r, 'SIGTERM')
if (!opt['skip-throughput']) await throughput()

const lines = [`\nSummary (${((Date.now() - started) / 60000).toFixed(1)} min, ${os.cpus().length} cores, binary ${opt.bin}):`]
const f = results.filter((r) => r.kind === 'failover')
for (const r of f) {
  lines.push(r.ok
    ? `  failover round ${r.round}: kill -9 of 1 of ${r.nodes} nodes (${r.victim_sessions} of ${r.sessions} sessions) -> all connected elsewhere in ${r.failover_ms} ms (lease ${r.lease_ttl_s} s; +${r.after_ttl_ms} ms after it; claimed ${r.claimed_ms}, listed ${r.api_connected_ms}, logins ${r.login_ms}); back: balanced in ${r.rejoin_ms} ms (${r.rejoin_moved} moved)`
    : `  failover round ${r.round}: FAILED ${r.error}`)
}
const fok = f.filter((r) => r.ok)
if (fok.length) lines.push(`  failover: ${range(fok.map((r) => r.failover_ms))} ms over ${fok.length} round(s) (lease ${TTL} s, renew ${RENEW} s; after the lease: ${range(fok.map((r) => r.after_ttl_ms))} ms)`)
const h = results.filter((r) => r.kind === 'handover')
for (const r of h) {
  lines.push(r.ok
    ? `  handover round ${r.round}: SIGTERM to 1 of ${r.nodes} nodes (${r.victim_sessions} of ${r.sessions} sessions) -> all connected elsewhere in ${r.failover_ms} ms (claimed ${r.claimed_ms}, listed ${r.api_connected_ms}, logins ${r.login_ms}); back: balanced in ${r.rejoin_ms} ms (${r.rejoin_moved} moved)`
    : `  handover round ${r.round}: FAILED ${r.error}`)
}
const hok = h.filter((r) => r.ok)
if (hok.length) lines.push(`  handover: ${range(hok.map((r) => r.failover_ms))} ms over ${hok.length} round(s)`)
const rj = [...fok, ...hok]
if (rj.length) lines.push(`  rejoin (rebalancing): ${range(rj.map((r) => r.rejoin_ms))} ms over ${rj.length} round(s), ${range(rj.map((r) => r.rejoin_moved))} sessions moved`)
for (const r of results.filter((x) => x.kind === 'throughput')) {
  lines.push(r.ok
    ? `  throughput with ${r.nodes} node(s): ${r.received_per_s} msg/s (${r.messages} messages released at ${r.offered_per_s}/s, lost ${r.lost}, dups ${r.duplicates}, p50 ${r.latency_ms.p50} ms, p99 ${r.latency_ms.p99} ms)`
    : `  throughput with ${r.nodes} node(s): FAILED ${r.error ?? `lost ${r.lost}`}`)
}
process.stdout.write(lines.join('\n') + '\n')
process.exit(results.every((r) => r.ok) ? 0 : 1)
