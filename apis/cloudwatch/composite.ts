// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The AlarmRule language of composite alarms:
 *   ALARM("cpu-high") AND NOT (OK(disk) OR INSUFFICIENT_DATA(arn:aws:cloudwatch:…:alarm:mem)) OR TRUE
 * Functions ALARM / OK / INSUFFICIENT_DATA take an alarm name (quoted or bare) or an alarm ARN.
 */
import { stickyTokens } from './lex.js';
import type { AlarmState } from './alarm-model.js';

export type Rule =
  | { k: 'const'; v: boolean }
  | { k: 'state'; state: AlarmState; alarm: string }
  | { k: 'not'; a: Rule }
  | { k: 'and' | 'or'; a: Rule; b: Rule };

export class RuleSyntaxError extends Error {}

const FUNCS = new Set(['ALARM', 'OK', 'INSUFFICIENT_DATA']);

function tokens(src: string): string[] {
  const out = stickyTokens(src, /\s*("(?:[^"\\]|\\.)*"|[()]|[^\s()"]+)/y);
  if (!out) throw new RuleSyntaxError('Unexpected text in the rule');
  return out;
}

/** The alarm name of a rule operand (an ARN names the alarm after ':alarm:'). */
export function operandName(s: string): string {
  const i = s.indexOf(':alarm:');
  return s.startsWith('arn:') && i >= 0 ? s.slice(i + 7) : s;
}

export function parseRule(src: string): Rule {
  const toks = tokens(src);
  let p = 0;
  const or = (): Rule => {
    let a = and();
    while (toks[p] === 'OR') {
      p++;
      a = { k: 'or', a, b: and() };
    }
    return a;
  };
  const and = (): Rule => {
    let a = not();
    while (toks[p] === 'AND') {
      p++;
      a = { k: 'and', a, b: not() };
    }
    return a;
  };
  const not = (): Rule => {
    if (toks[p] === 'NOT') {
      p++;
      return { k: 'not', a: not() };
    }
    return atom();
  };
  const atom = (): Rule => {
    const t = toks[p++];
    if (t === undefined) throw new RuleSyntaxError('Unexpected end of the rule');
    if (t === 'TRUE' || t === 'FALSE') return { k: 'const', v: t === 'TRUE' };
    if (t === '(') {
      const r = or();
      if (toks[p++] !== ')') throw new RuleSyntaxError("Missing ')'");
      return r;
    }
    if (FUNCS.has(t)) {
      if (toks[p++] !== '(') throw new RuleSyntaxError(`Expected '(' after ${t}`);
      const arg = toks[p++];
      if (arg === undefined || arg === ')' || arg === '(') throw new RuleSyntaxError(`${t} needs an alarm name or ARN`);
      if (toks[p++] !== ')') throw new RuleSyntaxError(`Expected ')' after the alarm of ${t}`);
      const name = arg.startsWith('"') ? arg.slice(1, -1).replace(/\\(.)/g, '$1') : arg;
      return { k: 'state', state: t as AlarmState, alarm: operandName(name) };
    }
    throw new RuleSyntaxError(`Unexpected '${t}'`);
  };
  const r = or();
  if (p < toks.length) throw new RuleSyntaxError(`Unexpected '${toks[p]}'`);
  return r;
}

export function ruleAlarms(r: Rule, out = new Set<string>()): Set<string> {
  if (r.k === 'state') out.add(r.alarm);
  else if (r.k === 'not') ruleAlarms(r.a, out);
  else if (r.k === 'and' || r.k === 'or') {
    ruleAlarms(r.a, out);
    ruleAlarms(r.b, out);
  }
  return out;
}

export function evalRule(r: Rule, stateOf: (name: string) => AlarmState | undefined): boolean {
  switch (r.k) {
    case 'const':
      return r.v;
    case 'state':
      return stateOf(r.alarm) === r.state;
    case 'not':
      return !evalRule(r.a, stateOf);
    case 'and':
      return evalRule(r.a, stateOf) && evalRule(r.b, stateOf);
    case 'or':
      return evalRule(r.a, stateOf) || evalRule(r.b, stateOf);
  }
}
