// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * S3: the AWS face (rest-xml, model s3-2006-03-01) over an object-store backend chosen by
 * `s3.backend` ('embedded': files + LMDB under `<dataDir>/s3/`). Unregistered operations answer
 * NotImplemented naming themselves. Options in the `s3` config section: `baseDomains` (virtual
 * hosts), `minPartSize` (bytes, default 5 MiB), `lifecycleIntervalMs` (default one hour, 0: off).
 */
import type { Handler, ServiceDefinition, ServiceFactory } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import type { Gateway } from '../../src/gateway.js';
import { EmbeddedS3 } from '../../translators/embedded/s3/index.js';
import { parseRgwConfig, RgwS3 } from '../../translators/ceph/s3/index.js';
import { archiveOps } from './archive.js';
import { attributesOps } from './attributes.js';
import type { S3Backend } from './backend.js';
import { bucketConfigOps } from './bucket-config.js';
import { bucketOps } from './buckets.js';
import type { S3Env } from './common.js';
import { copyOps } from './copy.js';
import { actualRequestHeaders, PreflightRequest } from './cors.js';
import { publishStorageMetrics } from './storage-metrics.js';
import { runLifecycle, type LifecycleReport } from './lifecycle.js';
import { featuresOffOps } from './features-off.js';
import { listOps } from './list.js';
import { multipartOps } from './multipart.js';
import { objectLockOps } from './object-lock.js';
import { objectOps } from './objects.js';
import { taggingOps } from './tagging.js';

export interface S3ServiceDefinition extends ServiceDefinition {
  /** One lifecycle sweep now (the timer runs it every `lifecycleIntervalMs`). */
  runLifecycle(): Promise<LifecycleReport>;
  /** Publishes today's AWS/S3 storage metrics now (the timer does once a day); answers the datapoints. */
  publishStorageMetrics(force?: boolean): Promise<number>;
}

function backendFor(gw: Gateway): S3Backend {
  switch (gw.config.s3.backend) {
    case 'embedded': {
      const minPartSize = gw.config.s3.minPartSize;
      return new EmbeddedS3({ dataDir: gw.config.dataDir, now: () => gw.clock.now(), minPartSize: typeof minPartSize === 'number' ? minPartSize : undefined });
    }
    case 'ceph': {
      const minPartSize = gw.config.s3.minPartSize;
      const config = parseRgwConfig(gw.config.backends.ceph);
      return new RgwS3({ config, state: gw.state, now: () => gw.clock.now(), minPartSize: typeof minPartSize === 'number' ? minPartSize : undefined });
    }
    default:
      throw new Error(`s3 backend '${gw.config.s3.backend}' is not available yet`);
  }
}

/** Adds the bucket's CORS headers to successful responses of requests carrying an Origin. */
function withCors(h: Handler): Handler {
  return async (ctx, input: { Bucket?: string }) => {
    let out;
    try {
      out = await h(ctx, input);
    } catch (e) {
      // browsers need the CORS headers to read an error too
      const cors = e instanceof AwsError && ctx.http.headers.origin !== undefined ? await actualRequestHeaders(ctx, input.Bucket).catch(() => undefined) : undefined;
      if (!cors) throw e;
      const err = e as AwsError;
      throw new AwsError(err.code, err.message, { status: err.status, fault: err.fault, fields: err.fields, headers: { ...cors, ...(err.headers ?? {}) } });
    }
    if (ctx.http.headers.origin === undefined) return out;
    const cors = await actualRequestHeaders(ctx, input.Bucket);
    if (!cors) return out;
    const o = (out ?? {}) as { $headers?: Record<string, string> };
    return { ...o, $headers: { ...cors, ...(o.$headers ?? {}) } };
  };
}

export const createService: ServiceFactory = (gw): S3ServiceDefinition => {
  const backend = backendFor(gw);
  const env: S3Env = { backend };
  const ops: Record<string, Handler> = {
    ...bucketOps(env),
    ...bucketConfigOps(),
    ...objectOps(env),
    ...copyOps(env),
    ...listOps(env),
    ...multipartOps(env),
    ...taggingOps(env),
    ...attributesOps(env),
    ...objectLockOps(env),
    ...featuresOffOps(),
    ...archiveOps(env),
  };
  const operations: Record<string, Handler> = { PreflightRequest };
  for (const [name, h] of Object.entries(ops)) operations[name] = withCors(h);

  let sweeping: Promise<LifecycleReport> | undefined;
  const sweep = () => (sweeping ??= runLifecycle(gw, env).finally(() => (sweeping = undefined)));
  const interval = typeof gw.config.s3.lifecycleIntervalMs === 'number' ? gw.config.s3.lifecycleIntervalMs : 3_600_000;
  if (interval > 0) {
    const timer = setInterval(() => void sweep().catch((e) => gw.log.warn('lifecycle sweep failed', { err: e })), interval);
    timer.unref();
    gw.onClose(() => clearInterval(timer));
  }
  let reporting: Promise<number> | undefined;
  const report = (force = false) => (reporting ??= publishStorageMetrics(gw, env, force).finally(() => (reporting = undefined)));
  const every = typeof gw.config.s3.storageMetricsIntervalMs === 'number' ? gw.config.s3.storageMetricsIntervalMs : 3_600_000;
  if (every > 0) {
    const run = () => void report().catch((e: Error) => gw.log.warn('s3 storage metrics failed', { error: e.message }));
    const first = setTimeout(run, Math.min(every, 60_000));
    const timer = setInterval(run, every);
    first.unref();
    timer.unref();
    gw.onClose(() => {
      clearTimeout(first);
      clearInterval(timer);
    });
  }
  return {
    name: 's3',
    model: 's3-2006-03-01',
    streamingBody: true,
    operations,
    health: async () => ({ backend: backend.name, ...(await backend.health()) }),
    close: async () => {
      await sweeping?.catch(() => undefined);
      await reporting?.catch(() => undefined);
      await backend.close();
    },
    runLifecycle: sweep,
    publishStorageMetrics: report,
  };
};
