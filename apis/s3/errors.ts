// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * S3 errors and comparisons shared by the API layer and every backend (see backend.ts): the
 * exact codes, messages and extra fields S3 sends.
 */
import { AwsError } from '../../src/errors.js';

export function noSuchKey(key: string): AwsError {
  return new AwsError('NoSuchKey', 'The specified key does not exist.', { status: 404, fields: { Key: key } });
}

export function noSuchVersion(key: string, versionId: string): AwsError {
  return new AwsError('NoSuchVersion', 'The specified version does not exist.', { status: 404, fields: { Key: key, VersionId: versionId } });
}

export function noSuchUpload(uploadId: string): AwsError {
  return new AwsError('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', {
    status: 404,
    fields: { UploadId: uploadId },
  });
}

export function preconditionFailed(condition: string): AwsError {
  return new AwsError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { status: 412, fields: { Condition: condition } });
}

export function methodNotAllowed(): AwsError {
  return new AwsError('MethodNotAllowed', 'The specified method is not allowed against this resource.', { status: 405 });
}

/** If-Match / If-None-Match comparison: a list of quoted, weak or bare ETags, or '*'. */
export function etagMatches(header: string, etag: string): boolean {
  const bare = etag.replace(/^"|"$/g, '');
  return header.split(',').some((t) => {
    const x = t.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
    return x === '*' || x === bare;
  });
}
