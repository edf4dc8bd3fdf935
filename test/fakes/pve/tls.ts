// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * A self-signed certificate for the fake's HTTPS listener, made with the openssl CLI at start
 * (like pve-cluster's pve-ssl.pem, the client must pin it: CA PEM or SHA-256 fingerprint).
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SelfSigned {
  key: string;
  cert: string;
  /** SHA-256 fingerprint, colon-separated upper-case hex (as PVE shows it). */
  fingerprint: string;
}

export function makeSelfSigned(hostname = 'localhost'): SelfSigned {
  const dir = mkdtempSync(join(tmpdir(), 'fake-pve-tls-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${hostname}/O=PVE Cluster Node`,
      '-addext', `subjectAltName=DNS:${hostname},IP:127.0.0.1`,
    ], { stdio: 'ignore' });
    const certPem = readFileSync(cert, 'utf8');
    return { key: readFileSync(key, 'utf8'), cert: certPem, fingerprint: new X509Certificate(certPem).fingerprint256 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
