// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * A fake Grafana (no Debian package), a real HTTP server on a loopback port, built from Grafana's
 * HTTP API reference (grafana.com/docs/grafana/latest/developers/http_api/):
 * - "Authentication API": `Authorization: Bearer <service account token>` or basic auth; 401
 *   {message: "Unauthorized"} otherwise.
 * - "Folder API": GET /api/folders, GET /api/folders/:uid (404 "folder not found"),
 *   POST /api/folders {uid, title} (409 when the uid or title exists).
 * - "Dashboard API": POST /api/dashboards/db {dashboard, folderUid, overwrite, message} → {id, uid,
 *   url, status: "success", version, slug}; 400 without a title or with a uid over 40 characters or
 *   an unknown folder; 412 {status: "name-exists" | "version-mismatch"} without overwrite;
 *   GET /api/dashboards/uid/:uid → {dashboard, meta}; DELETE /api/dashboards/uid/:uid.
 * - "Folder/Dashboard Search API": GET /api/search?query=&type=dash-db&folderUIDs=.
 * - "Data source API": GET /api/datasources, GET/PUT/DELETE /api/datasources/uid/:uid,
 *   POST /api/datasources (409 "data source with the same name already exists"); secureJsonData
 *   is never returned, only secureJsonFields {key: true}.
 * - GET /api/health.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

type Obj = Record<string, unknown>;

interface Folder {
  id: number;
  uid: string;
  title: string;
}

interface Dashboard {
  id: number;
  uid: string;
  folderUid: string;
  model: Obj;
  version: number;
  created: string;
  updated: string;
}

export class FakeGrafana {
  readonly folders = new Map<string, Folder>();
  readonly dashboards = new Map<string, Dashboard>();
  readonly datasources = new Map<string, Obj & { id: number; uid: string; name: string; secureJsonData?: Obj }>();
  private nextId = 1;

  constructor(private readonly auth: { token?: string; user?: string; password?: string }) {}

  authorized(h: string | undefined): boolean {
    if (!this.auth.token && !this.auth.user) return true;
    if (this.auth.token && h === `Bearer ${this.auth.token}`) return true;
    if (this.auth.user && h === `Basic ${Buffer.from(`${this.auth.user}:${this.auth.password}`).toString('base64')}`) return true;
    return false;
  }

  handle(method: string, path: string, q: URLSearchParams, body: Obj | undefined): [number, unknown] {
    let m: RegExpExecArray | null;
    if (method === 'GET' && path === '/api/health') return [200, { commit: 'fake', database: 'ok', version: '10.4.0' }];
    if (path === '/api/folders') {
      if (method === 'GET') return [200, [...this.folders.values()].map((f) => ({ id: f.id, uid: f.uid, title: f.title }))];
      if (method === 'POST') {
        const title = body?.title;
        if (typeof title !== 'string' || !title) return [400, { message: 'folder title cannot be empty' }];
        const uid = typeof body?.uid === 'string' ? body.uid : `f${this.nextId}`;
        if (this.folders.has(uid) || [...this.folders.values()].some((f) => f.title === title)) return [409, { message: 'a folder with the same name or uid already exists' }];
        const f = { id: this.nextId++, uid, title };
        this.folders.set(uid, f);
        return [200, { ...f, url: `/dashboards/f/${uid}/`, version: 1 }];
      }
    }
    if ((m = /^\/api\/folders\/([^/]+)$/.exec(path)) && method === 'GET') {
      const f = this.folders.get(decodeURIComponent(m[1]));
      return f ? [200, { ...f, url: `/dashboards/f/${f.uid}/` }] : [404, { message: 'folder not found' }];
    }
    if (path === '/api/dashboards/db' && method === 'POST') return this.saveDashboard(body ?? {});
    if ((m = /^\/api\/dashboards\/uid\/([^/]+)$/.exec(path))) {
      const uid = decodeURIComponent(m[1]);
      const d = this.dashboards.get(uid);
      if (!d) return [404, { message: 'Dashboard not found' }];
      if (method === 'GET') {
        return [200, { dashboard: { ...d.model, id: d.id, uid, version: d.version }, meta: { folderUid: d.folderUid, slug: slug(String(d.model.title)), url: `/d/${uid}/${slug(String(d.model.title))}`, version: d.version, created: d.created, updated: d.updated } }];
      }
      if (method === 'DELETE') {
        this.dashboards.delete(uid);
        return [200, { title: d.model.title, message: `Dashboard ${String(d.model.title)} deleted`, id: d.id }];
      }
    }
    if (path === '/api/search' && method === 'GET') {
      const folders = q.get('folderUIDs')?.split(',');
      const text = (q.get('query') ?? '').toLowerCase();
      return [200, [...this.dashboards.values()]
        .filter((d) => (!folders || folders.includes(d.folderUid)) && String(d.model.title).toLowerCase().includes(text))
        .map((d) => ({ id: d.id, uid: d.uid, title: d.model.title, url: `/d/${d.uid}/${slug(String(d.model.title))}`, type: 'dash-db', tags: d.model.tags ?? [], folderUid: d.folderUid, folderTitle: this.folders.get(d.folderUid)?.title }))];
    }
    if (path === '/api/datasources') {
      if (method === 'GET') return [200, [...this.datasources.values()].map(publicDs)];
      if (method === 'POST') {
        if (typeof body?.name !== 'string' || typeof body?.type !== 'string') return [400, { message: 'Required fields: name, type' }];
        if ([...this.datasources.values()].some((d) => d.name === body.name)) return [409, { message: 'data source with the same name already exists' }];
        const uid = typeof body.uid === 'string' ? body.uid : `ds${this.nextId}`;
        if (this.datasources.has(uid)) return [409, { message: 'data source with the same uid already exists' }];
        const ds = { access: 'proxy', jsonData: {}, ...body, id: this.nextId++, uid, name: body.name };
        this.datasources.set(uid, ds);
        return [200, { datasource: publicDs(ds), id: ds.id, message: 'Datasource added', name: ds.name }];
      }
    }
    if ((m = /^\/api\/datasources\/uid\/([^/]+)$/.exec(path))) {
      const uid = decodeURIComponent(m[1]);
      const ds = this.datasources.get(uid);
      if (!ds) return [404, { message: 'Data source not found' }];
      if (method === 'GET') return [200, publicDs(ds)];
      if (method === 'PUT') {
        const next = { ...ds, ...body, id: ds.id, uid, name: String(body?.name ?? ds.name) };
        this.datasources.set(uid, next);
        return [200, { datasource: publicDs(next), id: ds.id, message: 'Datasource updated', name: next.name }];
      }
      if (method === 'DELETE') {
        this.datasources.delete(uid);
        return [200, { message: 'Data source deleted', id: ds.id }];
      }
    }
    return [404, { message: 'Not found' }];
  }

