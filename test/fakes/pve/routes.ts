// SPDX-License-Identifier: AGPL-3.0-or-later
/** Route modules that keep their own state (firewall, SDN, rrddata). */
import type { FakePve } from './core.js';
import type { Route } from './router.js';

export function extraRoutes(_fake: FakePve): Route[] {
  return [];
}
