// SPDX-License-Identifier: AGPL-3.0-or-later
/** `npm run bench`: every bench, each as a ratio to its named peer measured in the same run. */
import { benchCore } from './core.js';
import { have, printRows, type Row } from './lib.js';

const only = process.argv[2];
const benches: Array<[string, () => Promise<Row[]>]> = [['core', () => benchCore()]];

if (!have('wrk')) {
  console.error('bench needs wrk (Debian package wrk)');
  process.exit(2);
}
let missed = 0;
for (const [name, fn] of benches) {
  if (only && only !== name) continue;
  const rows = await fn();
  printRows(name, rows);
  missed += rows.filter((r) => !r.pass).length;
}
console.log(missed ? `\n${missed} target(s) missed` : '\nall targets met');
