// The curl collection in docs/ must keep working: run all of its sh blocks against a gateway.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, startGateway } from './harness.mjs';

test('docs/CURL_COLLECTION.md runs top to bottom and gets the documented answers', async () => {
  const doc = readFileSync(path.join(repoRoot, 'docs/CURL_COLLECTION.md'), 'utf8');
  const blocks = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length >= 8, 'the collection has its examples');
  const gw = await startGateway();
  try {
    const r = spawnSync('bash', ['-euo', 'pipefail', '-c', blocks.join('\n')], {
      env: { PATH: process.env.PATH, BASE: gw.base }, encoding: 'utf8', timeout: 60000,
    });
    assert.equal(r.status, 0, `stderr:\n${r.stderr}\nstdout:\n${r.stdout}`);
    assert.match(r.stdout, /"status":"healthy"/);
    assert.match(r.stdout, /PIN: [A-Z0-9]{6}\n/);
    assert.match(r.stdout, /"message":"Login successful"/);
    assert.match(r.stdout, /"message":"Logout successful"/);
    assert.match(r.stdout, /"key":"wag_[A-Za-z0-9_-]{43}"/);
    assert.match(r.stdout, /"message":"API key revoked"/);
    const codes = r.stdout.split('\n').filter((l) => /^\d{3}$/.test(l));
    assert.deepEqual(codes, ['401', '401', '401'], 'wrong PIN, revoked API key and revoked token are refused');
  } finally {
    await gw.cleanup();
  }
});
