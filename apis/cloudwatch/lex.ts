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
