// Cluster rebalancing leaves a session alone while one of its webhooks is in flight
// (docs/CLUSTER.md, "Rebalancing"). Two real gateway processes on one PostgreSQL database, the
// project's emulator, a Baileys peer and a real local webhook receiver that holds its answers.
//
// Node A runs four paired sessions alone; the peer writes to each bot and the receiver keeps all
// four requests open. Node B joins: A is then over its share + 1 (4 > ceil(4/2) + 1) and would
// hand one session to B, but each of its sessions has a delivery in flight, so none may move
// while the requests are open (a moved one would be POSTed again by B, and its answer's reply
// would go through a connection that is gone). Once the receiver answers, every reply reaches the
// peer, one session moves to B, and B delivers that bot's next message.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pairedPeer } from '../../emulator/src/peer.mjs';
import { call, freshPostgresDatabase, login, sleep, sql, waitFor } from './harness.mjs';
import { createSession, newUser, startClusterNode, startEmulator } from './wa_env.mjs';
import { startReceiver } from './receiver.mjs';

const TTL = 6;
const RENEW = 1;
const BOTS = 4;
const BOT_BASE = 6285560000000;
const skip = process.env.TEST_DATABASE_URL ? false : 'needs TEST_DATABASE_URL (scripts/test.sh starts a PostgreSQL)';
const log = (s) => process.stderr.write(`[rebalance ${new Date().toISOString().slice(11, 23)}] ${s}\n`);
const textOf = (m) => m.message?.conversation ?? m.message?.extendedTextMessage?.text;

describe('cluster rebalancing and webhooks in flight', { skip }, () => {
  let emu, rx, peer, dbUrl, a, b, token, pin;
  const bots = []; // {phone, id}
  let release; // answers the held requests
  const held = new Promise((ok) => { release = ok; });

  before(async () => {
    emu = await startEmulator();
    rx = await startReceiver();
    rx.respond = async (entry) => {
      const text = entry.json?.message?.content ?? '';
      if (text.startsWith('hold ')) await held;
      return { status: 200, body: JSON.stringify({ reply: `answer to ${text}` }) };
    };
    peer = await pairedPeer(emu.control_url, '6285569000001', { pushName: 'Rebalance peer' });
    dbUrl = freshPostgresDatabase();
  });

  after(async () => {
    release?.();
    await Promise.all([a, b].filter(Boolean).map((g) => g.cleanup()));
    await peer?.stop().catch(() => {});
    await rx?.close();
    await emu?.stop();
  });

  const node = (id) => startClusterNode({ emu, dbUrl, id, ttl: TTL, renew: RENEW });
  const owners = () => new Map(sql(a, 'SELECT session_id, node_id FROM session_leases WHERE expires_at > now()'));
  const countOn = (m, id) => [...m.values()].filter((n) => n === id).length;

  test('no session moves while its webhook is in flight; after the answers one moves and its replies all arrive once', async () => {
    a = await node('node-a');
    ({ pin } = await newUser(a));
    token = await login(a, pin);
    for (let i = 0; i < BOTS; i++) {
      const s = await createSession(a, token, `bot ${i}`, rx.url);
      const st = await call(a, 'POST', `/api/v1/sessions/${s.session_id}/start`, { token });
      assert.equal(st.status, 200, st.text);
      const phone = String(BOT_BASE + i + 1);
      await emu.scan(phone, st.json.data.qr_text);
      bots.push({ phone, id: s.session_id });
    }
    const connected = await waitFor(async () => {
      const r = await call(a, 'GET', '/api/v1/sessions', { token });
      return r.json.data.filter((s) => s.status === 'connected').length === BOTS;
    }, { timeoutMs: 60000, intervalMs: 200 });
    assert.ok(connected, 'the four sessions did not connect on node-a');
    const pairedAt = Date.now();
    assert.equal(countOn(owners(), 'node-a'), BOTS);

    // One message to each bot; the receiver keeps the four requests open.
    const hold = [];
    for (const [i, bot] of bots.entries()) hold.push((await peer.sendText(`${bot.phone}@s.whatsapp.net`, `hold ${i}`)).key.id);
    const open = await waitFor(() => hold.every((id) => rx.requests.some((q) => q.json.message?.id === id)), { timeoutMs: 30000 });
    assert.ok(open, `not every held message reached the receiver: ${JSON.stringify(rx.requests.map((q) => q.json.message?.content))}`);

    // Node B joins. Rebalancing needs node-a over its share for two renewal intervals, node-b
    // started a renewal ago, and each session held for two lease times: all of that is past
    // well before the end of this wait, and still no lease may leave node-a.
    b = await node('node-b');
    const joinedAt = Date.now();
    const until = Math.max(pairedAt + 2 * TTL * 1000, joinedAt + 3 * RENEW * 1000) + 6000;
    while (Date.now() < until) {
      const m = owners();
      assert.equal(countOn(m, 'node-a'), BOTS, `a session left node-a while its webhook was in flight: ${JSON.stringify([...m])}`);
      await sleep(250);
    }
    assert.equal(rx.requests.filter((q) => hold.includes(q.json.message?.id)).length, BOTS, 'a held message was POSTed twice');
    log(`held ${Date.now() - joinedAt} ms after node-b joined with all four sessions on node-a`);

    // The answers: each reply reaches the peer; then node-a hands one session over.
    const releasedAt = Date.now();
    release();
    const replies = await waitFor(() => bots.every((_, i) => peer.inbox.some((m) => textOf(m) === `answer to hold ${i}`)), { timeoutMs: 30000 });
    assert.ok(replies, `replies missing: ${JSON.stringify(peer.inbox.map(textOf))}`);
    const moved = await waitFor(() => countOn(owners(), 'node-b') === 1 && countOn(owners(), 'node-a') === BOTS - 1, { timeoutMs: 30000, intervalMs: 200 });
    assert.ok(moved, `no session moved to node-b after the answers: ${JSON.stringify([...owners()])}`);
    log(`one session on node-b ${Date.now() - releasedAt} ms after the answers`);

    // The moved bot answers through node-b; nothing held was delivered again.
    const movedId = [...owners()].find(([, n]) => n === 'node-b')[0];
    const movedBot = bots.find((x) => x.id === movedId);
    await waitFor(async () => (await call(b, 'GET', `/api/v1/sessions/${movedId}`, { token: await login(b, pin) })).json?.data?.status === 'connected', { timeoutMs: 30000 });
    const after = (await peer.sendText(`${movedBot.phone}@s.whatsapp.net`, 'after the move')).key.id;
    const reached = await waitFor(() => rx.requests.some((q) => q.json.message?.id === after), { timeoutMs: 30000 });
    assert.ok(reached, 'the moved bot\'s next message did not reach the receiver');
    assert.ok(await waitFor(() => peer.inbox.some((m) => textOf(m) === 'answer to after the move'), { timeoutMs: 30000 }), 'no reply through node-b');
    for (const id of hold) {
      const q = rx.requests.filter((r) => r.json.message?.id === id);
      assert.equal(q.length, 1, `message ${id} POSTed ${q.length} times`);
    }
    const attempts = sql(a, `SELECT COUNT(*) FROM webhook_attempts t JOIN webhook_deliveries d ON d.id = t.delivery_id WHERE d.session_id = '${movedId}'`);
    assert.equal(Number(attempts[0][0]), 2, 'the moved session\'s two deliveries took one attempt each');
  });
});
