// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Dynamic labels in GetMetricData Label strings: ${PROP('Dim.<name>')}, ${PROP('MetricName')},
 * ${PROP('Namespace')}, ${PROP('Period')}, ${PROP('Stat')}, ${PROP('AccountId')}, ${LABEL}
 * (the default label) and the series statistics ${AVG} ${MIN} ${MAX} ${SUM} ${FIRST} ${LAST}
 * ${DATAPOINT_COUNT}. Unknown expressions are left as written.
 */
import type { MetricId } from './backend.js';

export interface LabelContext {
  metric?: MetricId;
  stat?: string;
  period: number;
  accountId: string;
  defaultLabel: string;
  values: number[];
}

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1e6) / 1e6);
}

export function expandLabel(template: string, c: LabelContext): string {
  if (!template.includes('${')) return template;
  return template.replace(/\$\{([^}]*)\}/g, (whole, inner: string) => {
    const prop = /^PROP\(\s*['"]([^'"]+)['"]\s*\)$/.exec(inner.trim());
    if (prop) {
      const p = prop[1];
      if (p.startsWith('Dim.')) return c.metric?.dimensions.find((d) => d.Name === p.slice(4))?.Value ?? '';
      if (p === 'MetricName') return c.metric?.metricName ?? '';
      if (p === 'Namespace') return c.metric?.namespace ?? '';
      if (p === 'Period') return String(c.period);
      if (p === 'Stat') return c.stat ?? '';
      if (p === 'AccountId' || p === 'AccountLabel') return c.accountId;
      return whole;
    }
    const v = c.values;
    switch (inner.trim()) {
      case 'LABEL':
        return c.defaultLabel;
      case 'DATAPOINT_COUNT':
        return String(v.length);
      case 'AVG':
        return v.length ? num(v.reduce((s, x) => s + x, 0) / v.length) : '';
      case 'SUM':
        return v.length ? num(v.reduce((s, x) => s + x, 0)) : '';
      case 'MIN':
        return v.length ? num(Math.min(...v)) : '';
      case 'MAX':
        return v.length ? num(Math.max(...v)) : '';
      case 'FIRST':
        return v.length ? num(v[0]) : '';
      case 'LAST':
        return v.length ? num(v[v.length - 1]) : '';
      default:
        return whole;
    }
  });
}
