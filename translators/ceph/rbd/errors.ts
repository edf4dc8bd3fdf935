// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Typed failures of RBD calls. The `rbd` tool exits with the errno of the failed librbd call and
 * prints it as "(N) Text" on stderr; this module turns that into a kind the callers can act on
 * (the EC2 layer maps kinds to AWS codes; the Proxmox translator to its own answers).
 */

export type RbdErrorKind =
  /** The image (or snapshot) does not exist: ENOENT. */
  | 'NotFound'
  /** An image or snapshot of that name exists already: EEXIST. */
  | 'Exists'
  /** The image is open somewhere (watchers, exclusive lock): EBUSY without a more precise cause. */
  | 'Busy'
  /** The snapshot is protected (unprotect it first). */
  | 'Protected'
  /** A snapshot of the image still has clones (flatten them first). */
  | 'HasChildren'
  /** The image still has snapshots (remove them first): ENOTEMPTY. */
  | 'HasSnapshots'
  /** A request the cluster refuses as invalid (EINVAL, ERANGE, shrinking…). */
  | 'Invalid'
  /** The caller lacks the cephx capabilities: EPERM/EACCES. */
  | 'Denied'
  /** The call did not finish within the client's time limit (it was killed). */
  | 'Timeout'
  /** The cluster could not be reached or the tool could not start. */
  | 'Unavailable'
  /** Anything else. */
  | 'Failed';

export class RbdError extends Error {
  constructor(
    readonly kind: RbdErrorKind,
    message: string,
    /** The errno the tool reported, when it did. */
    readonly errno?: number,
    /** What ran, without secrets (the rbd sub-command and its image spec). */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'RbdError';
  }
}

export function isRbdError(e: unknown, kind?: RbdErrorKind): e is RbdError {
  return e instanceof RbdError && (kind === undefined || e.kind === kind);
}

const ERRNO_RE = /\((\d{1,3})\) [A-Z][^\n]*/;

/** The errno of a failed run: the "(N) Text" of stderr first, else the exit status. */
export function errnoOf(stderr: string, exitCode: number | null): number | undefined {
  const m = ERRNO_RE.exec(stderr);
  if (m) return Number(m[1]);
  return exitCode !== null && exitCode > 1 ? exitCode : undefined;
}

/** Classifies a failed `rbd` run from its stderr text and exit status. */
export function classify(stderr: string, exitCode: number | null, command: string): RbdError {
  const errno = errnoOf(stderr, exitCode);
  const text = stderr.toLowerCase();
  const line = lastMeaningfulLine(stderr) || `exit status ${String(exitCode)}`;
  const mk = (kind: RbdErrorKind) => new RbdError(kind, `rbd ${command}: ${line}`, errno, command);
  if (/has snapshots/.test(text)) return mk('HasSnapshots');
  if (/child|clone|dependent/.test(text) && (errno === 16 || errno === 39)) return mk('HasChildren');
  if (/is protected|protected from removal/.test(text)) return mk('Protected');
  if (/watchers|exclusive lock|in use/.test(text)) return mk('Busy');
  switch (errno) {
    case 2:
      return mk('NotFound');
    case 17:
      return mk('Exists');
    case 16:
      return mk('Busy');
    case 39:
      return mk('HasSnapshots');
    case 22:
    case 34:
      return mk('Invalid');
    case 1:
    case 13:
      return mk('Denied');
    case 110:
    case 111:
    case 107:
      return mk('Unavailable');
  }
  if (/error connecting to the cluster|couldn't connect|timed out|unable to open config file|global_init/.test(text)) return mk('Unavailable');
  return mk('Failed');
}

/** librbd prints debug lines ("2026-… 7f… -1 librbd::…") before the tool's own "rbd: …" line. */
function lastMeaningfulLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const own = lines.filter((l) => l.startsWith('rbd:'));
  return (own.length ? own[own.length - 1] : lines[lines.length - 1] ?? '').slice(0, 400);
}
