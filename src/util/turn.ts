// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Work collected during one event-loop turn and run together at its end (setImmediate, i.e. once
 * the loop has handled every I/O event of the turn). The server holds its small responses this
 * way and the Alternator transport its upstream requests: sent as one burst, they wake the other
 * side once instead of once each, and stop interleaving socket writes with request handling.
 */
export class TurnQueue<T> {
  private items: T[] = [];

  /** `run` is called for each item in order; an item that throws does not stop the others. */
  constructor(
    private readonly run: (item: T) => void,
    private readonly onError: (item: T, err: unknown) => void,
  ) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    const batch = this.items;
    this.items = [];
    for (const item of batch) {
      try {
        this.run(item);
      } catch (err) {
        this.onError(item, err);
      }
    }
  }
}
