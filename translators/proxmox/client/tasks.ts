// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * PVE tasks: `UPID:<node>:<pid 8hex>:<pstart 8-9hex>:<starttime 8hex>:<type>:<id>:<user>:` (the
 * trailing colon included). The node inside the UPID is where its status is polled:
 * `GET /nodes/{node}/tasks/{upid}/status` → `{status: running|stopped, exitstatus}`; success is
 * `OK` or `WARNINGS: n` (proxmox-mapping.md, "Tasks").
 */
import { classify, PveError } from './errors.js';
import type { PveHttp } from './http.js';

export interface Upid {
  node: string;
  pid: number;
  pstart: number;
  starttime: number;
  type: string;
  id: string;
  user: string;
}

// PVE::Tools::upid_decode allows no ':' in the id; this is lenient there (the user field, which
// has none, still ends it), so a task id such as a volid `rbd:vm-…` does not stop the polling
const UPID_RE = /^UPID:([a-zA-Z0-9][a-zA-Z0-9.-]*):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s]+):(\S*):([^:\s]+):$/;

export function parseUpid(upid: string): Upid {
  const m = UPID_RE.exec(upid);
  if (!m) throw new Error(`'${upid}' is not a PVE task id (UPID)`);
  return { node: m[1], pid: parseInt(m[2], 16), pstart: parseInt(m[3], 16), starttime: parseInt(m[4], 16), type: m[5], id: m[6], user: m[7] };
}

export function isUpid(v: unknown): v is string {
  return typeof v === 'string' && UPID_RE.test(v);
}

export type TaskOutcome = { done: false } | { done: true; ok: true; warnings: boolean } | { done: true; ok: false; error: string };

/** Reads a task's state once. */
export async function taskState(http: PveHttp, upid: string): Promise<TaskOutcome> {
  const { node } = parseUpid(upid);
  const st = await http.call<{ status: string; exitstatus?: string }>('GET', `/nodes/${encodeURIComponent(node)}/tasks/${encodeURIComponent(upid)}/status`, undefined, '/nodes/*/tasks/*/status');
  if (st.status !== 'stopped') return { done: false };
  const exit = st.exitstatus ?? '';
  if (exit === 'OK') return { done: true, ok: true, warnings: false };
  if (/^WARNINGS: \d+$/.test(exit)) return { done: true, ok: true, warnings: true };
  return { done: true, ok: false, error: exit || 'task ended without an exit status' };
}

/** Polls until the task stops; throws a 'task' PveError (classified by its text) when it failed. */
export async function waitTask(http: PveHttp, upid: string, pollMs: number, timeoutMs = 30 * 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const st = await taskState(http, upid);
    if (st.done) {
      if (st.ok) return;
      const { type, id } = parseUpid(upid);
      const kind = classify(500, st.error);
      throw new PveError(kind === 'other' ? 'task' : kind, 500, st.error, { method: 'TASK', path: `${type}:${id}` });
    }
    if (Date.now() > until) throw new PveError('task', 0, `task ${upid} still running after ${timeoutMs} ms`, { method: 'TASK', path: upid });
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** A result that may be a UPID (async API) or null (nothing to do, or an older synchronous PVE). */
export async function settleResult(http: PveHttp, result: unknown, pollMs: number): Promise<void> {
  if (isUpid(result)) await waitTask(http, result, pollMs);
}
