// SPDX-License-Identifier: AGPL-3.0-or-later
/** EC2 resource ids: '<prefix>-' + 17 lower-case hex digits (legacy 8-digit ids are still accepted). */
import { randomBytes } from 'node:crypto';
import { AwsError } from '../../../src/errors.js';

export type IdPrefix = 'i' | 'vol' | 'snap' | 'ami' | 'sg' | 'sgr' | 'vpc' | 'subnet' | 'igw' | 'rtb' | 'rtbassoc' | 'eipalloc' | 'eipassoc' | 'eni' | 'eni-attach' | 'r' | 'key' | 'vpc-cidr-assoc' | 'subnet-cidr-assoc' | 'vol-mod' | 'acl' | 'dopt' | 'import-i';

export function newId(prefix: IdPrefix): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

const MALFORMED: Partial<Record<IdPrefix, string>> = {
  i: 'InvalidInstanceID.Malformed',
  vol: 'InvalidVolumeID.Malformed',
  snap: 'InvalidSnapshotID.Malformed',
  ami: 'InvalidAMIID.Malformed',
  sg: 'InvalidGroupId.Malformed',
  vpc: 'InvalidVpcID.Malformed',
  subnet: 'InvalidSubnetID.Malformed',
  igw: 'InvalidInternetGatewayID.Malformed',
  rtb: 'InvalidRouteTableID.Malformed',
  eipalloc: 'InvalidAllocationID.Malformed',
  eni: 'InvalidNetworkInterfaceID.Malformed',
  sgr: 'InvalidSecurityGroupRuleId.Malformed',
  key: 'InvalidKeyPairId.Malformed',
  acl: 'InvalidNetworkAclID.Malformed',
};

export function isId(prefix: IdPrefix, s: unknown): s is string {
  if (typeof s !== 'string' || !s.startsWith(prefix + '-')) return false;
  const hex = s.slice(prefix.length + 1);
  return /^[0-9a-f]{8}$|^[0-9a-f]{17}$/.test(hex);
}

/** Throws EC2's '<Resource>ID.Malformed' error unless every id has the expected form. */
export function checkIds(prefix: IdPrefix, ids: readonly unknown[]): string[] {
  for (const id of ids) {
    if (!isId(prefix, id)) {
      const code = MALFORMED[prefix] ?? 'InvalidParameterValue';
      throw new AwsError(code, `Invalid id: "${String(id)}" (expecting "${prefix}-...")`);
    }
  }
  return ids as string[];
}

/** A 12-hex MAC address in the locally administered range, like EC2's 0e:… / 02:… ENIs. */
export function newMac(): string {
  const b = randomBytes(5);
  return ['02', ...[...b].map((x) => x.toString(16).padStart(2, '0'))].join(':');
}
