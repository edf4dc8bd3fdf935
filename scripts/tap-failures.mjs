#!/usr/bin/env node
// SPDX-License-Identifier: AGPL-3.0-or-later
// Reads a TAP log (tap's raw output) and prints each failing assertion with the subtests it sits in
// and its YAML diagnostics, so that the end of a long run's output names what failed.
// Usage: node scripts/tap-failures.mjs LOG [maxLines]
import { readFileSync } from 'node:fs';

const [log, maxArg] = process.argv.slice(2);
if (!log) {
  console.error('usage: tap-failures.mjs LOG [maxLines]');
  process.exit(2);
}
const maxLines = Number(maxArg ?? 400);
const lines = readFileSync(log, 'utf8').split('\n');
const path = [];
const shownAtStart = []; // failures shown when each open subtest began
let shown = 0;
const out = [];
for (let i = 0; i < lines.length; i++) {
  const line = lines[i];
  const sub = /^( *)# Subtest: (.*)$/.exec(line);
  if (sub) {
    const depth = sub[1].length >> 2;
    path.length = depth;
    path[depth] = sub[2];
    shownAtStart[depth] = shown;
    continue;
  }
  const fail = /^( *)not ok \d+ - (.*)$/.exec(line);
  if (!fail) continue;
  const indent = fail[1].length;
  const depth = indent >> 2;
  // A subtest's own "not ok" closes it; shown only when nothing inside it was (a crash, a timeout).
  if (path[depth] !== undefined && fail[2].startsWith(path[depth])) {
    const quiet = shownAtStart[depth] === shown;
    path.length = depth;
    if (!quiet) continue;
  }
  shown++;
  out.push(`${path.slice(0, depth).join(' > ')}`, `  not ok - ${fail[2]}`);
  // its YAML diagnostics ("---" … "..." two columns in), without the quoted source
  if (lines[i + 1]?.trim() === '---') {
    let skipping = false;
    for (let j = i + 2; j < lines.length && j < i + 60; j++) {
      if (lines[j].trim() === '...') break;
      const text = lines[j].slice(indent + 2);
      if (/^\S/.test(text)) skipping = text.startsWith('source:');
      if (!skipping) out.push(`    ${text}`);
    }
  }
}
if (out.length > 0) {
  console.log('\n# Failures in this run:');
  for (const l of out.slice(0, maxLines)) console.log(l);
  if (out.length > maxLines) console.log(`# … ${out.length - maxLines} more lines left out`);
}
