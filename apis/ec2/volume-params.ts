// SPDX-License-Identifier: AGPL-3.0-or-later
/** EBS volume types, their size/iops/throughput ranges and defaults, as CreateVolume checks them. */
import { AwsError } from '../../src/errors.js';
import { invalidCombination, invalidParameter } from './core/errors.js';

export const VOLUME_TYPES = ['standard', 'io1', 'io2', 'gp2', 'sc1', 'st1', 'gp3'] as const;

const SIZE: Record<string, [number, number]> = {
  gp2: [1, 16384],
  gp3: [1, 16384],
  io1: [4, 16384],
  io2: [4, 65536],
  st1: [125, 16384],
  sc1: [125, 16384],
  standard: [1, 1024],
};

export interface VolumeParams {
  VolumeType: string;
  Size: number;
  Iops?: number;
  Throughput?: number;
}

/**
 * Validates and completes the performance parameters of a volume. `minSize` is the size of the
 * snapshot or image it starts from (the volume may not be smaller).
 */
export function volumeParams(input: { VolumeType?: string; Size?: number; Iops?: number; Throughput?: number }, minSize?: number, defaultType = 'gp2'): VolumeParams {
  const type = input.VolumeType ?? defaultType;
  if (!(VOLUME_TYPES as readonly string[]).includes(type)) {
    throw invalidParameter(`Value (${type}) for parameter volumeType is invalid. Valid values are: ${VOLUME_TYPES.join(', ')}.`);
  }
  const size = input.Size ?? minSize;
  if (size === undefined) throw new AwsError('MissingParameter', 'The request must contain the parameter size or snapshotId');
  const [lo, hi] = SIZE[type];
  if (!Number.isInteger(size) || size < lo || size > hi) {
    throw invalidParameter(`Volume size ${size} GiB is out of range for volume type ${type}: it must be between ${lo} and ${hi} GiB.`);
  }
  if (minSize !== undefined && size < minSize) {
    throw invalidParameter(`The volume size (${size} GiB) is smaller than the snapshot size (${minSize} GiB).`);
  }
  const out: VolumeParams = { VolumeType: type, Size: size };
  if (input.Throughput !== undefined && type !== 'gp3') throw invalidCombination(`The parameter throughput is not supported for ${type} volumes.`);
  switch (type) {
    case 'gp2':
      if (input.Iops !== undefined) throw invalidCombination(`The parameter iops is not supported for gp2 volumes.`);
      out.Iops = Math.min(16000, Math.max(100, size * 3));
      break;
    case 'gp3': {
      const iops = input.Iops ?? 3000;
      const tput = input.Throughput ?? 125;
      if (iops < 3000 || iops > 16000) throw invalidParameter(`The iops value ${iops} is out of range for gp3 volumes: it must be between 3000 and 16000.`);
      if (iops > size * 500 && iops > 3000) throw invalidParameter(`Iops to volume size ratio of ${(iops / size).toFixed(1)} is too high; maximum is 500.`);
      if (tput < 125 || tput > 1000) throw invalidParameter(`The throughput value ${tput} is out of range for gp3 volumes: it must be between 125 and 1000 MiB/s.`);
      if (tput > iops / 4) throw invalidParameter(`Throughput (MiBps) to iops ratio of ${(tput / iops).toFixed(3)} is too high; maximum is 0.25 MiBps per iops.`);
      out.Iops = iops;
      out.Throughput = tput;
      break;
    }
    case 'io1':
    case 'io2': {
      if (input.Iops === undefined) throw new AwsError('MissingParameter', `The parameter iops must be specified for ${type} volumes.`);
      const max = type === 'io1' ? 64000 : 256000;
      const ratio = type === 'io1' ? 50 : 1000;
      if (input.Iops < 100 || input.Iops > max) throw invalidParameter(`The iops value ${input.Iops} is out of range for ${type} volumes: it must be between 100 and ${max}.`);
      if (input.Iops > size * ratio) throw invalidParameter(`Iops to volume size ratio of ${(input.Iops / size).toFixed(1)} is too high; maximum is ${ratio}.`);
      out.Iops = input.Iops;
      break;
    }
    default:
      if (input.Iops !== undefined) throw invalidCombination(`The parameter iops is not supported for ${type} volumes.`);
  }
  return out;
}

/** Device names EC2 accepts for EBS: /dev/sd[a-z], /dev/xvd[a-z]{1,2}, /dev/sd[b-z][1-15], xvdf… */
export function checkDeviceName(device: string): void {
  if (!/^(\/dev\/)?(sd[a-z]([1-9]|1[0-5])?|xvd[a-z]{1,2}|hd[a-z])$/.test(device)) {
    throw invalidParameter(`Value (${device}) for parameter device is invalid. ${device} is not a valid EBS device name.`);
  }
}
