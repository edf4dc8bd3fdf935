// SPDX-License-Identifier: AGPL-3.0-or-later
/** The peer of the core bench: plain fastify answering every POST with fixed bytes. */
import Fastify from 'fastify';

const [, , port, bodyB64, contentType] = process.argv;
const body = Buffer.from(bodyB64, 'base64');
const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, payload, done) => done(null, payload));
app.post('/', async (_req, reply) => reply.header('content-type', contentType).header('x-amzn-RequestId', 'C0FFEE').send(body));
await app.listen({ host: '127.0.0.1', port: Number(port) });
console.log(`plain fastify ready on ${app.server.address() && (app.server.address() as { port: number }).port}`);
