// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The linear-time regex engine (src/util/regex.ts) every user-supplied pattern runs on: the same
 * answers as V8's RegExp (differential, property-based), refusals for what it does not support,
 * and patterns that make a backtracking engine run for hours answered in one pass over 256 KiB.
 */
import t from 'tap';
import fc from 'fast-check';
import { LinearRegex, compileGlob } from '../../src/util/regex.js';
import { regexArb, subjectArb, sameAsV8 } from './regex-diff.js';
import { cpuMs } from './proc.js';

t.test('agrees with V8 RegExp on generated patterns and subjects', async (t) => {
  const runs = Number(process.env.MCGW_FUZZ_RUNS) > 0 ? Math.min(Number(process.env.MCGW_FUZZ_RUNS), 20_000) : 3000;
  const seed = Number(process.env.MCGW_FUZZ_SEED ?? Date.now() % 1_000_000);
  const result = fc.check(fc.property(regexArb, fc.constantFrom('', 'i', 'm', 's'), fc.array(subjectArb, { minLength: 1, maxLength: 4 }), (src, flags, subjects) => sameAsV8(src, flags, subjects)), { numRuns: runs, seed });
  t.notOk(result.failed, `${runs} patterns, seed ${seed}: ${result.failed ? `${String(result.errorInstance)} counterexample ${JSON.stringify(result.counterexample)}` : 'no difference'}`);
});

t.test('known answers', async (t) => {
  const cases: Array<[string, string, string, Array<string | undefined> | null]> = [
    ['(a|ab)(c|bcd)(d*)', '', 'abcd', ['abcd', 'a', 'bcd', '']],
    ['a*?b', '', 'xaab', ['aab']],
    ['(?<y>\\d{4})-(?<m>\\d\\d)', '', 'on 2026-11-24', ['2026-11', '2026', '11']],
    ['^b', 'm', 'a\nb', ['b']],
    ['^b', '', 'a\nb', null],
    ['a.c', '', 'a\nc', null],
    ['a.c', 's', 'a\nc', ['a\nc']],
    ['[^a]', 'i', 'A', null],
    ['\\bfoo\\b', '', 'a foo.', ['foo']],
    ['\\Bfoo', '', 'a foo', null],
    ['x{2,3}', '', 'xxxx', ['xxx']],
    ['x{2,3}?', '', 'xxxx', ['xx']],
    ['[\\d-]+', '', 'ab12-3c', ['12-3']],
    ['\\u00e9|\\x41', '', 'cafA', ['A']],
    ['[]a', '', 'a', null],
    ['[^]', '', '\n', ['\n']],
  ];
  for (const [src, flags, s, want] of cases) {
    const m = new LinearRegex(src, flags).exec(s);
    t.same(m ? m.captures : null, want, `/${src}/${flags} on ${JSON.stringify(s)}`);
    t.equal(new LinearRegex(src, flags).test(s), want !== null, `/${src}/${flags} test`);
  }
  t.same(new LinearRegex('(?<a>x)(?<b>y)?').exec('x')?.groups, { a: 'x', b: undefined }, 'named groups, one unmatched');
  t.ok(compileGlob('a*b?c').test('aXXbYc'), 'glob * and ?');
  t.notOk(compileGlob('a*b?c').test('aXXbc'), 'glob ? needs one character');
  t.ok(compileGlob('a.b', { question: false }).test('a.b'), 'glob: a dot is literal');
  t.notOk(compileGlob('a.b').test('axb'), 'glob: a dot is not a wildcard');
  t.ok(compileGlob('A*', { caseInsensitive: true }).test('abc'), 'glob, case-insensitive');
});

t.test('refuses what needs backtracking, and what is too large', async (t) => {
  for (const src of ['(a)\\1', '(?<n>a)\\k<n>', '(?=a)', '(?!a)', '(?<=a)b', '(?<!a)b', '\\p{L}', 'a{2000}', '(a{1000}){1000}', '(', 'a)', '[a', '*a', 'a**', '[z-a]', '\\', 'a{3,2}', '(?<1x>a)', '(?<n>a)(?<n>b)', '\\q']) {
    t.throws(() => new LinearRegex(src), { name: 'RegexSyntaxError' }, `/${src}/ refused`);
  }
  t.throws(() => new LinearRegex('a', 'x'), { name: 'RegexSyntaxError' }, 'unknown flag refused');
});

t.test('no catastrophic backtracking: 256 KiB subjects in one pass', async (t) => {
  const subject = 'a'.repeat(256 * 1024) + '!';
  // each of these takes V8 hours (exponential or high-degree polynomial) on this subject
  for (const src of ['(a+)+$', '(a|a)*$', '(a|aa)+b', 'a*a*a*a*a*a*a*a*a*a*a*a*b', '(.*a){10}x', '(\\w+\\s?)+#', '^(a?){25}a{25}$']) {
    const re = new LinearRegex(src);
    const tested = await cpuMs(() => re.test(subject));
    const executed = await cpuMs(() => re.exec(subject));
    t.equal(executed.value !== null, tested.value, `/${src}/: test and exec agree (${tested.value})`);
    t.ok(tested.ms < 1000 && executed.ms < 2000, `/${src}/ over 256 KiB: test ${tested.ms.toFixed(0)} ms, exec ${executed.ms.toFixed(0)} ms of CPU (wall ${tested.wallMs.toFixed(0)}, ${executed.wallMs.toFixed(0)} ms)`);
  }
});
