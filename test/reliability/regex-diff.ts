// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Differential check of the linear-time regex engine against V8's RegExp: generated patterns
 * (every construct the engine supports) over short subjects, where backtracking is harmless.
 * Used by regex-engine.test.ts and by the fuzz target in fuzz-targets.ts.
 */
import fc from 'fast-check';
import { LinearRegex, RegexSyntaxError } from '../../src/util/regex.js';

const ATOMS = ['a', 'b', 'A', '-', ' ', '.', '\\d', '\\w', '\\s', '\\D', '\\W', '\\S', '[ab]', '[^a]', '[a-c]', '[\\d-]', '[\\w-.]', '[a-\\d]', '[]', '[^]', '^', '$', '\\b', '\\B', '\\n', '\\.', '\\-'];
const QUANTS = ['', '', '', '*', '+', '?', '{2}', '{0,2}', '{1,}', '*?', '+?', '??', '{1,3}?'];

export const regexArb: fc.Arbitrary<string> = fc.letrec<{ alt: string; cat: string; item: string }>((tie) => ({
  alt: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('cat'), fc.tuple(tie('cat'), tie('cat')).map(([x, y]) => `${x}|${y}`)),
  cat: fc.array(tie('item'), { minLength: 0, maxLength: 4 }).map((xs) => xs.join('')),
  item: fc.tuple(
    fc.oneof({ depthSize: 'small' }, { weight: 5, arbitrary: fc.constantFrom(...ATOMS) }, { weight: 1, arbitrary: tie('alt').map((x) => `(${x})`) }, { weight: 1, arbitrary: tie('alt').map((x) => `(?:${x})`) }),
    fc.constantFrom(...QUANTS),
  ).map(([a, q]) => (q && (a === '^' || a === '$' || a === '\\b' || a === '\\B') ? a : a + q)),
})).alt;

// short: V8 backtracks over nested quantifiers, exponentially in the subject's length
export const subjectArb = fc.string({ unit: fc.constantFrom('a', 'b', 'A', 'c', '1', ' ', '-', '\n', '.'), maxLength: 8 });

/**
 * True when a group is quantified. There the answers may differ beyond test() and the match's start:
 * V8 resets a quantified group's captures on each iteration (the VM keeps the last), and where an
 * iteration can match empty a Pike VM visits each instruction once per position, so it may prefer
 * another extent of the match than backtracking does (as RE2 does) — which match, never whether.
 */
function quantifiedGroup(src: string): boolean {
  return /\)(?:[*+?]|\{\d)/.test(src);
}

/** Throws when the engine and V8 disagree on any subject (an unsupported pattern is a RegexSyntaxError). */
export function sameAsV8(src: string, flags: string, subjects: string[]): void {
  let mine: LinearRegex;
  try {
    mine = new LinearRegex(src, flags);
  } catch (e) {
    if (e instanceof RegexSyntaxError) {
      let v8ok = true;
      try {
        new RegExp(src, flags);
      } catch {
        v8ok = false;
      }
      if (v8ok) throw new Error(`/${src}/${flags}: refused (${e.message}) though V8 accepts it`);
      return;
    }
    throw e;
  }
  const v8 = new RegExp(src, flags);
  for (const s of subjects) {
    const want = v8.exec(s);
    const got = mine.exec(s);
    const tested = mine.test(s);
    if (tested !== (want !== null)) throw new Error(`/${src}/${flags} test(${JSON.stringify(s)}): ${tested}, V8 ${want !== null}`);
    if ((got === null) !== (want === null)) throw new Error(`/${src}/${flags} exec(${JSON.stringify(s)}): ${JSON.stringify(got?.captures)}, V8 ${JSON.stringify(want && [...want])}`);
    if (!got || !want) continue;
    const same = got.index === want.index && (quantifiedGroup(src) || JSON.stringify(got.captures) === JSON.stringify([...want]));
    if (!same) throw new Error(`/${src}/${flags} exec(${JSON.stringify(s)}): at ${got.index} ${JSON.stringify(got.captures)}, V8 at ${want.index} ${JSON.stringify([...want])}`);
  }
}
