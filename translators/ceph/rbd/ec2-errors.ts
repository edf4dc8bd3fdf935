// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * RbdError → the AWS error an EC2 client gets for the same situation. EBS codes from the EC2 API
 * error reference (VolumeInUse, InvalidSnapshot.InUse, Invalid{Volume,Snapshot}.NotFound,
 * Unavailable); anything unexpected is an InternalError that names the rbd step (never a key).
 */
import { AwsError } from '../../../src/errors.js';
import { RbdError } from './errors.js';

export interface Subject {
  volumeId?: string;
  snapshotId?: string;
  /** The operation, for messages. */
  op: 'create-volume' | 'delete-volume' | 'grow-volume' | 'create-snapshot' | 'copy-snapshot' | 'delete-snapshot';
}

export function ec2ErrorOf(e: unknown, s: Subject): unknown {
  if (!(e instanceof RbdError)) return e;
  switch (e.kind) {
    case 'NotFound':
      if (s.snapshotId && (s.op === 'create-volume' || s.op === 'copy-snapshot' || s.op === 'delete-snapshot')) {
        return new AwsError('InvalidSnapshot.NotFound', `The snapshot '${s.snapshotId}' does not exist.`);
      }
      return new AwsError('InvalidVolume.NotFound', `The volume '${s.volumeId ?? '?'}' does not exist.`);
    case 'Busy':
    case 'Protected':
    case 'HasChildren':
    case 'HasSnapshots':
      if (s.op === 'delete-snapshot') return new AwsError('InvalidSnapshot.InUse', `The snapshot ${s.snapshotId ?? '?'} is currently in use: ${e.message}`);
      return new AwsError('VolumeInUse', `Volume ${s.volumeId ?? '?'} is currently in use: ${e.message}`);
    case 'Invalid':
      return new AwsError('InvalidParameterValue', e.message);
    case 'Timeout':
    case 'Unavailable':
      return new AwsError('Unavailable', `The storage backend is unavailable: ${e.message}`, { status: 503, fault: 'Receiver' });
    default:
      return new AwsError('InternalError', `The storage backend failed: ${e.message}`, { status: 500, fault: 'Receiver' });
  }
}
