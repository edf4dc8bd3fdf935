// SPDX-License-Identifier: AGPL-3.0-or-later
/** Fuzzing, CI form: MCGW_FUZZ_RUNS inputs over all targets (default 100,000); test/long runs 1,000,000. */
import t from 'tap';
import { fuzzAll } from './fuzz-run.js';

const n = Number(process.env.MCGW_FUZZ_RUNS);
t.test('fuzz every codec and parser', (t) => fuzzAll(t, Number.isInteger(n) && n > 0 ? n : 100_000));
