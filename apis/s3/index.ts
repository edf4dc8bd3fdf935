// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * S3: the AWS face (rest-xml, model s3-2006-03-01) over an object-store backend chosen by
 * `s3.backend` ('embedded': files + LMDB under `<dataDir>/s3/`). Unregistered operations answer
 * NotImplemented naming themselves.
 */
import type { ServiceDefinition, ServiceFactory } from '../../src/context.js';
import { EmbeddedS3 } from '../../translators/embedded/s3/index.js';
import type { S3Backend } from './backend.js';
import { bucketOps } from './buckets.js';
import type { S3Env } from './common.js';
import { copyOps } from './copy.js';
import { listOps } from './list.js';
import { multipartOps } from './multipart.js';
import { objectOps } from './objects.js';
import { taggingOps } from './tagging.js';

export const createService: ServiceFactory = (gw): ServiceDefinition => {
  let backend: S3Backend;
  switch (gw.config.s3.backend) {
    case 'embedded': {
      const minPartSize = gw.config.s3.minPartSize;
      backend = new EmbeddedS3({
        dataDir: gw.config.dataDir,
        now: () => gw.clock.now(),
        minPartSize: typeof minPartSize === 'number' ? minPartSize : undefined,
      });
      break;
    }
    default:
      throw new Error(`s3 backend '${gw.config.s3.backend}' is not available yet`);
  }
  const env: S3Env = { backend };
  return {
    name: 's3',
    model: 's3-2006-03-01',
    streamingBody: true,
    operations: {
      ...bucketOps(env),
      ...objectOps(env),
      ...copyOps(env),
      ...listOps(env),
      ...multipartOps(env),
      ...taggingOps(env),
    },
    health: () => ({ backend: backend.name, state: 'ok' }),
    close: () => backend.close(),
  };
};
