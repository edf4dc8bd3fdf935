// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Object bytes on disk (SSE-S3 objects encrypted at rest: AES-256-CTR, a random IV per file and a
 * per-file key derived from the store's master key `<dataDir>/s3/master.key` and the file id):
 * `<dataDir>/s3/data/<xx>/<fileId>`, written in place and fsynced (file, then its directory)
 * before any record names it, names from random ids — never from the object key, so no key can
 * escape the data dir. (`<dataDir>/s3/tmp/` held temp files in earlier versions: swept at start.) An object is a list of segments (one file for
 * a simple PUT, the part files for a multipart upload), so completing an upload moves no bytes.
 */
import { spawnSync } from 'node:child_process';
import { createCipheriv, createDecipheriv, createHmac, randomBytes, type Decipher } from 'node:crypto';
import { close as fsClose, constants, fdatasync, fsync, mkdirSync, open as fsOpen, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ByteRange, ChecksumAlgorithm } from '../../../apis/s3/backend.js';
import { AwsError } from '../../../src/errors.js';
import { FileBody, type Piece } from './body.js';
import { FdCache } from './fd-cache.js';
import { DigestSet } from './hashing.js';
import { SinkFactory } from './staged.js';

export interface Segment {
  /** File id (relative name under data/). */
  f: string;
  /** Size in bytes. */
  n: number;
  /** Base64 IV when the file is encrypted (AES-256-CTR). */
  iv?: string;
}

export interface WriteResult {
  file: string;
  iv?: string;
  size: number;
  md5: Buffer;
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
}

export interface WriteOptions {
  contentLength?: number;
  contentMd5?: string;
  checksums?: Partial<Record<ChecksumAlgorithm, string | null>>;
  trailingChecksums?: () => Partial<Record<ChecksumAlgorithm, string>>;
  /** Encrypt at rest (SSE-S3). */
  encrypt?: boolean;
}

export function incompleteBody(): AwsError {
  return new AwsError('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.', { status: 400 });
}

export class FileStore {
  readonly dataDir: string;
  readonly tmpDir: string;
  private readonly masterKey: Buffer;
  /** Descriptors of data files kept open between reads (fd-cache.ts). */
  private readonly fds = new FdCache();
  /** Where written bytes go: O_DIRECT from aligned slabs where the filesystem allows (staged.ts). */
  private readonly sinks = new SinkFactory();

  constructor(root: string) {
    this.dataDir = join(root, 'data');
    this.tmpDir = join(root, 'tmp');
    if (mkdirSync(this.dataDir, { recursive: true, mode: 0o700 }) !== undefined) spreadSubdirs(this.dataDir);
    mkdirSync(this.tmpDir, { recursive: true, mode: 0o700 });
    this.masterKey = loadMasterKey(join(root, 'master.key'));
  }

  private fileKey(file: string): Buffer {
    return createHmac('sha256', this.masterKey).update(file).digest();
  }

  private readonly dirSyncs = new Map<string, { running: Promise<void>; again?: Promise<void> }>();

  /**
   * fsyncs a directory. Callers arriving while a sync runs share the next one (their rename may
   * have come after the running sync started), so concurrent writers cost one sync per round.
   */
  syncDir(dir: string): Promise<void> {
    const st = this.dirSyncs.get(dir);
    if (!st) {
      const running = this.fsyncDir(dir).finally(() => {
        const cur = this.dirSyncs.get(dir);
        if (cur && cur.running === running && !cur.again) this.dirSyncs.delete(dir);
      });
      this.dirSyncs.set(dir, { running });
      return running;
    }
    if (!st.again) {
      st.again = st.running.catch(() => undefined).then(() => {
        st.again = undefined;
        this.dirSyncs.delete(dir);
        return this.syncDir(dir);
      });
    }
    return st.again;
  }

  /**
   * Read-only descriptors of data/ and data/<xx>/ (257 at most), kept open for their fsyncs: a
   * PUT's directory sync is then one fsync, not an open, an fsync and a close (three round
   * trips through the thread pool).
   */
  private readonly dirFds = new Map<string, Promise<number>>();

  private dirFd(dir: string): Promise<number> {
    let fd = this.dirFds.get(dir);
    if (!fd) {
      const opening = new Promise<number>((resolve, reject) => fsOpen(dir, 'r', (err, n) => (err ? reject(err) : resolve(n))));
      this.dirFds.set(dir, opening);
      opening.catch(() => {
        if (this.dirFds.get(dir) === opening) this.dirFds.delete(dir);
      });
      fd = opening;
    }
    return fd;
  }

  /** Forgets the descriptor of a directory that went away (closed once its syncs are done). */
  private dropDirFd(dir: string): void {
    const fd = this.dirFds.get(dir);
    if (!fd) return;
    this.dirFds.delete(dir);
    const st = this.dirSyncs.get(dir);
    void Promise.allSettled([st?.running, st?.again]).then(() => fd.then((n) => fsClose(n, noop), noop));
  }

  private async fsyncDir(dir: string): Promise<void> {
    const fd = await this.dirFd(dir);
    await fdCall(fsync, fd);
  }

