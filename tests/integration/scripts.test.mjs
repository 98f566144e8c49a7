// The test machinery fails loudly instead of passing for the wrong reason: a fuzz run with no
// target built, a build whose Node-driven tests could not be registered, and clang-tidy in
// `make test` skipping a file that nobody checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gatewayBin } from './harness.mjs';

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

test('clang-tidy in make test checks every file not recorded clean, and a finding fails the run', () => {
  // The build directory of the binary under test has compile_commands.json.
  const buildDir = path.dirname(path.dirname(gatewayBin));
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tidy-'));
  const tidy = (files, env) => spawnSync('node', [path.join(root, 'scripts/clang_tidy.mjs'), '--build-dir', buildDir, ...files], {
    cwd: root, encoding: 'utf8', env: { ...process.env, CLANG_TIDY_CACHE: path.join(tmp, 'cache'), ...env }, timeout: 300000,
  });
  try {
    const manifest = path.join(tmp, 'clean.txt');
    const clean = 'gateway/src/util/time.cpp';
    // Not recorded, not cached: checked (and clean), then recorded by --record.
    let r = tidy(['--record', clean], { CLANG_TIDY_MANIFEST: manifest });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /0 recorded clean.*0 unchanged since they passed here, 1 to check/);
    assert.match(readFileSync(manifest, 'utf8'), new RegExp(`^[0-9a-f]{64} ${clean}$`, 'm'));
    // Recorded: --changed with an empty cache checks nothing.
    r = tidy(['--changed', clean], { CLANG_TIDY_MANIFEST: manifest, CLANG_TIDY_CACHE: path.join(tmp, 'cache2') });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /1 recorded clean.*0 to check/);
    // A finding fails the run: a file with one, compiled like the project's own files.
    const bad = path.join(tmp, 'finding.cpp');
    writeFileSync(bad, '#include <string>\nstd::size_t length_of(std::string s) { return s.size(); }\n');
    const db = JSON.parse(readFileSync(path.join(buildDir, 'compile_commands.json'), 'utf8'));
    const model = db.find((e) => e.file.endsWith('gateway/src/util/time.cpp'));
    const badDir = path.join(tmp, 'build');
    mkdirSync(badDir);
    writeFileSync(path.join(badDir, 'compile_commands.json'), JSON.stringify([{
      // Its own object path and no dependency file: nothing of the real build is written over.
      directory: model.directory,
      file: bad,
      command: model.command.replace(/ -MD -MT \S+ -MF \S+/, '').replace(/ -o \S+/, ` -o ${path.join(tmp, 'finding.o')}`).replace(/ -c \S+$/, ` -c ${bad}`),
    }]));
    r = spawnSync('node', [path.join(root, 'scripts/clang_tidy.mjs'), '--build-dir', badDir, '--changed', path.relative(root, bad)], {
      cwd: root, encoding: 'utf8', env: { ...process.env, CLANG_TIDY_CACHE: path.join(tmp, 'cache3'), CLANG_TIDY_MANIFEST: manifest }, timeout: 300000,
    });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /performance-unnecessary-value-param/);
    assert.match(r.stderr, /1 file\(s\) with findings/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
