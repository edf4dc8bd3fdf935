// SPDX-License-Identifier: AGPL-3.0-or-later
/** TurnQueue: items of one event-loop turn run together at its end, in order, each on its own. */
import t from 'tap';
import { TurnQueue } from '../../src/util/turn.js';

t.test('runs at the end of the turn, in order, past a failing item', async (t) => {
  const ran: number[] = [];
  const failed: number[] = [];
  const q = new TurnQueue<number>(
    (n) => {
      if (n === 2) throw new Error('two');
      ran.push(n);
    },
    (n) => failed.push(n),
  );
  q.push(1);
  q.push(2);
  q.push(3);
  t.same(ran, [], 'nothing runs during the turn');
  await new Promise((r) => setImmediate(r));
  t.same(ran, [1, 3], 'all run at its end, in order');
  t.same(failed, [2], 'a failing item is reported, the others still run');
  q.push(4);
  await new Promise((r) => setImmediate(r));
  t.same(ran, [1, 3, 4], 'the next turn gets its own run');
});
