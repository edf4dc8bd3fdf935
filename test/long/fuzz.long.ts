// SPDX-License-Identifier: AGPL-3.0-or-later
/** Fuzzing, long form (`npm run test:long`): 1,000,000 inputs over every codec and parser (MCGW_FUZZ_RUNS overrides). */
import t from 'tap';
import { fuzzAll } from '../reliability/fuzz-run.js';

const n = Number(process.env.MCGW_FUZZ_RUNS);
const total = Number.isInteger(n) && n > 0 ? n : 1_000_000;
t.setTimeout(Math.max(600_000, total * 2));
t.test('fuzz every codec and parser', (t) => fuzzAll(t, total));
