// SPDX-License-Identifier: AGPL-3.0-or-later
/** Route modules that need the cluster at registration (firewall, SDN, rrddata, node status). */
import type { FakePve } from './core.js';
import { firewallRoutes } from './firewall.js';
import type { Route } from './router.js';
import { nodeRoutes } from './node-routes.js';
import { rrdRoutes } from './rrd.js';
import { sdnRoutes } from './sdn.js';

export function extraRoutes(fake: FakePve): Route[] {
  return [...firewallRoutes(fake), ...sdnRoutes(fake), ...rrdRoutes(fake), ...nodeRoutes(fake)];
}
