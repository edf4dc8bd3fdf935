// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Path routing like PVE::RESTHandler::find_handler: URI templates with `{param}` segments; the
 * URI parameters join the request parameters and the whole set is validated against the method's
 * schema (a body/query parameter that contradicts the URI → 400 "duplicate parameter (already
 * defined in URI) with conflicting values!"). A `{param*}` segment matches the rest of the path,
 * as the storage content subclass does with `fragmentDelimiter => ''` (volume ids may contain '/').
 * No match → 501 "Method 'GET /x' not implemented" (PVE::HTTPServer::rest_handler).
 */
import type { AuthStore, Principal } from './auth.js';
import type { FakePve } from './core.js';
import type { Params, Props } from './schema.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteCtx {
  fake: FakePve;
  params: Params;
  principal: Principal;
  auth: AuthStore;
}

export interface Route {
  method: Method;
  path: string;
  props: Props;
  /** Permission check; throw a 403 PveError (permError) to refuse. */
  perm?: (ctx: RouteCtx) => void;
  handler: (ctx: RouteCtx) => unknown;
}

interface Compiled extends Route {
  re: RegExp;
  names: string[];
}

export class Router {
  private readonly routes: Compiled[] = [];

  add(...routes: Route[]): void {
    for (const r of routes) {
      const names: string[] = [];
      const src = r.path
        .split('/')
        .map((seg) => {
          const m = /^\{([a-z0-9_-]+)(\*?)\}$/i.exec(seg);
          if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          names.push(m[1]!);
          return m[2] ? '(.+)' : '([^/]+)';
        })
        .join('/');
      this.routes.push({ ...r, re: new RegExp(`^${src}/?$`), names });
    }
  }

  find(method: string, path: string): { route: Route; uri: Record<string, string> } | undefined {
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const m = r.re.exec(path);
      if (!m) continue;
      const uri: Record<string, string> = {};
      r.names.forEach((n, i) => (uri[n] = m[i + 1]!));
      return { route: r, uri };
    }
    return undefined;
  }
}
