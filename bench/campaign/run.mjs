// Larger crash and fault campaigns than the test suite runs (tests/campaign/campaign.mjs): RUNS
// seeded runs of each kind, one JSON line per run (seed, kills, PostgreSQL stops, faults,
// messages, delivered, lost, duplicate deliveries), a total per kind at the end. A failing run
// prints its seed; replay it with CAMPAIGN_SEED=<seed> node --test tests/integration/campaigns.test.mjs
// or with --seed here.
//   node bench/campaign/run.mjs [--runs 5] [--messages 60] [--kills 5] [--pg-stops 2] [--faults 10]
//     [--only crash-sqlite,crash-postgres,pg-postgres,fault-sqlite,fault-postgres] [--seed N] [--out FILE]
// GATEWAY_BIN picks the binary; TEST_DATABASE_URL and TEST_PG_DIR the PostgreSQL server (run.sh
// starts one).
import { appendFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { runCampaign } from '../../tests/campaign/campaign.mjs'

const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    messages: { type: 'string', default: '60' },
    kills: { type: 'string', default: '5' },
    'pg-stops': { type: 'string', default: '2' },
    faults: { type: 'string', default: '10' },
    only: { type: 'string', default: 'crash-sqlite,crash-postgres,pg-postgres,fault-sqlite,fault-postgres' },
    seed: { type: 'string' },
    out: { type: 'string' }
  }
})
const emit = (o) => {
  const line = JSON.stringify({ date: new Date().toISOString(), ...o })
  process.stdout.write(line + '\n')
  if (opt.out) appendFileSync(opt.out, line + '\n')
}
const log = (s) => process.stderr.write(`${s}\n`)
const runs = Number(opt.runs)
let failed = 0
for (const what of opt.only.split(',')) {
  const [mode, dialect] = what.split('-')
  const total = { kind: 'total', what, runs: 0, kills: 0, pg_stops: 0, faults: 0, messages: 0, lost: 0, duplicates: 0, failed: 0 }
  for (let i = 0; i < runs; i++) {
    const seed = opt.seed ? Number(opt.seed) + i : Math.floor(Math.random() * 1e6)
    const args = {
      kind: mode === 'fault' ? 'fault' : 'crash',
      dialect,
      seed,
      messages: Number(opt.messages),
      peers: 3,
      kills: mode === 'fault' ? 0 : Number(opt.kills),
      pgStops: mode === 'pg' ? Number(opt['pg-stops']) : 0,
      faults: Number(opt.faults),
      log,
      phoneBase: 6288000000000 + i * 1000000
    }
    const t0 = Date.now()
    try {
      const s = await runCampaign(args)
      emit({ kind: 'run', what, seed, ok: true, seconds: Math.round((Date.now() - t0) / 1000), kills: s.kills, pg_stops: s.pgStops, faults: s.faults.length, messages: s.messages, delivered: s.delivered, lost: s.lost, duplicates: s.duplicates })
      Object.assign(total, { runs: total.runs + 1, kills: total.kills + s.kills, pg_stops: total.pg_stops + s.pgStops, faults: total.faults + s.faults.length, messages: total.messages + s.messages, lost: total.lost + s.lost, duplicates: total.duplicates + s.duplicates })
    } catch (err) {
      failed++
      total.runs++
      total.failed++
      emit({ kind: 'run', what, seed, ok: false, error: String(err.message).slice(0, 2000) })
    }
  }
  emit(total)
}
process.exit(failed ? 1 : 0)
