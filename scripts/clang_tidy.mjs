#!/usr/bin/env node
// clang-tidy over the C++ sources of the library and the gateway (wa/src, wa/tools, gateway/src),
// with the checks of .clang-tidy, every warning an error. Runs JOBS files at a time (default 2) and
// remembers each file that passed under ~/.cache/wa-gateway-clang-tidy (CLANG_TIDY_CACHE), keyed
// by the clang-tidy version, .clang-tidy, the file's compile command, the file and the project
// headers it includes directly: a warm run re-checks only what changed.
//   node scripts/clang_tidy.mjs [--build-dir DIR] [files...]
// DIR (default build-test) holds compile_commands.json (any configured build of the project).
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
let buildDir = 'build-test';
const only = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--build-dir') buildDir = args[++i];
  else only.push(args[i]);
}
const jobs = Number(process.env.JOBS || 2);
const cacheDir = process.env.CLANG_TIDY_CACHE || path.join(os.homedir(), '.cache', 'wa-gateway-clang-tidy');
mkdirSync(cacheDir, { recursive: true });

const dbPath = path.resolve(root, buildDir, 'compile_commands.json');
if (!existsSync(dbPath)) {
  console.error(`clang_tidy: ${dbPath} not found; configure a build first (cmake -S . -B ${buildDir} -G Ninja)`);
  process.exit(2);
}
const commands = new Map();
for (const e of JSON.parse(readFileSync(dbPath, 'utf8'))) {
  commands.set(path.relative(root, path.resolve(e.directory, e.file)), e.command ?? e.arguments.join(' '));
}

// Files whose clang-tidy findings are not fixed yet (the checks were advisory before). They are
// named on every run and left out until fixed; remove a file here when it is clean. Every other
// file, including every new one, must pass.
const pending = new Set([
  'wa/src/client/pairing.cpp', 'wa/src/media/inspect.cpp', 'wa/src/signal/context.cpp',
  'wa/src/signal/crypto_provider.cpp', 'wa/src/signal/store_adapter.cpp',
  'wa/tools/bench_wire.cpp', 'wa/tools/handshake_cmd.cpp',
]);
const files = only.length
  ? only
  : execFileSync('git', ['ls-files', 'wa/src/*.cpp', 'wa/tools/*.cpp', 'gateway/src/*.cpp'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f && !pending.has(f));
if (!only.length) console.log(`clang_tidy: ${pending.size} files with known findings left out until fixed: ${[...pending].join(' ')}`);
const missing = files.filter((f) => !commands.has(f));
if (missing.length) {
  console.error(`clang_tidy: not in ${buildDir}/compile_commands.json (not built by this configuration?):\n  ${missing.join('\n  ')}`);
  process.exit(2);
}

const version = execFileSync('clang-tidy', ['--version'], { encoding: 'utf8' });
const config = readFileSync(path.join(root, '.clang-tidy'), 'utf8');
const includeDirs = ['wa/include', 'wa/src', 'gateway/src', 'gateway/include'].map((d) => path.join(root, d));

// Hash of the file and of the project headers it includes with quotes (one level).
function key(file) {
  const h = createHash('sha256');
  h.update(version).update(config).update(commands.get(file).replace(/-o \S+/, ''));
  const text = readFileSync(path.join(root, file), 'utf8');
  h.update(text);
  for (const m of text.matchAll(/^#include "([^"]+)"/gm)) {
    for (const dir of [path.dirname(path.join(root, file)), ...includeDirs]) {
      const p = path.join(dir, m[1]);
      if (existsSync(p)) {
        h.update(m[1]).update(readFileSync(p));
        break;
      }
    }
  }
  return h.digest('hex');
}

function run(file) {
  return new Promise((resolve) => {
    const p = spawn('clang-tidy', ['-p', path.resolve(root, buildDir), '--quiet', '--warnings-as-errors=*',
      '--extra-arg=-Wno-unknown-warning-option', file], { cwd: root });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ code, out }));
  });
}

const todo = [];
let cached = 0;
for (const f of files) {
  const k = key(f);
  if (existsSync(path.join(cacheDir, k))) cached++;
  else todo.push({ f, k });
}
console.log(`clang_tidy: ${files.length} files, ${cached} unchanged since they passed, ${todo.length} to check (${jobs} at a time)`);
let failed = 0;
let next = 0;
async function worker() {
  while (next < todo.length) {
    const { f, k } = todo[next++];
    const { code, out } = await run(f);
    // clang-tidy prints "N warnings generated." for system headers even when quiet; keep the rest.
    const report = out.split('\n').filter((l) => l && !/^\d+ warnings? (and \d+ errors? )?generated\.$/.test(l) && !/^Suppressed \d+ warnings|^Use -header-filter|^Use -system-headers/.test(l)).join('\n');
    if (code === 0) {
      writeFileSync(path.join(cacheDir, k), f + '\n');
    } else {
      failed++;
      console.log(`clang_tidy: ${f}\n${report}`);
    }
  }
}
await Promise.all(Array.from({ length: Math.min(jobs, todo.length) }, worker));
if (failed) {
  console.error(`clang_tidy: ${failed} file(s) with findings`);
  process.exit(1);
}
console.log('clang_tidy: clean');
