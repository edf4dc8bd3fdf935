// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The per-VM config flock (PVE::AbstractConfig::lock_config → PVE::Tools::lock_file_full on
 * /var/lock/qemu-server/lock-<vmid>.conf, 10 s default timeout). A waiter that does not get the
 * lock in time fails with "can't lock file '/var/lock/qemu-server/lock-<vmid>.conf' - got timeout"
 * (/work/shared/reference/proxmox-mapping.md "Tasks (UPIDs), polling and locks").
 * Fault injection can make the next N attempts on a vmid time out at once.
 */
import { die } from './errors.js';

export function lockTimeoutMessage(vmid: number): string {
  return `can't lock file '/var/lock/qemu-server/lock-${vmid}.conf' - got timeout\n`;
}

export class FlockTable {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly injected = new Map<string, number>();

  constructor(private readonly timeoutMs: () => number) {}

  /** Makes the next `count` lock attempts on `key` fail with the timeout error. */
  injectTimeouts(key: string, count: number): void {
    this.injected.set(key, (this.injected.get(key) ?? 0) + count);
  }

  /** Whether someone holds or waits for the lock on `key`. */
  isHeld(key: string): boolean {
    return this.tails.has(key);
  }

  async with<T>(key: string, vmid: number, fn: () => Promise<T>): Promise<T> {
    const left = this.injected.get(key) ?? 0;
    if (left > 0) {
      if (left === 1) this.injected.delete(key);
      else this.injected.set(key, left - 1);
      die(lockTimeoutMessage(vmid));
    }
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    let timer: NodeJS.Timeout | undefined;
    const acquired = await Promise.race([
      prev.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), this.timeoutMs()))),
    ]);
    clearTimeout(timer);
    if (!acquired) {
      // Give up our place: whoever follows waits for the previous holder only.
      void prev.then(() => release());
      if (this.tails.get(key) === tail) void tail.then(() => this.tails.get(key) === tail && this.tails.delete(key));
      die(lockTimeoutMessage(vmid));
    }
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
