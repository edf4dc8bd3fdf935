// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * SigV4 authentication, as AWS does it. The server calls parseSignature() on every request
 * (null: anonymous), then Authenticator.authenticate() with the service resolved from the scope;
 * authenticate() replaces req.body with the verified, decoded payload stream.
 */
export { parseSignature, parseBasicIso, type SignatureInfo } from './parse.js';
export { Authenticator, type AuthOptions } from './authenticator.js';
export { familyOf, missingAuthentication, type AuthFamily } from './errors.js';
export { canonicalRequest, canonicalUri, canonicalQuery } from './canonical.js';
export { deriveSigningKey, stringToSign, signHex, SigningKeyCache } from './signing.js';
export { AwsChunkedDecoder, type ChunkedOptions, type ChunkSigning } from './chunked.js';
