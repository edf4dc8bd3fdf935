// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Prometheus remote write 1.0 encoding: a snappy-compressed (block format) protobuf WriteRequest
 *   WriteRequest { repeated TimeSeries timeseries = 1; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }   // timestamp in ms
 * (prometheus/prompb/types.proto and remote.proto; the remote-write 1.0 spec asks for labels sorted
 * by name, byte-wise, and the headers below). Decoding is here too, for tests and the fakes.
 */
import snappy from 'snappyjs';

export interface Sample {
  value: number;
  timestamp: number;
}

export interface TimeSeries {
  /** Label pairs; encode() sorts them by name. */
  labels: Array<[string, string]>;
  samples: Sample[];
}

export const REMOTE_WRITE_HEADERS = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '0.1.0',
};

export interface EncodedSeries extends TimeSeries {
  /**
   * The Label fields already encoded (each `0x0a len Label`), in name order: written instead of
   * encoding `labels` again (the metric store keeps them per series).
   */
  encoded?: Buffer[];
  /**
   * The identity of the label set, when the producer knows one: the writer sends the samples of
   * several callers' series with the same key as one TimeSeries.
   */
  key?: string;
}

const byName = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

function varintLen(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

function putVarint(buf: Buffer, at: number, v: number): number {
  // values up to 2^53 (timestamps, lengths); never negative here
  while (v >= 0x80) {
    buf[at++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[at++] = v;
  return at;
}

/** One Label field of a TimeSeries: `0x0a len { 0x0a len name 0x12 len value }`. */
export function encodeLabel(name: string, value: string): Buffer {
  const n = Buffer.byteLength(name);
  const v = Buffer.byteLength(value);
  const body = 1 + varintLen(n) + n + 1 + varintLen(v) + v;
  const out = Buffer.allocUnsafe(1 + varintLen(body) + body);
  let at = putVarint(out, 0, 0x0a);
  at = putVarint(out, at, body);
  out[at++] = 0x0a;
  at = putVarint(out, at, n);
  at += out.write(name, at, 'utf8');
  out[at++] = 0x12;
  at = putVarint(out, at, v);
  out.write(value, at, 'utf8');
  return out;
}

/** The protobuf WriteRequest (uncompressed), written into one buffer sized up front. */
export function encodeWriteRequest(series: EncodedSeries[]): Buffer {
  const labelParts = series.map((s) => s.encoded ?? [...s.labels].sort(byName).map(([k, v]) => encodeLabel(k, v)));
  const sizes = new Array<number>(series.length);
  let total = 0;
  for (let i = 0; i < series.length; i++) {
    let size = 0;
    for (const b of labelParts[i]) size += b.length;
    for (const smp of series[i].samples) {
      const body = 9 + 1 + varintLen(smp.timestamp);
      size += 1 + varintLen(body) + body;
    }
    sizes[i] = size;
    total += 1 + varintLen(size) + size;
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < series.length; i++) {
    out[at++] = 0x0a;
    at = putVarint(out, at, sizes[i]);
    for (const b of labelParts[i]) at += b.copy(out, at);
    for (const smp of series[i].samples) {
      out[at++] = 0x12;
      at = putVarint(out, at, 9 + 1 + varintLen(smp.timestamp));
      out[at++] = 0x09;
      out.writeDoubleLE(smp.value, at);
      at += 8;
      out[at++] = 0x10;
      at = putVarint(out, at, smp.timestamp);
    }
  }
  return out;
}

/** The request body: snappy(WriteRequest). */
export function encodeRemoteWrite(series: EncodedSeries[]): Buffer {
  return Buffer.from(snappy.compress(encodeWriteRequest(series)));
}

/** Reads a snappy-compressed WriteRequest back (tests, fakes). */
export function decodeRemoteWrite(body: Buffer): TimeSeries[] {
  const raw = Buffer.from(snappy.uncompress(new Uint8Array(body), 64 * 1024 * 1024));
  const out: TimeSeries[] = [];
  const fields = function* (b: Buffer): Generator<[number, number, Buffer | number]> {
    let i = 0;
    const varint = () => {
      let v = 0;
      let mul = 1;
      for (;;) {
        const c = b[i++];
        v += (c & 0x7f) * mul;
        mul *= 128;
        if (c < 0x80) return v;
      }
    };
    while (i < b.length) {
      const key = varint();
      const wire = key & 7;
      const field = key >>> 3;
      if (wire === 2) {
        const n = varint();
        yield [field, wire, b.subarray(i, i + n)];
        i += n;
      } else if (wire === 1) {
        yield [field, wire, b.readDoubleLE(i)];
        i += 8;
      } else if (wire === 0) yield [field, wire, varint()];
      else throw new Error(`unsupported protobuf wire type ${wire}`);
    }
  };
  for (const [f, , tsBuf] of fields(raw)) {
    if (f !== 1) continue;
    const ts: TimeSeries = { labels: [], samples: [] };
    for (const [g, , part] of fields(tsBuf as Buffer)) {
      if (g === 1) {
        const l: [string, string] = ['', ''];
        for (const [h, , s] of fields(part as Buffer)) l[h - 1] = (s as Buffer).toString('utf8');
        ts.labels.push(l);
      } else if (g === 2) {
        const s: Sample = { value: 0, timestamp: 0 };
        for (const [h, , v] of fields(part as Buffer)) {
          if (h === 1) s.value = v as number;
          else s.timestamp = v as number;
        }
        ts.samples.push(s);
      }
    }
    out.push(ts);
  }
  return out;
}
