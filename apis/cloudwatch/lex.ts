// SPDX-License-Identifier: AGPL-3.0-or-later
/** Splits `src` into the first capture group of each match of a sticky regex; null if text is left over. */
export function stickyTokens(src: string, re: RegExp): string[] | null {
  const out: string[] = [];
  let pos = 0;
  for (;;) {
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m) break;
    out.push(m[1]);
    pos = re.lastIndex;
  }
  return src.slice(pos).trim() === '' ? out : null;
}

/**
 * One left-associative level of a recursive-descent parser: `next (op next)*`, where `take`
 * consumes and returns the next operator of this level (or undefined) and `make` builds the node.
 */
export function leftAssoc<N>(next: () => N, take: () => string | undefined, make: (op: string, a: N, b: N) => N): () => N {
  return () => {
    let a = next();
    for (let op = take(); op !== undefined; op = take()) a = make(op, a, next());
    return a;
  };
}

/**
 * Reads the quoted string opening at src[i] (backslash escapes the next character). Returns its
 * text and the index after the closing quote, or undefined when it is not terminated.
 */
export function readQuoted(src: string, i: number): { text: string; next: number } | undefined {
  const q = src[i];
  let j = i + 1;
  let text = '';
  while (j < src.length && src[j] !== q) {
    if (src[j] === '\\' && j + 1 < src.length) j++;
    text += src[j++];
  }
  return j < src.length ? { text, next: j + 1 } : undefined;
}