  private saveDashboard(body: Obj): [number, unknown] {
    const model = (body.dashboard ?? {}) as Obj;
    const title = model.title;
    if (typeof title !== 'string' || !title.trim()) return [400, { message: 'Dashboard title cannot be empty', status: 'empty-name' }];
    const uid = typeof model.uid === 'string' && model.uid ? model.uid : `d${this.nextId}`;
    if (uid.length > 40) return [400, { message: 'uid too long, max 40 characters', status: 'bad-request' }];
    const folderUid = typeof body.folderUid === 'string' ? body.folderUid : '';
    if (folderUid && !this.folders.has(folderUid)) return [400, { message: 'folder not found', status: 'not-found' }];
    const existing = this.dashboards.get(uid);
    const overwrite = body.overwrite === true;
    if (!overwrite) {
      if ([...this.dashboards.values()].some((d) => d.uid !== uid && d.folderUid === folderUid && d.model.title === title)) {
        return [412, { message: 'A dashboard with the same name in the folder already exists', status: 'name-exists' }];
      }
      if (existing && model.version !== existing.version) return [412, { message: 'The dashboard has been changed by someone else', status: 'version-mismatch' }];
    }
    const now = new Date().toISOString();
    const d: Dashboard = { id: existing?.id ?? this.nextId++, uid, folderUid, model: { ...model }, version: (existing?.version ?? 0) + 1, created: existing?.created ?? now, updated: now };
    delete d.model.id;
    this.dashboards.set(uid, d);
    return [200, { id: d.id, uid, url: `/d/${uid}/${slug(title)}`, status: 'success', version: d.version, slug: slug(title) }];
  }
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

function publicDs(ds: Obj): Obj {
  const { secureJsonData, ...rest } = ds;
  return { ...rest, secureJsonFields: Object.fromEntries(Object.keys((secureJsonData as Obj | undefined) ?? {}).map((k) => [k, true])) };
}

export interface RunningFakeGrafana {
  url: string;
  grafana: FakeGrafana;
  close(): Promise<void>;
}

export async function startFakeGrafana(auth: { token?: string; user?: string; password?: string } = {}): Promise<RunningFakeGrafana> {
  const grafana = new FakeGrafana(auth);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const reply = (status: number, doc: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(doc));
      };
      if (url.pathname !== '/api/health' && !grafana.authorized(req.headers.authorization)) return reply(401, { message: 'Unauthorized' });
      let body: Obj | undefined;
      if (chunks.length) {
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return reply(400, { message: 'bad request data' });
        }
      }
      const [status, doc] = grafana.handle(req.method ?? 'GET', url.pathname, url.searchParams, body);
      reply(status, doc);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    grafana,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}
