// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The V8 flags the gateway runs under (`npm start` passes them; `bin/mcgw.js serve` starts itself
 * again with them when they are missing; the benches start the gateway with them, as users run it).
 *
 * --max-semi-space-size=2 (MiB; V8's default lets the young generation grow to 16): every chunk
 * of an upload body is a Buffer the HTTP parser allocates, which V8 counts as external memory
 * until a scavenge finds it dead. With a large young generation, scavenges come rarely enough for
 * 64 MB of such buffers to pile up between two of them under concurrent uploads: V8 then starts
 * full collections for "external memory pressure", again and again. Measured on PUTs of 1 MiB,
 * 16 at a time: 25–105 full collections per 10 s and 1,676–3,120 µs of CPU per PUT without the
 * flag; 1 full collection and 1,886–2,406 µs with it (3 and 4 MiB still let the storms in). The
 * price: larger requests that keep objects alive across scavenges promote more (a LIST page of
 * 1,000 keys: p50 8–11 → 11–15 ms).
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];
