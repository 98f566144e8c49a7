// The Docker files (docs/DOCKER.md) against what they wrap. No container engine runs here, so
// this checks what a build would rely on: every script the Dockerfile calls exists and is
// executable, every variable the Dockerfile and the compose file set is one the gateway reads
// (its configuration table), the paths and the health route the image uses are the gateway's,
// and the runtime-package script gives a real list for the real binary.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { gatewayBin, repoRoot } from './harness.mjs';

const read = (p) => readFileSync(path.join(repoRoot, p), 'utf8');
const dockerfile = read('Dockerfile');
const compose = read('docker-compose.yml');
// The gateway's variables: the names in its configuration table.
const gatewayVars = new Set([...read('gateway/src/config/config.cpp').matchAll(/\{"([A-Z][A-Z0-9_]+)",/g)].map((m) => m[1]));

/** The environment block of one compose service: {NAME: value}. */
function composeEnv(service) {
  const lines = compose.split('\n');
  const start = lines.findIndex((l) => l === `  ${service}:`);
  assert.ok(start >= 0, `compose has a ${service} service`);
  const env = {};
  let inEnv = false;
  for (const l of lines.slice(start + 1)) {
    if (/^ {2}\S/.test(l) || /^\S/.test(l)) break; // next service or top-level key
    if (/^ {4}environment:\s*$/.test(l)) { inEnv = true; continue; }
    if (/^ {4}\S/.test(l)) { inEnv = false; continue; }
    const m = inEnv && /^ {6}([A-Z][A-Z0-9_]*):\s*(.*)$/.exec(l);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

test('the configuration table was read', () => {
  for (const v of ['PORT', 'DATA_DIR', 'DATABASE_URL', 'JWT_SECRET']) assert.ok(gatewayVars.has(v), v);
});

test('every script the Dockerfile runs exists and is executable', () => {
  const scripts = [...new Set([...dockerfile.matchAll(/\bscripts\/[A-Za-z0-9_.-]+/g)].map((m) => m[0]))];
  assert.ok(scripts.includes('scripts/install-deps.sh'), 'installs with scripts/install-deps.sh');
  assert.ok(scripts.includes('scripts/build-frontend.sh'), 'builds the dashboard with scripts/build-frontend.sh');
  for (const s of scripts) accessSync(path.join(repoRoot, s), constants.X_OK);
  // Built like `make build`: the same CMake options.
  assert.match(dockerfile, /cmake -S \. -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DWA_BUILD_TESTS=OFF/);
  assert.match(read('Makefile'), /cmake -S \. -B \$\(BUILD_DIR\) -G Ninja -DCMAKE_BUILD_TYPE=Release -DWA_BUILD_TESTS=OFF/);
});

test('multi-stage on debian:bookworm-slim, non-root, DATA_DIR a volume, a HEALTHCHECK on /health', () => {
  const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
  assert.ok(froms.length >= 2, 'multi-stage');
  for (const f of froms) assert.equal(f, 'debian:bookworm-slim');
  const user = /^USER (\S+)/m.exec(dockerfile);
  assert.ok(user && user[1] !== 'root' && user[1] !== '0', 'runs as a non-root user');
  const dataDir = /DATA_DIR=(\S+)/.exec(dockerfile)[1];
  assert.match(dockerfile, new RegExp(`^VOLUME \\["${dataDir}"\\]`, 'm'));
  assert.match(dockerfile, /^HEALTHCHECK .*\n?.*\/health/m);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gw-docker-'));
  let routes;
  try {
    routes = JSON.parse(execFileSync(gatewayBin, ['routes'], { cwd: dir, env: { PATH: process.env.PATH, ASAN_OPTIONS: 'detect_leaks=0', DATA_DIR: dir }, encoding: 'utf8' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(routes.some((r) => r.method === 'GET' && r.pattern === '/health'), '/health is a route');
  // The dashboard lands where the gateway looks for it beside its executable.
  assert.match(dockerfile, /\/opt\/wa-gateway\/bin\/wa-gateway/);
  assert.match(dockerfile, /\/opt\/wa-gateway\/share\/wa-gateway/);
  assert.match(read('gateway/src/api/dashboard_routes.cpp'), /"share" \/ "wa-gateway" \/ "dashboard"/);
});

test('every variable the Dockerfile and the compose file set is one the gateway reads', () => {
  const dockerVars = [...dockerfile.matchAll(/^(?:ENV\s+|\s+)([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]).filter((v) => v !== 'DEBIAN_FRONTEND');
  assert.ok(dockerVars.includes('DATA_DIR'));
  for (const v of dockerVars) assert.ok(gatewayVars.has(v), `Dockerfile sets ${v}, which the gateway does not read`);
  const env = composeEnv('gateway');
  assert.ok(Object.keys(env).length > 5, JSON.stringify(env));
  for (const v of Object.keys(env)) assert.ok(gatewayVars.has(v), `docker-compose.yml sets ${v}, which the gateway does not read`);
  // Production, PostgreSQL, and no default secret anywhere.
  assert.equal(env.ENV, 'production');
  assert.match(env.DATABASE_URL, /^postgresql:\/\/admin:\$\{DB_PASSWORD:\?[^}]+\}@postgres:5432\/whatsapp_api/);
  for (const secret of ['JWT_SECRET', 'PIN_SECRET']) assert.match(env[secret], /^\$\{[A-Z_]+:\?/, `${secret} has no default`);
  assert.match(composeEnv('postgres').POSTGRES_PASSWORD, /^\$\{DB_PASSWORD:\?/);
  assert.match(compose, /image: postgres:15-/);
  assert.match(compose, /gateway_data:\/data/);
});

test('scripts/runtime-packages.sh lists the packages of the real binary', () => {
  const out = execFileSync(path.join(repoRoot, 'scripts/runtime-packages.sh'), [gatewayBin], { encoding: 'utf8' }).trim().split('\n');
  for (const p of ['libpq5', 'libsqlite3-0', 'libssl3', 'libqrencode4', 'libc6']) assert.ok(out.includes(p), `${p} in ${out.join(' ')}`);
  for (const p of out) assert.match(p, /^[a-z0-9][a-z0-9.+-]+$/);
  assert.ok(!out.some((p) => p.endsWith('-dev')), 'no -dev package at run time');
});

test('.dockerignore keeps build trees, packages and local data out of the context', () => {
  const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (const p of ['.git', 'build', 'build-*', 'node_modules', 'data', '.env']) assert.ok(ignored.includes(p), p);
});
