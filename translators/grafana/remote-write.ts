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

class Writer {
  private buf = Buffer.allocUnsafe(256);
  len = 0;
  private ensure(n: number) {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  varint(v: number) {
    this.ensure(10);
    // values up to 2^53 (timestamps, lengths); never negative here
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }
  bytes(b: Buffer) {
    this.ensure(b.length);
    b.copy(this.buf, this.len);
    this.len += b.length;
  }
  double(v: number) {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.len);
    this.len += 8;
  }
  /** A length-delimited field whose body `body` writes into a scratch writer (minimal varint length). */
  nested(field: number, body: (w: Writer) => void) {
    const inner = new Writer();
    body(inner);
    this.varint((field << 3) | 2);
    this.varint(inner.len);
    this.bytes(inner.result());
  }
  result(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

const byName = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** The protobuf WriteRequest (uncompressed). */
export function encodeWriteRequest(series: TimeSeries[]): Buffer {
  const w = new Writer();
  for (const ts of series) {
    w.nested(1, (w) => {
      for (const [name, value] of [...ts.labels].sort(byName)) {
        w.nested(1, (w) => {
          const n = Buffer.from(name, 'utf8');
          const v = Buffer.from(value, 'utf8');
          w.varint((1 << 3) | 2);
          w.varint(n.length);
          w.bytes(n);
          w.varint((2 << 3) | 2);
          w.varint(v.length);
          w.bytes(v);
        });
      }
      for (const s of ts.samples) {
        w.nested(2, (w) => {
          w.varint((1 << 3) | 1);
          w.double(s.value);
          w.varint(2 << 3);
          w.varint(s.timestamp);
        });
      }
    });
  }
  return w.result();
}

/** The request body: snappy(WriteRequest). */
export function encodeRemoteWrite(series: TimeSeries[]): Buffer {
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
