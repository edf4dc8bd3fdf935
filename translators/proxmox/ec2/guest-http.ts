// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * What the gateway serves to guests on its own listener (src/context.ts LocalEndpoint):
 *
 * - `/_mcgw/nocloud/<i-…>/{meta-data,user-data,vendor-data}`: the NoCloud seed a VM's SMBIOS
 *   serial points cloud-init at (`ds=nocloud-net;s=<guestUrl>/_mcgw/nocloud/<i-…>/`); meta-data
 *   carries `instance-id: i-…`, the hostname and the key pair's public key. `POST …/console` takes
 *   the guest's cloud-init output log (the vendor-data ships it), which GetConsoleOutput returns.
 * - `/latest/…`: the EC2 instance metadata paths (meta-data, user-data, dynamic identity document,
 *   IMDSv2 `PUT /latest/api/token`), for guests whose network reaches the gateway.
 *
 * Both answer only the instance whose private address is the request's source address; a
 * `/latest/` request from any other address falls through to the AWS pipeline (a bucket may be
 * called `latest`).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalEndpoint } from '../../../src/context.js';
import type { ApiView } from './api-view.js';
import type { PveCtx } from './context.js';
import type { InstanceMap } from './map.js';

export const CONSOLE_TABLE = 'pve-console';
const CONSOLE_MAX = 64 * 1024;
const TOKEN_MAX_TTL = 21600;

function send(res: ServerResponse, status: number, body: string, type = 'text/plain'): true {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), Server: 'EC2ws' });
  res.end(body);
  return true;
}

