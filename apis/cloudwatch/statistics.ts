// SPDX-License-Identifier: AGPL-3.0-or-later
/** The value of one statistic in an aggregated bucket. */
import type { AggregateBucket } from './backend.js';
import type { ParsedStatistic } from './validate.js';

export function bucketStatistic(b: AggregateBucket, s: ParsedStatistic): number | undefined {
  switch (s.basic) {
    case 'SampleCount':
      return b.sampleCount;
    case 'Sum':
      return b.sum;
    case 'Average':
      return b.sampleCount > 0 ? b.sum / b.sampleCount : undefined;
    case 'Minimum':
      return b.sampleCount > 0 ? b.min : undefined;
    case 'Maximum':
      return b.sampleCount > 0 ? b.max : undefined;
    default:
      if (s.trimmed) return b.trimmed?.[s.trimmed.name];
      return s.percentile !== undefined ? b.percentiles?.[s.percentile] : undefined;
  }
}
