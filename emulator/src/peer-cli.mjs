#!/usr/bin/env node
// Baileys peer as a process: other programs (C++ tests, benchmarks) drive "other WhatsApp users".
//   node emulator/src/peer-cli.mjs --control-url URL --phone 15550001111 [--name Alice] [--link-code]
// Pairs through the control API, then prints JSON lines on stdout:
//   {"event":"ready","jid","lid"} {"event":"message","id","from","participant","text","mentions"}
//   {"event":"status","id","status"} {"event":"close","code"} {"event":"result","ref",...} {"event":"error",...}
// and reads JSON-line commands on stdin:
//   {"cmd":"send","to":"<jid>","text":"...","mentions":[...],"ref":"r1"}   -> {"event":"result","ref","id"}
//   {"cmd":"image","to":"<jid>","path":"file.png","caption":"..."}
//   {"cmd":"read","id":"<message id>"}   (read receipt for a received message)
//   {"cmd":"logout"}   {"cmd":"quit"}
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { pairedPeer } from './peer.mjs'

const { values } = parseArgs({
  options: {
    'control-url': { type: 'string' },
    phone: { type: 'string' },
    name: { type: 'string' },
    'link-code': { type: 'boolean', default: false }
  }
})
if (!values['control-url'] || !values.phone) {
  process.stderr.write('usage: peer-cli.mjs --control-url URL --phone DIGITS [--name NAME] [--link-code]\n')
  process.exit(2)
}

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
const textOf = (m) => m.message?.conversation ?? m.message?.extendedTextMessage?.text ?? m.message?.imageMessage?.caption

const peer = await pairedPeer(values['control-url'], values.phone, { pushName: values.name, linkCode: values['link-code'] })
peer.on('message', (m) => out({
  event: 'message',
  id: m.key.id,
  from: m.key.remoteJid,
  participant: m.key.participant || undefined,
  text: textOf(m),
  mentions: m.message?.extendedTextMessage?.contextInfo?.mentionedJid || undefined,
  media: m.message?.imageMessage ? 'image' : undefined
}))
peer.on('update', (u) => { if (u.update.status !== undefined) out({ event: 'status', id: u.key.id, status: u.update.status }) })
peer.on('connection', (u) => { if (u.connection === 'close') out({ event: 'close', code: u.lastDisconnect?.error?.output?.statusCode }) })
out({ event: 'ready', jid: peer.jid, lid: peer.lid })

const rl = createInterface({ input: process.stdin })
rl.on('line', async (line) => {
  let cmd
  try { cmd = JSON.parse(line) } catch { return out({ event: 'error', error: 'command is not JSON' }) }
  try {
    switch (cmd.cmd) {
      case 'send': {
        const m = await peer.sendText(cmd.to, cmd.text, cmd.mentions ? { mentions: cmd.mentions } : {})
        return out({ event: 'result', ref: cmd.ref, id: m.key.id })
      }
      case 'image': {
        const m = await peer.sendImage(cmd.to, readFileSync(cmd.path), cmd.caption)
        return out({ event: 'result', ref: cmd.ref, id: m.key.id })
      }
      case 'read': {
        const m = peer.inbox.find(x => x.key.id === cmd.id)
        if (!m) throw new Error(`no received message ${cmd.id}`)
        await peer.sock.readMessages([m.key])
        return out({ event: 'result', ref: cmd.ref })
      }
      case 'logout':
        await peer.sock.logout()
        return out({ event: 'result', ref: cmd.ref })
      case 'quit':
        await peer.stop()
        process.exit(0)
        break
      default:
        throw new Error(`unknown cmd ${cmd.cmd}`)
    }
  } catch (err) {
    out({ event: 'error', ref: cmd.ref, error: err.message })
  }
})
rl.on('close', async () => { await peer.stop(); process.exit(0) })
