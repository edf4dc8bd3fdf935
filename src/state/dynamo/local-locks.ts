// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Per-process queues on state keys. A write that lost a race for a key (its version moved, or a
 * transaction held it) retries holding the key's local lock, so writers of one gateway queue up
 * behind each other instead of all retrying against the table at once (which costs O(n²) round
 * trips on a hot key such as the identity generation counter). Across gateways the table's
 * conditional writes still decide; this only keeps the contention down to one writer per gateway.
 */
export class LocalLocks {
  private readonly tails = new Map<string, Promise<void>>();

  /** Waits for the locks of `ids` (taken in one global order: no deadlock); returns the release. */
  async acquire(ids: Iterable<string>): Promise<() => void> {
    const releases: Array<() => void> = [];
    for (const id of [...new Set(ids)].sort()) {
      const prev = this.tails.get(id) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((r) => (release = r));
      const tail = prev.then(() => mine);
      this.tails.set(id, tail);
      await prev;
      releases.push(() => {
        release();
        if (this.tails.get(id) === tail) this.tails.delete(id);
      });
    }
    return () => {
      for (const r of releases) r();
    };
  }
}
