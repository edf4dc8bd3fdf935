// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * A streaming rewrite of table names in a DynamoDB JSON answer, for answers too large to buffer:
 * the bytes pass through as they come, except
 *  - the keys of the objects under the top-level members named in `mapKeysOf` (BatchGetItem's
 *    `Responses`/`UnprocessedKeys`, BatchWriteItem's `UnprocessedItems`/`ItemCollectionMetrics`),
 *  - the string values of `TableName` members anywhere under a top-level `ConsumedCapacity`,
 * which are decoded, mapped and re-encoded. Only those strings are held (table names are short);
 * item attribute values stream through whatever their size. The scanner works on UTF-8 bytes:
 * JSON's structural characters are ASCII, which never occur inside a multi-byte sequence.
 */
import { Transform, type TransformCallback } from 'node:stream';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

interface Frame {
  obj: boolean;
  /** Keys of this object are table names. */
  mapKeys: boolean;
  /** Inside a top-level ConsumedCapacity. */
  capacity: boolean;
  expectKey: boolean;
  key?: string;
}

export class TableNameRewriter extends Transform {
  private stack: Frame[] = [];
  private inString = false;
  private escaped = false;
  /** Bytes of the string being held (undefined: the current string passes through). */
  private held?: Buffer[];
  /** The current string is an object key (its text is remembered for the structure). */
  private stringIsKey = false;
  private keyText: Buffer[] = [];

  constructor(
    private readonly mapKeysOf: ReadonlySet<string>,
    private readonly rename: (name: string) => string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    let from = 0;
    const out: Buffer[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.inString) {
        if (this.escaped) {
          this.escaped = false;
          continue;
        }
        if (c === BACKSLASH) {
          this.escaped = true;
          continue;
        }
        if (c !== QUOTE) continue;
        // end of string at i
        this.inString = false;
        const piece = chunk.subarray(from, i + 1);
        if (this.stringIsKey) this.keyText.push(piece);
        if (this.held) {
          this.held.push(piece);
          out.push(this.rewritten(Buffer.concat(this.held)));
          this.held = undefined;
        } else out.push(piece);
        from = i + 1;
        if (this.stringIsKey) {
          const top = this.stack[this.stack.length - 1]!;
          top.key = JSON.parse(Buffer.concat(this.keyText).toString('utf8')) as string;
          top.expectKey = false;
          this.keyText = [];
        }
        continue;
      }
      const top = this.stack[this.stack.length - 1];
      if (c === QUOTE) {
        out.push(chunk.subarray(from, i));
        from = i;
        this.inString = true;
        this.stringIsKey = !!top?.obj && top.expectKey;
        const holdKey = this.stringIsKey && top!.mapKeys;
        const holdValue = !this.stringIsKey && !!top?.obj && top.capacity && top.key === 'TableName';
        this.held = holdKey || holdValue ? [] : undefined;
        continue;
      }
      if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
        const depth = this.stack.length;
        const parentKey = top?.obj ? top.key : undefined;
        this.stack.push({
          obj: c === 0x7b,
          mapKeys: c === 0x7b && depth === 1 && parentKey !== undefined && this.mapKeysOf.has(parentKey),
          capacity: !!top?.capacity || (depth === 1 && parentKey === 'ConsumedCapacity'),
          expectKey: c === 0x7b,
        });
      } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
        this.stack.pop();
      } else if (c === 0x2c /* , */ && top?.obj) {
        top.expectKey = true;
      }
    }
    if (this.inString) {
      const rest = chunk.subarray(from);
      if (this.stringIsKey) this.keyText.push(rest);
      if (this.held) this.held.push(rest);
      else out.push(rest);
    } else out.push(chunk.subarray(from));
    cb(null, out.length === 1 ? out[0] : Buffer.concat(out));
  }

  private rewritten(quoted: Buffer): Buffer {
    const name = JSON.parse(quoted.toString('utf8')) as string;
    return Buffer.from(JSON.stringify(this.rename(name)), 'utf8');
  }
}
