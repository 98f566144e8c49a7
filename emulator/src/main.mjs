#!/usr/bin/env node
// Entry point: node emulator/src/main.mjs --port P --control-port C [--root-key FILE]
//   [--qr-first-ms N] [--qr-next-ms N] [--group-addressing pn|lid] [--prekey-low-threshold N]
//   [--max-prekeys N] [--verbose]
// Prints one JSON line {"ws_url", "control_url"} on stdout when ready. Env WA_EMU_QR_FIRST_MS /
// WA_EMU_QR_NEXT_MS / WA_EMU_ROOT_KEY / WA_EMU_PREKEY_LOW_THRESHOLD / WA_EMU_MAX_PREKEYS are read
// when the flags are absent.
import { parseArgs } from 'node:util'
import { Emulator } from './server.mjs'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'control-port': { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'root-key': { type: 'string' },
    'qr-first-ms': { type: 'string' },
    'qr-next-ms': { type: 'string' },
    'group-addressing': { type: 'string' },
    'prekey-low-threshold': { type: 'string' },
    'max-prekeys': { type: 'string' },
    'no-media': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false }
  }
})

const int = (s, name) => {
  if (s === undefined) return undefined
  const n = Number(s)
  if (!Number.isInteger(n) || n < 0) { process.stderr.write(`--${name} must be a non-negative integer\n`); process.exit(2) }
  return n
}

const emu = new Emulator({
  host: values.host,
  port: int(values.port, 'port'),
  controlPort: int(values['control-port'], 'control-port'),
  rootKeyFile: values['root-key'] ?? process.env.WA_EMU_ROOT_KEY,
  qrFirstMs: int(values['qr-first-ms'] ?? process.env.WA_EMU_QR_FIRST_MS, 'qr-first-ms'),
  qrNextMs: int(values['qr-next-ms'] ?? process.env.WA_EMU_QR_NEXT_MS, 'qr-next-ms'),
  defaultGroupAddressing: values['group-addressing'],
  prekeyLowThreshold: int(values['prekey-low-threshold'] ?? process.env.WA_EMU_PREKEY_LOW_THRESHOLD, 'prekey-low-threshold'),
  maxPrekeys: int(values['max-prekeys'] ?? process.env.WA_EMU_MAX_PREKEYS, 'max-prekeys'),
  media: !values['no-media'],
  verbose: values.verbose
})

// Untrusted input never crashes the process: anything that escapes a handler is logged.
process.on('uncaughtException', (err) => emu.log.add('error', { where: 'uncaught', error: err.stack || String(err) }))
process.on('unhandledRejection', (err) => emu.log.add('error', { where: 'unhandled', error: err?.stack || String(err) }))

const ready = await emu.start()
process.stdout.write(JSON.stringify(ready) + '\n')

const shutdown = async () => { await emu.stop(); process.exit(0) }
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
