// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * CLI for manual use: `node dist/test/fakes/pve/main.js [--port N] [--nodes pve1,pve2]
 * [--task-ms 200] [--token-secret UUID] [--password PW] [--ceph]`. With --ceph the RBD storage
 * holds real images on the conformance/backends/ceph/up.sh cluster. Prints one JSON line with the URL,
 * TLS fingerprint, CA and credentials, then serves until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { cephStorage } from './ceph.js';
import { startFakePve } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    nodes: { type: 'string' },
    'task-ms': { type: 'string' },
    'token-secret': { type: 'string' },
    password: { type: 'string' },
    'unauthorized-delay-ms': { type: 'string' },
    ceph: { type: 'boolean' },
  },
});

const pve = await startFakePve({
  port: values.port ? Number(values.port) : undefined,
  nodes: values.nodes?.split(',').filter(Boolean),
  taskMs: values['task-ms'] ? Number(values['task-ms']) : undefined,
  tokenSecret: values['token-secret'],
  password: values.password,
  unauthorizedDelayMs: values['unauthorized-delay-ms'] ? Number(values['unauthorized-delay-ms']) : undefined,
  storage: values.ceph ? await cephStorage() : undefined,
});
process.stdout.write(
  `${JSON.stringify({ url: pve.url, fingerprint: pve.fingerprint, caPem: pve.caPem, tokenId: pve.tokenId, tokenSecret: pve.tokenSecret, user: pve.user, password: pve.password, nodes: pve.nodes, storage: pve.storageId, rbd: pve.rbd })}\n`,
);
const stop = () => void pve.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
