#!/usr/bin/env node
// clang-tidy over the C++ sources of the library and the gateway (wa/src, wa/tools, gateway/src),
// with the checks of .clang-tidy, every warning an error. Runs JOBS files at a time (default 2) and
// remembers each file that passed under ~/.cache/wa-gateway-clang-tidy (CLANG_TIDY_CACHE), keyed
// by the clang-tidy version, .clang-tidy, the file's compile command (checkout path left out), the
// file and the project headers it includes directly: a warm run re-checks only what changed.
//   node scripts/clang_tidy.mjs [--build-dir DIR] [--record | --changed] [files...]
// DIR (default build-test) holds compile_commands.json (any configured build of the project).
// --record   (`make lint`) also writes the keys of every clean file to scripts/clang-tidy-clean.txt
//            (CLANG_TIDY_MANIFEST), which is committed;
// --changed  (`make test`) treats the files recorded there as checked and checks only the others:
//            what changed since the last `make lint` is checked on every test run, in minutes,
//            where a cold full run takes about half an hour on two cores.
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
let buildDir = 'build-test';
let record = false;
let changed = false;
const only = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--build-dir') buildDir = args[++i];
  else if (args[i] === '--record') record = true;
  else if (args[i] === '--changed') changed = true;
  else only.push(args[i]);
}
const manifestPath = process.env.CLANG_TIDY_MANIFEST || path.join(root, 'scripts', 'clang-tidy-clean.txt');
const recorded = new Set(
  changed && existsSync(manifestPath)
    ? readFileSync(manifestPath, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(' ')[0])
    : [],
);
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

const files = only.length
  ? only
  : execFileSync('git', ['ls-files', 'wa/src/*.cpp', 'wa/tools/*.cpp', 'gateway/src/*.cpp'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
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
  // The same file in another checkout (another directory) has the same key.
  h.update(version).update(config).update(commands.get(file).replace(/-o \S+/, '').split(root).join('<root>'));
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
    const p = spawn('clang-tidy', ['-p', path.resolve(root, buildDir), `--config-file=${path.join(root, '.clang-tidy')}`, '--quiet', '--warnings-as-errors=*',
      '--extra-arg=-Wno-unknown-warning-option', file], { cwd: root });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ code, out }));
  });
}

const todo = [];
const clean = [];
let cached = 0;
let listed = 0;
for (const f of files) {
  const k = key(f);
  if (recorded.has(k)) {
    listed++;
    clean.push({ f, k });
  } else if (existsSync(path.join(cacheDir, k))) {
    cached++;
    clean.push({ f, k });
  } else {
    todo.push({ f, k });
  }
}
console.log(`clang_tidy: ${files.length} files, ${listed} recorded clean in ${path.relative(root, manifestPath)}, ${cached} unchanged since they passed here, ${todo.length} to check (${jobs} at a time)`);
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
      clean.push({ f, k });
    } else {
      failed++;
      console.log(`clang_tidy: ${f}\n${report}`);
    }
  }
}
await Promise.all(Array.from({ length: Math.min(jobs, todo.length) }, worker));
if (record) {
  const lines = clean.sort((a, b) => a.f.localeCompare(b.f)).map(({ f, k }) => `${k} ${f}`);
  writeFileSync(manifestPath, `# Files clang-tidy found clean (scripts/clang_tidy.mjs --record, run by \`make lint\`): key, file.\n${lines.join('\n')}\n`);
  console.log(`clang_tidy: ${lines.length} clean files recorded in ${path.relative(root, manifestPath)}`);
}
if (failed) {
  console.error(`clang_tidy: ${failed} file(s) with findings`);
  process.exit(1);
}
console.log('clang_tidy: clean');
