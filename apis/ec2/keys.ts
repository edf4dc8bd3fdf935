// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * SSH key material: generation (rsa 2048 as PKCS#1 PEM, ed25519 as an OpenSSH private key), parsing
 * of imported OpenSSH public keys, and AWS's fingerprints: CreateKeyPair rsa = SHA-1 of the PKCS#8
 * DER private key, ImportKeyPair rsa = MD5 of the DER public key, ed25519 = base64 SHA-256 of the
 * OpenSSH public key blob.
 */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { AwsError } from '../../src/errors.js';

function colonHex(b: Buffer): string {
  return b.toString('hex').match(/../g)!.join(':');
}

function sshString(b: Buffer | string): Buffer {
  const data = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
}

function mpint(b64url: string): Buffer {
  let b = Buffer.from(b64url, 'base64url');
  while (b.length > 1 && b[0] === 0 && (b[1] & 0x80) === 0) b = b.subarray(1);
  if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return sshString(b);
}

function rsaBlob(pub: KeyObject): Buffer {
  const jwk = pub.export({ format: 'jwk' });
  return Buffer.concat([sshString('ssh-rsa'), mpint(jwk.e!), mpint(jwk.n!)]);
}

function ed25519Raw(pub: KeyObject): Buffer {
  return Buffer.from(pub.export({ format: 'jwk' }).x!, 'base64url');
}

export interface KeyMaterial {
  keyType: 'rsa' | 'ed25519';
  fingerprint: string;
  /** OpenSSH one-line public key. */
  publicKey: string;
  /** Private key text (CreateKeyPair only). */
  privateKey?: string;
}

function wrap(b64: string, width: number): string {
  return b64.match(new RegExp(`.{1,${width}}`, 'g'))!.join('\n');
}

function opensshPrivateEd25519(pubRaw: Buffer, seed: Buffer, comment: string): string {
  const blob = Buffer.concat([sshString('ssh-ed25519'), sshString(pubRaw)]);
  const check = randomBytes(4);
  let priv = Buffer.concat([check, check, sshString('ssh-ed25519'), sshString(pubRaw), sshString(Buffer.concat([seed, pubRaw])), sshString(comment)]);
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const one = Buffer.alloc(4);
  one.writeUInt32BE(1);
  const body = Buffer.concat([Buffer.from('openssh-key-v1\0'), sshString('none'), sshString('none'), sshString(''), one, sshString(blob), sshString(priv)]);
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${wrap(body.toString('base64'), 70)}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

export function generateKey(type: 'rsa' | 'ed25519', name: string): KeyMaterial {
  if (type === 'rsa') {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
    return {
      keyType: 'rsa',
      fingerprint: colonHex(createHash('sha1').update(pkcs8).digest()),
      publicKey: `ssh-rsa ${rsaBlob(publicKey).toString('base64')} ${name}`,
      privateKey: privateKey.export({ format: 'pem', type: 'pkcs1' }).toString().trimEnd(),
    };
  }
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = ed25519Raw(publicKey);
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const blob = Buffer.concat([sshString('ssh-ed25519'), sshString(raw)]);
  return {
    keyType: 'ed25519',
    fingerprint: createHash('sha256').update(blob).digest('base64'),
    publicKey: `ssh-ed25519 ${blob.toString('base64')} ${name}`,
    privateKey: opensshPrivateEd25519(raw, seed, name).trimEnd(),
  };
}

function readString(b: Buffer, off: number): [Buffer, number] {
  if (off + 4 > b.length) throw new Error('truncated');
  const len = b.readUInt32BE(off);
  if (off + 4 + len > b.length) throw new Error('truncated');
  return [b.subarray(off + 4, off + 4 + len), off + 4 + len];
}

function invalidFormat(): AwsError {
  return new AwsError('InvalidKey.Format', 'Key is not in valid OpenSSH public key format');
}

/** Parses what ImportKeyPair receives (an OpenSSH public key line, or a PEM public key). */
export function importKey(material: Buffer | string): KeyMaterial {
  const text = (Buffer.isBuffer(material) ? material.toString('utf8') : material).trim();
  if (text.startsWith('-----BEGIN')) {
    let key: KeyObject;
    try {
      key = createPublicKey(text);
    } catch {
      throw invalidFormat();
    }
    if (key.asymmetricKeyType === 'rsa') return rsaMaterial(key);
    if (key.asymmetricKeyType === 'ed25519') return ed25519Material(ed25519Raw(key));
    throw invalidFormat();
  }
  const parts = text.split(/\s+/);
  if (parts.length < 2) throw invalidFormat();
  const blob = Buffer.from(parts[1], 'base64');
  try {
    const [algo, off] = readString(blob, 0);
    if (algo.toString() !== parts[0]) throw invalidFormat();
    if (parts[0] === 'ssh-rsa') {
      const [e, off2] = readString(blob, off);
      const [n] = readString(blob, off2);
      const key = createPublicKey({ key: { kty: 'RSA', n: strip(n).toString('base64url'), e: strip(e).toString('base64url') }, format: 'jwk' });
      const bits = (key.asymmetricKeyDetails?.modulusLength ?? 0);
      if (bits < 1024) throw new AwsError('InvalidKey.Format', `RSA keys must be at least 1024 bits long, got ${bits}`);
      return rsaMaterial(key, parts.slice(2).join(' '));
    }
    if (parts[0] === 'ssh-ed25519') {
      const [raw] = readString(blob, off);
      if (raw.length !== 32) throw invalidFormat();
      return ed25519Material(raw, parts.slice(2).join(' '));
    }
  } catch (e) {
    if (e instanceof AwsError) throw e;
    throw invalidFormat();
  }
  throw invalidFormat();
}

function strip(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

function rsaMaterial(key: KeyObject, comment = ''): KeyMaterial {
  const spki = key.export({ format: 'der', type: 'spki' });
  return {
    keyType: 'rsa',
    fingerprint: colonHex(createHash('md5').update(spki).digest()),
    publicKey: `ssh-rsa ${rsaBlob(key).toString('base64')}${comment ? ' ' + comment : ''}`,
  };
}

function ed25519Material(raw: Buffer, comment = ''): KeyMaterial {
  const blob = Buffer.concat([sshString('ssh-ed25519'), sshString(raw)]);
  return {
    keyType: 'ed25519',
    fingerprint: createHash('sha256').update(blob).digest('base64'),
    publicKey: `ssh-ed25519 ${blob.toString('base64')}${comment ? ' ' + comment : ''}`,
  };
}
