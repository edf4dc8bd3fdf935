// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Errors of the fake Proxmox VE API, shaped as pve-http-server and pve-manager shape them
 * (/work/shared/reference/proxmox-mapping.md "Errors (pve-http-server + PVE::Exception)"):
 *
 * - PVE::HTTPServer::rest_handler turns a PVE::Exception into its code/msg/errors and any other
 *   `die` into HTTP 500 with the die text as message.
 * - PVE::APIServer::Formatter::Standard (json): body `{"data":null,"message":"<msg>"}` plus
 *   `"errors":{…}` when the exception carries a per-parameter map.
 * - PVE::APIServer::AnyEvent::response: the HTTP reason phrase is the first line of the message.
 * - PVE::JSONSchema::validate raises code 400 "Parameter verification failed.\n" with the map.
 * - Permission failures (PVE::RPCEnvironment::check) raise 403 "Permission check failed (path, priv)".
 *
 * Messages keep PVE's trailing "\n" (Perl `die "...\n"`), as the JSON `message` does.
 */

export class PveError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Record<string, string>,
  ) {
    super(message);
  }
}

/** A plain Perl `die "msg\n"`: HTTP 500 with the text as reason. */
export function die(msg: string): never {
  throw new PveError(500, msg.endsWith('\n') ? msg : `${msg}\n`);
}

/** raise_param_exc: HTTP 400 "Parameter verification failed." with the errors map. */
export function paramError(errors: Record<string, string>): never {
  throw new PveError(400, 'Parameter verification failed.\n', errors);
}

/** raise_perm_exc as PVE::RPCEnvironment::check words it. */
export function permError(path: string, priv: string): never {
  throw new PveError(403, `Permission check failed (${path}, ${priv})\n`);
}
