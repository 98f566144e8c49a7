// The gateway links and runs WhatsApp numbers. The real gateway binary against the
// project's emulator, real WebSocket clients, on SQLite and PostgreSQL: the whole journey from a
// new account to a deleted session, with restarts in between.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { call, dialects, lastTestNoSanitizerReports, sleep, startGateway, waitFor } from './harness.mjs';
import { WsClient, createSession, decodeQr, newUser, startEmulator, waitSession, wsUrl } from './wa_env.mjs';

const relaxed = { GENERATE_PIN_PER_HOUR: '1000000', RATE_LIMIT_PER_MINUTE: '1000000', LOGIN_FAILURES_PER_MINUTE: '1000000' };

for (const dialect of dialects()) {
  describe(`session journey on ${dialect}`, () => {
    let emu, gw, dir, env;
    const restart = async () => {
      const r = await gw.stop('SIGTERM');
      assert.equal(r.code, 0, `gateway exit ${JSON.stringify(r)}: ${gw.stderr}`);
      gw = await startGateway({ dialect, dataDir: dir, env });
    };
    before(async () => {
      emu = await startEmulator();
      dir = mkdtempSync(path.join(os.tmpdir(), 'gw-sessions-'));
      gw = await startGateway({ dialect, dataDir: dir, env: { ...relaxed, ...emu.env } });
      env = { ...relaxed, ...emu.env, ...(dialect === 'postgres' ? { DATABASE_URL: gw.env.DATABASE_URL } : {}) };
    });
    after(async () => {
      await gw?.stop();
      await emu?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('QR, scan, restart, stop, start, reconnect, drop, logout, phone code, delete', async () => {
      const phone = dialect === 'sqlite' ? '6281100000001' : '6281100000002';
      const { token } = await newUser(gw);
      const created = await createSession(gw, token, 'Agent 1');
      assert.equal(created.status, 'disconnected');
      assert.equal(created.qr_code, null);
      assert.equal(created.phone_number, null);
      const id = created.session_id;

      // A new subscriber first gets the current state.
      const ws = await WsClient.open(wsUrl(gw, `/ws/sessions/${id}`, token));
      const first = await ws.next('status_update');
      assert.equal(first.session_id, id);
      assert.equal(first.data.status, 'disconnected');
      assert.match(first.timestamp, /Z$/);

      // start -> QR (PNG that decodes to qr_text), pushed over the socket too.
      const started = await call(gw, 'POST', `/api/v1/sessions/${id}/start`, { token });
      assert.equal(started.status, 200, started.text);
      const s = started.json.data;
      assert.equal(s.status, 'qr');
      assert.equal(s.node_id, null, 'one process: no node id');
      assert.match(s.qr_text, /(^|#)2@[^,]+,/);
      assert.equal(decodeQr(s.qr_code), s.qr_text);
      assert.ok(s.expires_in > 0 && s.expires_in <= 60, `expires_in ${s.expires_in}`);
      const qrMsg = await ws.next('qr_update');
      assert.equal(qrMsg.data.qr_text, s.qr_text);
      assert.equal(decodeQr(qrMsg.data.qr_code), qrMsg.data.qr_text);
      const qrGet = await call(gw, 'GET', `/api/v1/sessions/${id}/qr`, { token });
      assert.equal(qrGet.status, 200, qrGet.text);
      assert.equal(qrGet.json.data.qr_text, s.qr_text);
      // start again while the QR is shown: idempotent, same QR.
      const again = await call(gw, 'POST', `/api/v1/sessions/${id}/start`, { token });
      assert.equal(again.json.data.status, 'qr');
      assert.equal(again.json.data.qr_text, s.qr_text);

      // The phone scans it.
      const paired = await emu.scan(phone, s.qr_text);
      const conn = await ws.next((m) => m.type === 'status_update' && m.data.status === 'connected');
      assert.equal(conn.data.phone_number, phone);
      assert.equal(conn.data.device_info.jid.split(/[:@]/)[0], phone);
      assert.equal(conn.data.device_info.lid, paired.lid);
      const detail = (await call(gw, 'GET', `/api/v1/sessions/${id}`, { token })).json.data;
      assert.equal(detail.status, 'connected');
      assert.equal(detail.phone_number, phone);
      assert.equal(detail.device_info.jid, paired.jid);
      assert.ok(detail.last_connected);
      const listed = (await call(gw, 'GET', '/api/v1/sessions', { token })).json.data;
      assert.equal(listed.find((x) => x.session_id === id).status, 'connected', 'the list follows the live state');
      const health = (await call(gw, 'GET', '/health')).json;
      assert.equal(health.active_sessions, 1);
      const noQr = await call(gw, 'GET', `/api/v1/sessions/${id}/qr`, { token });
      assert.equal(noQr.status, 409);
      ws.close();

      // Restart: the stored device logs in again without a QR.
      await restart();
      const ws2 = await WsClient.open(wsUrl(gw, '/ws', token));
      await waitSession(gw, token, id, (d) => d.status === 'connected', { what: 'connected after restart' });
      assert.ok(!ws2.messages.some((m) => m.type === 'qr_update'), 'no QR after a restart');
      const devs = await emu.devices(phone);
      assert.equal(devs.filter((d) => d.connected).length, 1);
      ws2.close();

      // stop: disconnected, and stays so across a restart.
      const stopped = await call(gw, 'POST', `/api/v1/sessions/${id}/stop`, { token });
      assert.equal(stopped.status, 200, stopped.text);
      assert.equal(stopped.json.data.status, 'disconnected');
      assert.equal(stopped.json.data.status_reason, 'stopped');
      await waitFor(async () => (await emu.devices(phone)).every((d) => !d.connected));
      await restart();
      await sleep(1500);
      const afterStop = (await call(gw, 'GET', `/api/v1/sessions/${id}`, { token })).json.data;
      assert.equal(afterStop.status, 'disconnected');
      assert.equal(afterStop.status_reason, 'stopped');
      assert.ok((await emu.devices(phone)).every((d) => !d.connected), 'a stopped session stays off');

      // start: a stored device answers connected at once (no QR).
      const restarted = await call(gw, 'POST', `/api/v1/sessions/${id}/start`, { token });
      assert.equal(restarted.json.data.status, 'connected', restarted.text);
      assert.equal(restarted.json.data.qr_code, null);

      // reconnect drops and re-opens.
      const logBefore = (await emu.control('GET', '/log?since=0')).body.events.filter((e) => e.kind === 'login').length;
      const rec = await call(gw, 'POST', `/api/v1/sessions/${id}/reconnect`, { token });
      assert.equal(rec.json.data.status, 'connected', rec.text);
      const logAfter = (await emu.control('GET', '/log?since=0')).body.events.filter((e) => e.kind === 'login').length;
      assert.equal(logAfter, logBefore + 1, 'reconnect made a new login');

      // The server drops the connection: the session comes back by itself.
      const ws3 = await WsClient.open(wsUrl(gw, `/ws/sessions/${id}`, token));
      await ws3.next('status_update');
      await emu.fault({ phone, kind: 'drop' });
      await ws3.next((m) => m.type === 'status_update' && m.data.status === 'disconnected');
      await ws3.next((m) => m.type === 'status_update' && m.data.status === 'connected');
      const metrics = await (await fetch(`${gw.base}/metrics`)).text();
      assert.match(metrics, /wa_session_reconnects_total [1-9]/);
      assert.match(metrics, /wa_sessions\{status="connected"\} 1/);

      // The phone removes the device: logged_out, keys wiped, the next start shows a QR.
      await emu.fault({ phone, kind: 'stream_error', code: 'device_removed' });
      const out = await ws3.next((m) => m.type === 'status_update' && m.data.status_reason === 'logged_out');
      assert.equal(out.data.status, 'disconnected');
      const fresh = await call(gw, 'POST', `/api/v1/sessions/${id}/start`, { token });
      assert.equal(fresh.json.data.status, 'qr', fresh.text);
      assert.notEqual(fresh.json.data.qr_text, s.qr_text);

      // Pair by phone code instead.
      const pc = await call(gw, 'POST', `/api/v1/sessions/${id}/pair-code`, { token, body: { phone: `+${phone}` } });
      assert.equal(pc.status, 200, pc.text);
      assert.match(pc.json.data.code, /^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
      const linked = await emu.control('POST', `/accounts/${phone}/link-code`, { code: pc.json.data.code });
      assert.equal(linked.status, 200, JSON.stringify(linked.body));
      await ws3.next((m) => m.type === 'status_update' && m.data.status === 'connected');
      const devJid = (await call(gw, 'GET', `/api/v1/sessions/${id}`, { token })).json.data.device_info.jid;
      assert.ok((await emu.devices(phone)).some((d) => d.jid === devJid));

      // Delete: logged out of WhatsApp (gone from the phone's list), session and data gone.
      const del = await call(gw, 'DELETE', `/api/v1/sessions/${id}`, { token });
      assert.equal(del.status, 200, del.text);
      assert.equal(del.json.data.logged_out, true);
      assert.ok(!(await emu.devices(phone)).some((d) => d.jid === devJid), 'device removed from the phone');
      assert.equal((await call(gw, 'GET', `/api/v1/sessions/${id}`, { token })).status, 404);
      ws3.close();
    });
  });
}

lastTestNoSanitizerReports();
