// The test machinery fails loudly instead of passing for the wrong reason: a fuzz run with no
// target built, and a build whose Node-driven tests could not be registered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

test('the fuzz runner fails when no fuzz target was built', () => {
  const empty = mkdtempSync(path.join(os.tmpdir(), 'fuzz-empty-'));
  try {
    const r = spawnSync(path.join(root, 'scripts/run-fuzzers.sh'), [], {
      env: { ...process.env, FUZZ_BUILD_DIR: empty, FUZZ_SKIP_BUILD: '1', FUZZ_SECONDS: '1' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /no fuzz target was built/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('configuring the tests without node stops with a message instead of registering fewer tests', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cmake-nonode-'));
  try {
    const r = spawnSync('cmake', ['-S', root, '-B', dir, '-G', 'Ninja', '-DNODE_EXECUTABLE=/nonexistent/node'], { encoding: 'utf8' });
    assert.notEqual(r.status, 0, 'the configuration succeeded without node');
    assert.match(r.stderr, /node not found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
