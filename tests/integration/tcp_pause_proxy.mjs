// A TCP proxy whose forwarding can be paused: a network pause between one gateway and its
// database, for tests/integration/cluster.test.mjs. Point the gateway's DATABASE_URL at the
// proxy's port; pause() stops forwarding both ways without closing anything (no byte, FIN or
// RST crosses until resume(): the sockets stop being read, so what either side writes waits in
// the kernel's buffers, as on a stalled link); resume() lets everything through again, in order.
// Connections opened during a pause are accepted and held the same way.
import net from 'node:net';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

/**
 * Starts a proxy from 127.0.0.1:`listenPort` (0: a free port) to `targetHost`:`targetPort`.
 * Resolves with {port, paused, connections, pause(), resume(), close()}.
 */
export async function startPauseProxy({ targetPort, targetHost = '127.0.0.1', listenPort = 0 }) {
  const pairs = new Set();
  const proxy = {
    port: 0,
    paused: false,
    /** Connections accepted so far. */
    connections: 0,
    /** Connections open now. */
    get open() { return pairs.size; },
    pause() {
      proxy.paused = true;
      for (const p of pairs) { p.client.pause(); p.upstream.pause(); }
    },
    resume() {
      proxy.paused = false;
      for (const p of pairs) {
        p.client.resume();
        p.upstream.resume();
        // An end or a reset that arrived during the pause crosses now, after the data before it.
        for (const f of p.held.splice(0)) f();
      }
    },
    close: () => new Promise((resolve) => {
      for (const p of pairs) { p.client.destroy(); p.upstream.destroy(); }
      pairs.clear();
      server.close(() => resolve());
    }),
  };

  // Half-open connections stay half-open: an end from one side reaches the other after the data.
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    proxy.connections++;
    const upstream = net.connect({ port: targetPort, host: targetHost, allowHalfOpen: true });
    const pair = { client, upstream, held: [] };
    pairs.add(pair);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    if (proxy.paused) { client.pause(); upstream.pause(); }
    // While paused the sockets are not read, so 'data' does not fire; 'end' and 'close' of a
    // socket whose buffered data was already read can still fire: they wait for resume().
    const later = (f) => (proxy.paused ? pair.held.push(f) : f());
    const link = (from, to) => {
      from.on('data', (d) => { if (!to.destroyed) to.write(d); });
      from.on('end', () => later(() => { if (!to.destroyed) to.end(); }));
      from.on('error', () => {});
      from.on('close', (hadError) => later(() => {
        pairs.delete(pair);
        if (hadError) to.destroy();
        else if (!to.destroyed) to.end();
      }));
    };
    link(client, upstream);
    link(upstream, client);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', resolve);
  });
  proxy.port = server.address().port;
  return proxy;
}

/**
 * startPauseProxy() on a worker thread of its own: the test process also runs the emulator and
 * the Baileys peers, whose work can hold its event loop for seconds; a proxy there would stall
 * the database link of its gateway when nobody asked for a pause. Resolves with
 * {port, paused, pause(), resume(), close()}; pause() and resume() take effect within a
 * millisecond or so (a message to the thread).
 */
export async function startPauseProxyThread({ targetPort, targetHost = '127.0.0.1' }) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { pauseProxy: { targetPort, targetHost } } });
  const port = await new Promise((resolve, reject) => {
    worker.once('message', (m) => resolve(m.port));
    worker.once('error', reject);
  });
  const proxy = {
    port,
    paused: false,
    pause() { proxy.paused = true; worker.postMessage('pause'); },
    resume() { proxy.paused = false; worker.postMessage('resume'); },
    close: async () => { await worker.terminate(); },
  };
  return proxy;
}

if (!isMainThread && workerData?.pauseProxy) {
  const p = await startPauseProxy(workerData.pauseProxy);
  parentPort.on('message', (m) => {
    if (m === 'pause') p.pause();
    else if (m === 'resume') p.resume();
  });
  parentPort.postMessage({ port: p.port });
}
