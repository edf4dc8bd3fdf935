// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The per-VM config flock (PVE::AbstractConfig::lock_config / lock_config_shared →
 * PVE::Tools::lock_file_full on /var/lock/qemu-server/lock-<vmid>.conf, 10 s default timeout):
 * exclusive for writers, shared for readers such as the source of a clone of a stopped VM. A waiter
 * that does not get the lock in time fails with "can't lock file
 * '/var/lock/qemu-server/lock-<vmid>.conf' - got timeout" (/work/shared/reference/proxmox-mapping.md
 * "Tasks (UPIDs), polling and locks"). Fault injection can make the next N attempts on a vmid time
 * out at once.
 */
import { die } from './errors.js';

export function lockTimeoutMessage(vmid: number): string {
  return `can't lock file '/var/lock/qemu-server/lock-${vmid}.conf' - got timeout\n`;
}

interface Waiter {
  shared: boolean;
  grant: () => void;
}

interface LockState {
  readers: number;
  writer: boolean;
  queue: Waiter[];
}

export class FlockTable {
  private readonly locks = new Map<string, LockState>();
  private readonly injected = new Map<string, number>();

  constructor(private readonly timeoutMs: () => number) {}

  /** Makes the next `count` lock attempts on `key` fail with the timeout error. */
  injectTimeouts(key: string, count: number): void {
    this.injected.set(key, (this.injected.get(key) ?? 0) + count);
  }

  /** Whether someone holds the lock on `key`. */
  isHeld(key: string): boolean {
    const s = this.locks.get(key);
    return !!s && (s.writer || s.readers > 0);
  }

  private state(key: string): LockState {
    let s = this.locks.get(key);
    if (!s) this.locks.set(key, (s = { readers: 0, writer: false, queue: [] }));
    return s;
  }

  private pump(key: string): void {
    const s = this.state(key);
    while (s.queue.length) {
      const w = s.queue[0]!;
      if (s.writer || (!w.shared && s.readers > 0)) break;
      s.queue.shift();
      if (w.shared) s.readers++;
      else s.writer = true;
      w.grant();
    }
    if (!s.writer && s.readers === 0 && !s.queue.length) this.locks.delete(key);
  }

  async with<T>(key: string, vmid: number, fn: () => Promise<T>, shared = false): Promise<T> {
    const left = this.injected.get(key) ?? 0;
    if (left > 0) {
      if (left === 1) this.injected.delete(key);
      else this.injected.set(key, left - 1);
      die(lockTimeoutMessage(vmid));
    }
    const s = this.state(key);
    let granted = false;
    let timer: NodeJS.Timeout | undefined;
    const acquired = await new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        shared,
        grant: () => {
          granted = true;
          resolve(true);
        },
      };
      s.queue.push(waiter);
      this.pump(key);
      if (granted) return;
      timer = setTimeout(() => {
        const i = s.queue.indexOf(waiter);
        if (i >= 0) s.queue.splice(i, 1);
        this.pump(key);
        resolve(false);
      }, this.timeoutMs());
    });
    clearTimeout(timer);
    if (!acquired) die(lockTimeoutMessage(vmid));
    try {
      return await fn();
    } finally {
      if (shared) s.readers--;
      else s.writer = false;
      this.locks.set(key, s);
      this.pump(key);
    }
  }
}
