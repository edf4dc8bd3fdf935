// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Authentication and permissions as pve-manager's PVE::HTTPServer::auth_handler and
 * pve-access-control's PVE::AccessControl do them (/work/shared/reference/proxmox-mapping.md
 * "Errors", and A3 item 1):
 * - API tokens: `Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET` (also with a space after
 *   PVEAPIToken); no CSRF token needed. Failures: "no such token 'x' for user 'u'",
 *   "invalid token value!", "user 'u' does not exist", "'x' is not a valid token ID";
 * - tickets: `POST /access/ticket {username, password}` → {ticket, CSRFPreventionToken, username,
 *   cap}; then cookie `PVEAuthCookie=<ticket>` and header `CSRFPreventionToken` on every
 *   non-GET call ("Permission denied - invalid csrf token"); a bad ticket is
 *   "permission denied - invalid PVE ticket"; no credentials at all is "No ticket";
 *   a wrong password is 401 "authentication failure" (through the API, with a JSON body).
 * All auth failures are HTTP 401; pveproxy delays every 401 by 3 s (configurable here).
 * - ACLs: entries {path, privs, propagate} per user or token; a VM path `/vms/<vmid>` is also
 *   covered by an ACL on its pool `/pool/<poolid>`; failures are 403
 *   "Permission check failed (<path>, <priv>)". root@pam (and its full-privilege tokens) may do all.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { PveError } from './errors.js';

export interface AclEntry {
  path: string;
  /** Privilege names, or '*' for all. */
  privs: readonly string[] | '*';
  propagate?: boolean;
}

export interface Principal {
  /** `user@realm` or `user@realm!token`. */
  id: string;
  user: string;
  isToken: boolean;
}

const TICKET_LIFETIME_S = 7200;

export class AuthStore {
  private readonly secret = randomBytes(32);
  readonly users = new Map<string, { password: string }>();
  readonly tokens = new Map<string, { secret: string; privsep: boolean }>();
  readonly acls = new Map<string, AclEntry[]>();

  addUser(userid: string, password: string): void {
    this.users.set(userid, { password });
  }

  addToken(tokenid: string, secret: string, privsep = false): void {
    this.tokens.set(tokenid, { secret, privsep });
  }

  setAcl(principal: string, entries: AclEntry[]): void {
    this.acls.set(principal, entries);
  }

  private sign(text: string): string {
    return createHmac('sha256', this.secret).update(text).digest('base64').replace(/=+$/, '');
  }

  login(username: string, password: string): Record<string, unknown> {
    const u = this.users.get(username);
    if (!u || u.password !== password) throw new PveError(401, 'authentication failure\n');
    const time = Math.floor(Date.now() / 1000).toString(16).toUpperCase().padStart(8, '0');
    const plain = `PVE:${username}:${time}`;
    return {
      username,
      ticket: `${plain}::${this.sign(plain)}`,
      CSRFPreventionToken: `${time}:${this.sign(`csrf:${username}:${time}`)}`,
      cap: { vms: {}, storage: {}, access: {}, nodes: {}, dc: {}, sdn: {} },
    };
  }

  /** Throws a 401 PveError, or returns the principal. */
  verifyTicket(ticket: string): Principal {
    const m = /^PVE:([^:\s]+):([0-9A-F]{8})::(.+)$/.exec(ticket);
    if (!m || this.sign(`PVE:${m[1]}:${m[2]}`) !== m[3]) throw new PveError(401, 'permission denied - invalid PVE ticket\n');
    const age = Math.floor(Date.now() / 1000) - parseInt(m[2]!, 16);
    if (age < -300 || age > TICKET_LIFETIME_S) throw new PveError(401, 'permission denied - invalid PVE ticket\n');
    if (!this.users.has(m[1]!)) throw new PveError(401, `user '${m[1]}' does not exist\n`);
    return { id: m[1]!, user: m[1]!, isToken: false };
  }

  verifyCsrf(user: string, token: string | undefined): void {
    const m = token ? /^([0-9A-F]{8}):(\S+)$/.exec(token) : null;
    if (!m || this.sign(`csrf:${user}:${m[1]}`) !== m[2]) throw new PveError(401, 'Permission denied - invalid csrf token\n');
  }

  verifyToken(value: string): Principal {
    const m = /^(.*)=(.*)$/.exec(value);
    if (!m) throw new PveError(401, 'no tokenid specified\n');
    const [, tokenid, secret] = m;
    const parts = /^([^\s!]+@[^\s!]+)!([A-Za-z][A-Za-z0-9._-]*)$/.exec(tokenid!);
    if (!parts) throw new PveError(401, `'${tokenid}' is not a valid token ID\n`);
    if (!this.users.has(parts[1]!)) throw new PveError(401, `user '${parts[1]}' does not exist\n`);
    const t = this.tokens.get(tokenid!);
    if (!t) throw new PveError(401, `no such token '${parts[2]}' for user '${parts[1]}'\n`);
    if (t.secret !== secret) throw new PveError(401, 'invalid token value!\n');
    return { id: tokenid!, user: parts[1]!, isToken: true };
  }

  private entriesFor(p: Principal): AclEntry[] | '*' {
    if (p.isToken) {
      const t = this.tokens.get(p.id);
      if (t && !t.privsep) return p.user === 'root@pam' ? '*' : (this.acls.get(p.user) ?? []);
      return this.acls.get(p.id) ?? [];
    }
    return p.user === 'root@pam' ? '*' : (this.acls.get(p.user) ?? []);
  }

  /** True when `priv` is granted on `path` (or, for VMs, on the VM's pool). */
  allowed(p: Principal, path: string, priv: string, vmPool?: string): boolean {
    const entries = this.entriesFor(p);
    if (entries === '*') return true;
    const paths = [path];
    if (vmPool) paths.push(`/pool/${vmPool}`);
    for (const target of paths) {
      for (const e of entries) {
        const covers = e.path === target || ((e.propagate ?? true) && (e.path === '/' || target.startsWith(`${e.path}/`)));
        if (covers && (e.privs === '*' || e.privs.includes(priv))) return true;
      }
    }
    return false;
  }
}
