// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * RbdClient: the RBD operations the gateway needs (EBS volumes and snapshots, Proxmox disks), on
 * one pool (and optional namespace) of a Ceph cluster, through the `rbd` tool with
 * `--format json` (what Proxmox's own RBDPlugin does). docs/ceph.md says why the CLI and not
 * librbd through an FFI: measured there, an rbd call costs ~tens of ms, and a hung or crashing
 * librbd cannot take the gateway down with it.
 *
 * Every method is async and fails with RbdError (errors.ts) whose kind says what went wrong
 * (NotFound, Exists, Busy, Protected, HasChildren, HasSnapshots, Invalid, Timeout…). Sizes are
 * bytes. Bytes in and out are streams (import/export), never buffered whole.
 */
import { PassThrough, Readable, type Writable } from 'node:stream';
import { RbdError } from './errors.js';
import { RbdRunner } from './run.js';

export { RbdError, isRbdError, type RbdErrorKind } from './errors.js';

export interface RbdClientConfig {
  /** Path of ceph.conf (mon addresses, auth settings). */
  conf: string;
  /** Path of the keyring holding the user's key; default: what ceph.conf says. */
  keyring?: string;
  /** Cephx user without the 'client.' prefix (default 'admin'). */
  user?: string;
  /** The pool holding the images. */
  pool: string;
  /** An RBD namespace inside the pool (optional). */
  namespace?: string;
  /** The rbd tool (default 'rbd' on PATH). */
  rbdPath?: string;
  /** Milliseconds one short call may take (default 60 s); flatten and byte copies get 20×. */
  timeoutMs?: number;
  /** rbd processes at once (default 4). */
  concurrency?: number;
}

export interface RbdImageInfo {
  name: string;
  id: string;
  size: number;
  objectSize: number;
  snapshotCount: number;
  format: number;
  features: string[];
  createdAt?: string;
  /** Set when the image is a clone that still depends on its parent's snapshot. */
  parent?: { pool: string; namespace: string; image: string; snapshot: string; overlap: number };
}

export interface RbdSnapInfo {
  id: number;
  name: string;
  size: number;
  protected: boolean;
  timestamp?: string;
}

export interface RbdChild {
  pool: string;
  namespace: string;
  image: string;
}

const NAME_RE = /^[A-Za-z0-9_.+-][A-Za-z0-9_.+:=-]{0,250}$/;
const MiB = 1024 * 1024;

export class RbdClient {
  readonly pool: string;
  readonly namespace: string;
  private readonly runner: RbdRunner;
  private readonly longMs: number;

  constructor(readonly config: RbdClientConfig) {
    if (!config.conf) throw new RbdError('Invalid', 'RbdClient: conf (path of ceph.conf) is required');
    if (!config.pool || !NAME_RE.test(config.pool)) throw new RbdError('Invalid', `RbdClient: pool '${String(config.pool)}' is not a pool name`);
    if (config.namespace && !NAME_RE.test(config.namespace)) throw new RbdError('Invalid', `RbdClient: namespace '${config.namespace}' is not a namespace name`);
    this.pool = config.pool;
    this.namespace = config.namespace ?? '';
    const base = ['--conf', config.conf, '--id', config.user ?? 'admin'];
    if (config.keyring) base.push('--keyring', config.keyring);
    const timeoutMs = config.timeoutMs ?? 60_000;
    this.longMs = timeoutMs * 20;
    this.runner = new RbdRunner({ rbdPath: config.rbdPath ?? 'rbd', baseArgs: base, timeoutMs, concurrency: config.concurrency ?? 4 });
  }

  /** `pool/[namespace/]image[@snap]`, after checking the names. */
  spec(image: string, snap?: string): string {
    checkName('image', image);
    if (snap !== undefined) checkName('snapshot', snap);
    return `${this.pool}/${this.namespace ? `${this.namespace}/` : ''}${image}${snap !== undefined ? `@${snap}` : ''}`;
  }

  private poolSpec(): string {
    return this.namespace ? `${this.pool}/${this.namespace}` : this.pool;
  }

  /** Creates a sparse image of `sizeBytes` (rounded up to whole MiB), format 2 with layering. */
  async create(image: string, sizeBytes: number): Promise<void> {
    await this.runner.run(['create', '--no-progress', '--size', sizeArg(sizeBytes), this.spec(image)]);
  }

  /** Removes an image. Fails HasSnapshots while it has snapshots, Busy while it is open. */
  async remove(image: string): Promise<void> {
    await this.runner.run(['rm', '--no-progress', this.spec(image)], { timeoutMs: this.longMs });
  }

  /** Grows an image to `sizeBytes`; refuses to shrink (Invalid). */
  async resize(image: string, sizeBytes: number): Promise<void> {
    const cur = await this.info(image);
    const want = Math.ceil(sizeBytes / MiB) * MiB;
    if (want < cur.size) throw new RbdError('Invalid', `rbd resize ${this.spec(image)}: ${want} bytes is smaller than the current ${cur.size}; images only grow`);
    if (want === cur.size) return;
    await this.runner.run(['resize', '--no-progress', '--size', sizeArg(want), this.spec(image)]);
  }

  async rename(from: string, to: string): Promise<void> {
    await this.runner.run(['rename', this.spec(from), this.spec(to)]);
  }

  async info(image: string, snap?: string): Promise<RbdImageInfo> {
    const j = await this.runner.json<RawInfo>(['info', this.spec(image, snap)]);
    return {
      name: j.name,
      id: j.id ?? '',
      size: j.size,
      objectSize: j.object_size ?? 2 ** (j.order ?? 22),
      snapshotCount: j.snapshot_count ?? 0,
      format: j.format ?? 2,
      features: j.features ?? [],
      createdAt: j.create_timestamp,
      parent: j.parent
        ? { pool: j.parent.pool, namespace: j.parent.pool_namespace ?? '', image: j.parent.image, snapshot: j.parent.snapshot, overlap: j.parent.overlap ?? 0 }
        : undefined,
    };
  }

  /** Info, or undefined when the image does not exist. */
  async stat(image: string): Promise<RbdImageInfo | undefined> {
    try {
      return await this.info(image);
    } catch (e) {
      if (e instanceof RbdError && e.kind === 'NotFound') return undefined;
      throw e;
    }
  }

  /** Names of the images in the pool (namespace). */
  async list(): Promise<string[]> {
    return (await this.runner.json<string[] | null>(['ls', this.poolSpec()])) ?? [];
  }

  async snapCreate(image: string, snap: string): Promise<void> {
    await this.runner.run(['snap', 'create', '--no-progress', this.spec(image, snap)]);
  }

  async snapList(image: string): Promise<RbdSnapInfo[]> {
    const raw = (await this.runner.json<RawSnap[] | null>(['snap', 'ls', this.spec(image)])) ?? [];
    return raw.map((s) => ({ id: s.id, name: s.name, size: s.size, protected: s.protected === 'true' || s.protected === true, timestamp: s.timestamp }));
  }

  /** Protects a snapshot (needed before cloning from it with clone format 1); idempotent. */
  async snapProtect(image: string, snap: string): Promise<void> {
    const s = (await this.snapList(image)).find((x) => x.name === snap);
    if (!s) throw new RbdError('NotFound', `rbd snap protect ${this.spec(image, snap)}: no such snapshot`, 2, 'snap protect');
    if (s.protected) return;
    await this.runner.run(['snap', 'protect', this.spec(image, snap)]);
  }

  /** Unprotects a snapshot; fails HasChildren while clones depend on it; idempotent otherwise. */
  async snapUnprotect(image: string, snap: string): Promise<void> {
    const s = (await this.snapList(image)).find((x) => x.name === snap);
    if (!s) throw new RbdError('NotFound', `rbd snap unprotect ${this.spec(image, snap)}: no such snapshot`, 2, 'snap unprotect');
    if (!s.protected) return;
    try {
      await this.runner.run(['snap', 'unprotect', this.spec(image, snap)]);
    } catch (e) {
      if (e instanceof RbdError && e.kind === 'Busy') throw new RbdError('HasChildren', e.message, e.errno, e.command);
      throw e;
    }
  }

  /** Removes a snapshot; fails Protected while protected. */
  async snapRemove(image: string, snap: string): Promise<void> {
    await this.runner.run(['snap', 'rm', '--no-progress', this.spec(image, snap)]);
  }

  /** Clones `parent@snap` into a new image `child` (protects the snapshot first when needed). */
  async clone(parent: string, snap: string, child: string): Promise<void> {
    await this.snapProtect(parent, snap);
    await this.runner.run(['clone', this.spec(parent, snap), this.spec(child)]);
  }

  /** The clones of `image@snap` (in every pool the user can see). */
  async children(image: string, snap: string): Promise<RbdChild[]> {
    const raw = (await this.runner.json<RawChild[] | null>(['children', this.spec(image, snap)])) ?? [];
    return raw.map((c) => ({ pool: c.pool, namespace: c.pool_namespace ?? '', image: c.image }));
  }

  /** Copies the parent's data into a clone so that it no longer depends on it. */
  async flatten(image: string): Promise<void> {
    await this.runner.run(['flatten', '--no-progress', this.spec(image)], { timeoutMs: this.longMs });
  }

  /** Clients that have the image open (rbd status): a mapped or attached disk has one. */
  async watchers(image: string): Promise<string[]> {
    const j = await this.runner.json<{ watchers?: { address: string }[] } | null>(['status', this.spec(image)]);
    return (j?.watchers ?? []).map((w) => w.address);
  }

  /** Streams the bytes of `image` (or of its snapshot) into `sink`; `sink` is not ended. */
  async exportTo(sink: Writable, image: string, snap?: string): Promise<void> {
    await this.runner.pipeOut(['export', '--no-progress', this.spec(image, snap), '-'], sink, this.longMs);
  }

  /** The bytes of `image` (or of its snapshot) as a stream; errors end it with the RbdError. */
  exportStream(image: string, snap?: string): Readable {
    const out = new PassThrough();
    this.exportTo(out, image, snap).then(() => out.end(), (e) => out.destroy(e as Error));
    return out;
  }

  /**
   * Streams the allocated extents of `image` (or of its snapshot), parents of clones included, as
   * an "rbd diff v1" stream (doc/dev/rbd-diff.rst) into `sink`; `sink` is not ended.
   */
  async exportDiffTo(sink: Writable, image: string, snap?: string): Promise<void> {
    await this.runner.pipeOut(['export-diff', '--no-progress', this.spec(image, snap), '-'], sink, this.longMs);
  }

  /** Creates `image` from a stream of raw bytes (its size is the stream's length). */
  async importFrom(source: Readable, image: string): Promise<void> {
    await this.runner.run(['import', '--no-progress', '-', this.spec(image)], { stdin: source, timeoutMs: this.longMs });
  }

  /**
   * Writes `length` bytes from `source` at `offset` into an existing image, through
   * `rbd import-diff` (an "rbd diff v1" stream of one data record: doc/dev/rbd-diff.rst).
   */
  async writeAt(image: string, offset: number, length: number, source: Readable | Buffer): Promise<void> {
    const body = Buffer.isBuffer(source) ? Readable.from([source]) : source;
    await this.runner.run(['import-diff', '--no-progress', '-', this.spec(image)], { stdin: Readable.from(diffRecords(offset, length, body)), timeoutMs: this.longMs });
  }

  /** A cheap call proving the cluster answers and the pool is usable. */
  async ping(): Promise<void> {
    await this.list();
  }
}

/** The rbd diff v1 stream: header, one 'w' record (offset, length, data), end. */
async function* diffRecords(offset: number, length: number, body: Readable): AsyncGenerator<Buffer> {
  const head = Buffer.alloc(17);
  head.write('w', 0, 'latin1');
  head.writeBigUInt64LE(BigInt(offset), 1);
  head.writeBigUInt64LE(BigInt(length), 9);
  yield Buffer.concat([Buffer.from('rbd diff v1\n', 'latin1'), head]);
  let sent = 0;
  for await (const chunk of body) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    sent += b.length;
    if (sent > length) throw new RbdError('Invalid', `rbd import-diff: the data is longer than the stated ${length} bytes`);
    yield b;
  }
  if (sent !== length) throw new RbdError('Invalid', `rbd import-diff: the data has ${sent} bytes, not the stated ${length}`);
  yield Buffer.from('e', 'latin1');
}

function checkName(what: string, name: string): void {
  if (typeof name !== 'string' || !NAME_RE.test(name) || name.includes('@') || name.includes('/')) {
    throw new RbdError('Invalid', `'${String(name)}' is not a valid RBD ${what} name`);
  }
}

function sizeArg(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new RbdError('Invalid', `image size must be a positive number of bytes, got ${bytes}`);
  return `${Math.ceil(bytes / MiB)}M`;
}

interface RawInfo {
  name: string;
  id?: string;
  size: number;
  order?: number;
  object_size?: number;
  snapshot_count?: number;
  format?: number;
  features?: string[];
  create_timestamp?: string;
  parent?: { pool: string; pool_namespace?: string; image: string; snapshot: string; overlap?: number };
}

interface RawSnap {
  id: number;
  name: string;
  size: number;
  protected?: string | boolean;
  timestamp?: string;
}

interface RawChild {
  pool: string;
  pool_namespace?: string;
  image: string;
}
