// The repository explains itself from its own files: no tracked file cites the planning documents
// that live outside it (the tracker's issue numbers, the product requirements, the spec notes, the
// old protocol notes file), and every section of docs/PROTOCOL.md that a file cites exists there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const self = path.relative(root, fileURLToPath(import.meta.url));
const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
  .split('\0')
  .filter((f) => f && f !== self && f !== 'package-lock.json' && !/\.(png|jpe?g|webp|gif|ico|bin|woff2?|gz)$|\/corpus\/|\/vectors\//.test(f));

function read(f) {
  try {
    return readFileSync(path.join(root, f), 'utf8');
  } catch {
    return ''; // deleted in the working tree
  }
}

// Built from pieces so that this file does not match itself.
const forbidden = [
  { name: 'a tracker issue number', re: new RegExp('\\b[Ii]ssues? #?\\d+') },
  { name: 'the product requirements', re: new RegExp('\\bP' + 'RD\\b') },
  { name: 'the spec notes', re: new RegExp('SPEC' + '-NOTES') },
  { name: 'the old protocol notes file', re: new RegExp('wa-' + 'protocol\\.md') },
];

test('no tracked file cites documents outside the repository', () => {
  const hits = [];
  for (const f of files) {
    const lines = read(f).split('\n');
    lines.forEach((line, i) => {
      for (const { name, re } of forbidden) if (re.test(line)) hits.push(`${f}:${i + 1} cites ${name}: ${line.trim()}`);
    });
  }
  assert.deepEqual(hits, []);
});

test('every docs/PROTOCOL.md section that a file cites exists as a heading', () => {
  const protocol = read('docs/PROTOCOL.md');
  const sections = new Set();
  for (const m of protocol.matchAll(/^#{2,4} (\d+(?:\.\d+)*)\.? /gm)) sections.add(m[1]);
  assert.ok(sections.has('1.3') && sections.has('9'), 'docs/PROTOCOL.md has numbered headings');
  const missing = [];
  let cited = 0;
  for (const f of files) {
    const lines = read(f).split('\n');
    lines.forEach((line, i) => {
      // "PROTOCOL.md §1.3, §1.5", "PROTOCOL.md) §3.1-§3.3", "PROTOCOL.md §6.2–§6.5".
      for (const m of line.matchAll(/PROTOCOL\.md\)?,? ((?:§\d+(?:\.\d+)*(?:\s*(?:[-–,]|and)\s*)?)+)/g)) {
        for (const s of m[1].matchAll(/§(\d+(?:\.\d+)*)/g)) {
          cited++;
          if (!sections.has(s[1])) missing.push(`${f}:${i + 1} cites §${s[1]}`);
        }
      }
    });
  }
  assert.ok(cited > 50, `only ${cited} citations found: the pattern no longer matches the comments`);
  assert.deepEqual(missing, []);
});
