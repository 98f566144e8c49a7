// Test support: start the emulator exactly as other tools do (child process, port 0, ready line).
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { control } from '../src/peer.mjs'

const MAIN = fileURLToPath(new URL('../src/main.mjs', import.meta.url))

export const startEmulator = async (extraArgs = []) => {
  const child = spawn(process.execPath, [MAIN, '--port', '0', '--control-port', '0', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => { stderr += d; if (stderr.length > 100000) stderr = stderr.slice(-50000) })
  const rl = createInterface({ input: child.stdout })
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`emulator not ready: ${stderr}`)), 15000)
    rl.once('line', (line) => { clearTimeout(timer); resolve(JSON.parse(line)) })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`emulator exited ${code}: ${stderr}`)) })
  })
  const exited = new Promise(resolve => child.once('exit', (code, signal) => resolve({ code, signal })))
  const api = (method, path, body) => control(ready.control_url, method, path, body)
  return {
    ...ready,
    child,
    api,
    get stderr () { return stderr },
    alive: () => child.exitCode === null && child.signalCode === null,
    /** Log events of the given kinds since the start. */
    events: async (...kinds) => (await api('GET', '/log?since=0')).events.filter(e => !kinds.length || kinds.includes(e.kind)),
    /** Waits until nothing sent by the server is left unacknowledged (or throws with the leftovers). */
    assertAllAcked: async (timeoutMs = 5000) => {
      const until = Date.now() + timeoutMs
      let left
      do {
        left = await api('GET', '/unacked')
        if (!left.length) break
        await new Promise(resolve => setTimeout(resolve, 100))
      } while (Date.now() < until)
      const lost = (await api('GET', '/log?since=0')).events.filter(e => e.kind === 'unacked')
      if (left.length || lost.length) throw new Error(`unacknowledged stanzas: ${JSON.stringify({ pending: left, closedWithPending: lost })}`)
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      let timer
      const r = await Promise.race([exited, new Promise(resolve => { timer = setTimeout(() => resolve(null), 3000) })])
      clearTimeout(timer)
      if (!r) { child.kill('SIGKILL'); await exited }
    }
  }
}

export const sleep = (ms) => new Promise(resolve => setTimeout(resolve, ms))

export const textOf = (m) => m?.message?.conversation ?? m?.message?.extendedTextMessage?.text

/** 1x1 PNG. */
export const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex')