function sourceIp(raw: IncomingMessage): string {
  return (raw.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

function hostnameOf(ip: string): string {
  return `ip-${ip.replace(/\./g, '-')}`;
}

async function readBody(raw: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of raw) {
    n += (c as Buffer).length;
    if (n > max) return undefined;
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

export function nocloudMetaData(m: InstanceMap): string {
  const lines = [`instance-id: ${m.instanceId}`, `local-hostname: ${hostnameOf(m.privateIp)}`];
  if (m.sshPublicKey) lines.push('public-keys:', `  - ${JSON.stringify(m.sshPublicKey.trim())}`);
  return lines.join('\n') + '\n';
}

export function nocloudVendorData(consoleUrl: string): string {
  return [
    '#cloud-config',
    '# mcgw: ship the cloud-init output log to the gateway (EC2 GetConsoleOutput)',
    'runcmd:',
    `  - [sh, -c, "command -v curl >/dev/null && tail -c ${CONSOLE_MAX} /var/log/cloud-init-output.log | curl -s -m 10 --data-binary @- ${consoleUrl} || true"]`,
    '',
  ].join('\n');
}

export class GuestEndpoints {
  /** IMDSv2 tokens: token -> { ip, expiry }. */
  private readonly tokens = new Map<string, { ip: string; until: number }>();

  constructor(
    private readonly ctx: PveCtx,
    private readonly api: ApiView,
  ) {}

  endpoints(): LocalEndpoint[] {
    return [
      { prefix: '/_mcgw/nocloud/', handle: (raw, res) => this.nocloud(raw, res) },
      { prefix: '/latest/', handle: (raw, res) => this.imds(raw, res) },
    ];
  }

  private async nocloud(raw: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const m = /^\/_mcgw\/nocloud\/(i-[0-9a-f]{8,17})\/([a-z-]*)$/.exec((raw.url ?? '').split('?')[0]);
    const owner = await this.ctx.map.byIp(sourceIp(raw));
    if (!m || !owner || owner.instanceId !== m[1]) return send(res, 404, 'Not Found\n');
    const [, , file] = m;
    if (raw.method === 'POST' && file === 'console') {
      const body = await readBody(raw, CONSOLE_MAX * 2);
      if (!body) return send(res, 413, 'Too Large\n');
      await this.ctx.gw.state.table<string>(CONSOLE_TABLE).put(`${owner.accountId}/${owner.instanceId}`, body.subarray(-CONSOLE_MAX).toString('utf8'));
      return send(res, 204, '');
    }
    if (raw.method !== 'GET' && raw.method !== 'HEAD') return send(res, 405, 'Method Not Allowed\n');
    if (file === 'meta-data') return send(res, 200, nocloudMetaData(owner));
    if (file === 'user-data') return send(res, 200, owner.userData ? Buffer.from(owner.userData, 'base64').toString('utf8') : '#cloud-config\n{}\n');
    if (file === 'vendor-data') return send(res, 200, nocloudVendorData(`${this.ctx.cfg.guestUrl ?? ''}/_mcgw/nocloud/${owner.instanceId}/console`));
    if (file === '') return send(res, 200, 'meta-data\nuser-data\nvendor-data\n');
    return send(res, 404, 'Not Found\n');
  }

  private async imds(raw: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const ip = sourceIp(raw);
    const owner = await this.ctx.map.byIp(ip);
    if (!owner) return false;
    const rec = await this.api.instance(owner.accountId, owner.instanceId);
    if (!rec || rec.MetadataOptions?.HttpEndpoint === 'disabled') return send(res, 404, 'Not Found\n');
    const path = (raw.url ?? '').split('?')[0];
    if (path === '/latest/api/token') {
      if (raw.method !== 'PUT') return send(res, 405, 'Method Not Allowed\n');
      if (raw.headers['x-forwarded-for']) return send(res, 403, 'Forbidden\n');
      const ttl = Number(raw.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > TOKEN_MAX_TTL) return send(res, 400, 'Bad Request\n');
      const token = randomBytes(30).toString('base64');
      this.tokens.set(token, { ip, until: Date.now() + ttl * 1000 });
      res.setHeader('X-Aws-Ec2-Metadata-Token-Ttl-Seconds', String(ttl));
      return send(res, 200, token);
    }
    if (raw.method !== 'GET' && raw.method !== 'HEAD') return send(res, 405, 'Method Not Allowed\n');
    const token = raw.headers['x-aws-ec2-metadata-token'];
    if (token !== undefined) {
      const t = this.tokens.get(String(token));
      if (!t || t.ip !== ip || t.until < Date.now()) return send(res, 401, 'Unauthorized\n');
    } else if (rec.MetadataOptions?.HttpTokens === 'required') {
      return send(res, 401, 'Unauthorized\n');
    }
    if (path === '/latest/user-data') return owner.userData ? send(res, 200, Buffer.from(owner.userData, 'base64').toString('utf8'), 'application/octet-stream') : send(res, 404, 'Not Found\n');
    const region = this.ctx.gw.config.region;
    if (path === '/latest/dynamic/instance-identity/document') {
      const doc = { accountId: owner.accountId, architecture: rec.Architecture, availabilityZone: owner.zone, imageId: owner.imageId, instanceId: owner.instanceId, instanceType: rec.InstanceType, pendingTime: new Date(rec.LaunchTime).toISOString(), privateIp: owner.privateIp, region, version: '2017-09-30' };
      return send(res, 200, JSON.stringify(doc, null, 2));
    }
    const meta: Record<string, string> = {
      'ami-id': owner.imageId,
      'ami-launch-index': String(rec.AmiLaunchIndex),
      hostname: hostnameOf(owner.privateIp),
      'instance-id': owner.instanceId,
      'instance-type': rec.InstanceType,
      'local-hostname': hostnameOf(owner.privateIp),
      'local-ipv4': owner.privateIp,
      mac: owner.macAddress,
      'placement/availability-zone': owner.zone,
      'placement/region': region,
      'reservation-id': rec.reservationId,
      'security-groups': rec.groups.map((g) => g.GroupName).join('\n'),
    };
    if (owner.sshPublicKey && rec.KeyName) {
      meta['public-keys/'] = `0=${rec.KeyName}`;
      meta['public-keys/0/openssh-key'] = owner.sshPublicKey.trim() + '\n';
    }
    const rel = path.startsWith('/latest/meta-data/') ? path.slice('/latest/meta-data/'.length) : path === '/latest/meta-data' ? '' : undefined;
    if (rel === undefined) return send(res, 404, 'Not Found\n');
    if (meta[rel] !== undefined) return send(res, 200, meta[rel]);
    // a directory: its entries, sub-directories with a trailing slash
    const dir = rel === '' || rel.endsWith('/') ? rel : `${rel}/`;
    const entries = new Set<string>();
    for (const k of Object.keys(meta)) {
      if (!k.startsWith(dir) || k === dir) continue;
      const rest = k.slice(dir.length);
      const cut = rest.indexOf('/');
      entries.add(cut < 0 ? rest : rest.slice(0, cut + 1));
    }
    if (!entries.size) return send(res, 404, 'Not Found\n');
    return send(res, 200, [...entries].sort().join('\n'));
  }
}
