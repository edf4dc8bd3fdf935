// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The Alternator stand-in as a process: `node dist/test/fakes/alternator/main.js [--data-dir D]
 * [--nodes N] [--port P]` prints one JSON line {endpoints, addresses, port, accessKeyId,
 * secretAccessKey} once serving, and stops on SIGTERM/SIGINT.
 */
import { startAlternatorShim } from './shim.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const shim = await startAlternatorShim({
  dataDir: arg('data-dir'),
  nodes: arg('nodes') ? Number(arg('nodes')) : undefined,
  port: arg('port') ? Number(arg('port')) : undefined,
});
process.stdout.write(`${JSON.stringify({ endpoints: shim.endpoints, addresses: shim.addresses, port: shim.port, accessKeyId: shim.accessKeyId, secretAccessKey: shim.secretAccessKey })}\n`);
const stop = () => void shim.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