  pathOf(file: string): string {
    return join(this.dataDir, file.slice(0, 2), file);
  }

  /** Directories under data/ known to exist (made or seen by this process). */
  private readonly dirsMade = new Set<string>();

  /** Makes data/<xx>/ when needed; a directory it creates is made durable in data/ too. */
  private async ensureDir(dir: string): Promise<void> {
    if (this.dirsMade.has(dir)) return;
    if ((await mkdir(dir, { recursive: true, mode: 0o700 })) !== undefined) await this.syncDir(this.dataDir);
    this.dirsMade.add(dir);
  }

  /** Creates the data file (exclusive: ids are random, a clash is never overwritten). */
  private async create(dir: string, path: string, direct: boolean): Promise<number> {
    await this.ensureDir(dir);
    try {
      return await openFd(path, direct);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      // the directory went away under us: make it again
      this.dirsMade.delete(dir);
      this.dropDirFd(dir);
      await this.ensureDir(dir);
      return openFd(path, direct);
    }
  }

  /**
   * Streams `body` into a new durable file; verifies length, Content-MD5 and given checksums. The
   * file is written in place under its random name, created with the first bytes (an empty body
   * makes none): nothing can see it before a record names it, so no temp file and rename are
   * needed. What a failed write made is unlinked; what a killed process was writing is an
   * unreferenced file, swept at start-up (sweepUnreferenced).
   */
  async write(body: Readable, opts: WriteOptions): Promise<WriteResult> {
    const algs = new Set<ChecksumAlgorithm>(Object.keys(opts.checksums ?? {}) as ChecksumAlgorithm[]);
    const digests = new DigestSet(algs);
    const file = randomBytes(16).toString('hex');
    const dir = join(this.dataDir, file.slice(0, 2));
    const path = join(dir, file);
    const iv = opts.encrypt ? randomBytes(16) : undefined;
    const cipher = iv ? createCipheriv('aes-256-ctr', this.fileKey(file), iv) : undefined;
    // a raw descriptor and callback calls: a FileHandle costs an object and its own bookkeeping per call
    let created = false;
    const sink = this.sinks.create(async (direct) => {
      const fd = await this.create(dir, path, direct);
      created = true;
      return fd;
    }, path);
    let closed = false;
    try {
      for await (const chunk of body) {
        const plain = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
        if (plain.length === 0) continue;
        digests.update(plain);
        // the ETag is the MD5 of the plain bytes: the sink hashes what it stages unless it gets ciphertext
        if (cipher) digests.md5.update(plain);
        const wrote = cipher ? sink.add(cipher.update(plain)) : sink.add(plain, digests.md5);
        if (wrote) await wrote;
      }
      await sink.end();
      if (opts.contentLength !== undefined && digests.bytes !== opts.contentLength) throw incompleteBody();
      // empty objects (directory markers…) need no file
      const fd = sink.fd;
      if (fd !== undefined) {
        await fdCall(fdatasync, fd);
        closed = true;
        await fdCall(fsClose, fd);
        // the new directory entry must be durable before a record can point at it (power loss)
        await this.syncDir(dir);
      }
      // the digest is asked for once the file is durable: until then the last staged bytes wait
      // for other uploads' company (full-width kernel calls) instead of being hashed alone
      const { md5, checksums } = await digests.finish();
      sink.release();
      verifyDigests(md5, checksums, opts);
      if (fd === undefined) return { file: '', size: 0, md5, checksums };
      return { file, iv: iv?.toString('base64'), size: digests.bytes, md5, checksums };
    } catch (e) {
      digests.discard();
      sink.release();
      if (!closed && sink.fd !== undefined) await fdCall(fsClose, sink.fd).catch(noop);
      if (created) await unlink(path).catch(() => undefined);
      throw e;
    }
  }

  /**
   * Opens every segment first (so a concurrent delete cannot cut the read short), then streams the
   * range (body.ts).
   */
  async read(segments: Segment[], range?: ByteRange): Promise<Readable> {
    const total = segments.reduce((a, s) => a + s.n, 0);
    const start = range?.start ?? 0;
    const end = range?.end ?? total - 1;
    const pieces: Piece[] = [];
    let base = 0;
    try {
      for (const s of segments) {
        const segStart = base;
        const segEnd = base + s.n - 1;
        base += s.n;
        if (s.n === 0 || segEnd < start || segStart > end) continue;
        const { fd, release } = await this.fds.acquire(s.f, this.pathOf(s.f));
        const from = Math.max(start, segStart) - segStart;
        pieces.push({ fd, release, start: from, end: Math.min(end, segEnd) - segStart, decipher: s.iv ? decipherAt(this.fileKey(s.f), Buffer.from(s.iv, 'base64'), from) : undefined });
      }
    } catch (e) {
      for (const p of pieces) p.release();
      throw e;
    }
    if (pieces.length === 0) return Readable.from([]);
    return new FileBody(pieces);
  }

  async remove(files: string[]): Promise<void> {
    for (const f of files) {
      if (!f) continue;
      this.fds.drop(f);
      await unlink(this.pathOf(f)).catch(() => undefined);
    }
  }

  /** Closes the cached descriptors (store shutdown). */
  close(): void {
    this.fds.closeAll();
    for (const fd of this.dirFds.values()) fd.then((n) => fsClose(n, noop), noop);
    this.dirFds.clear();
  }

  /**
   * Removes data files no record references that were last written before `before` (epoch ms):
   * what a process killed between the rename and the metadata commit leaves behind.
   */
  async sweepUnreferenced(referenced: Set<string>, before: number): Promise<number> {
    let n = 0;
    for (const d of await readdir(this.dataDir)) {
      for (const f of await readdir(join(this.dataDir, d)).catch(() => [] as string[])) {
        if (referenced.has(f)) continue;
        this.fds.drop(f);
        const p = join(this.dataDir, d, f);
        try {
          if ((await stat(p)).mtimeMs < before) {
            await unlink(p);
            n++;
          }
        } catch {
          /* gone meanwhile */
        }
      }
    }
    return n;
  }

  /** Removes temp files left by a killed process (older than `olderThanMs`). */
  sweepTmp(olderThanMs: number, now = Date.now()): number {
    let n = 0;
    for (const name of readdirSync(this.tmpDir)) {
      const p = join(this.tmpDir, name);
      try {
        if (now - statSync(p).mtimeMs >= olderThanMs) {
          rmSync(p, { force: true });
          n++;
        }
      } catch {
        /* raced with a writer finishing */
      }
    }
    return n;
  }
}

const noop = (): void => undefined;

/** An exclusive create for writing (ids are random: a clash is never overwritten), O_DIRECT when asked. */
function openFd(path: string, direct: boolean): Promise<number> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (direct ? constants.O_DIRECT : 0);
  return new Promise((resolve, reject) => fsOpen(path, flags, 0o600, (err, fd) => (err ? reject(err) : resolve(fd))));
}

/**
 * Marks a new data/ directory as the top of a hierarchy for ext2/3/4 (`chattr +T`, the Orlov
 * allocator's hint), so its 256 subdirectories are spread over the filesystem's block groups
 * instead of sharing data/'s. A file's inode is allocated in its directory's (flex) group, and on
 * ext4 without a journal every allocation first steps over each inode of that group freed in the
 * last ~30 s (fs/ext4/ialloc.c, recently_deleted): with every object in one group, a store that
 * replaces objects at a few hundred per second paid a scan of thousands of inodes per create —
 * __ext4_new_inode took 6.4 % of the gateway's CPU under 1 MiB PUTs, 0.75 % once spread. Best
 * effort: another filesystem, or no chattr, just leaves the directory as it is.
 */
function spreadSubdirs(dir: string): void {
  // a missing chattr or a refusal is in the result, never thrown: the default placement then
  spawnSync('chattr', ['+T', dir], { stdio: 'ignore', timeout: 5_000 });
}

/** fdatasync / fsync / close of a descriptor, as a promise. */
function fdCall(call: (fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => void, fd: number): Promise<void> {
  return new Promise((resolve, reject) => call(fd, (err) => (err ? reject(err) : resolve())));
}

/** AES-256-CTR decipher positioned at byte `offset` of the plaintext. */
function decipherAt(key: Buffer, iv: Buffer, offset: number): Decipher {
  const counter = Buffer.from(iv);
  let add = BigInt(Math.floor(offset / 16));
  for (let i = 15; i >= 0 && add > 0n; i--) {
    const sum = BigInt(counter[i]) + (add & 0xffn);
    counter[i] = Number(sum & 0xffn);
    add = (add >> 8n) + (sum >> 8n);
  }
  const d = createDecipheriv('aes-256-ctr', key, counter);
  const skip = offset % 16;
  if (skip) d.update(Buffer.alloc(skip));
  return d;
}

/** The store's master key: created once (0600), never leaves the data dir. */
function loadMasterKey(path: string): Buffer {
  try {
    const k = readFileSync(path);
    if (k.length !== 32) throw new Error(`${path} must hold 32 bytes`);
    return k;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    const k = randomBytes(32);
    try {
      writeFileSync(path, k, { mode: 0o600, flag: 'wx' });
      return k;
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(path);
      throw e2;
    }
  }
}

export function verifyDigests(md5: Buffer, checksums: Partial<Record<ChecksumAlgorithm, string>>, opts: WriteOptions): void {
  if (opts.contentMd5 !== undefined && md5.toString('base64') !== opts.contentMd5) {
    throw new AwsError('BadDigest', 'The Content-MD5 you specified did not match what we received.', {
      status: 400,
      fields: { ExpectedDigest: opts.contentMd5, CalculatedDigest: md5.toString('base64') },
    });
  }
  const expected: Partial<Record<ChecksumAlgorithm, string | null>> = { ...(opts.checksums ?? {}), ...(opts.trailingChecksums?.() ?? {}) };
  for (const [alg, want] of Object.entries(expected) as Array<[ChecksumAlgorithm, string | null]>) {
    if (want === null || want === undefined) continue;
    if (checksums[alg] !== undefined && checksums[alg] !== want) {
      throw new AwsError('BadDigest', `The ${alg} you specified did not match the calculated checksum.`, { status: 400 });
    }
  }
}
