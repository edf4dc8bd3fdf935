// SPDX-License-Identifier: AGPL-3.0-or-later
/** EC2's error codes and messages, as real clients (and the Terraform provider) match on them. */
import { AwsError } from '../../../src/errors.js';

interface NotFoundForm {
  code: string;
  one: (id: string) => string;
  many: (ids: string) => string;
}

const NOT_FOUND: Record<string, NotFoundForm> = {
  instance: { code: 'InvalidInstanceID.NotFound', one: (i) => `The instance ID '${i}' does not exist`, many: (i) => `The instance IDs '${i}' do not exist` },
  volume: { code: 'InvalidVolume.NotFound', one: (i) => `The volume '${i}' does not exist.`, many: (i) => `The volumes '${i}' do not exist.` },
  snapshot: { code: 'InvalidSnapshot.NotFound', one: (i) => `The snapshot '${i}' does not exist.`, many: (i) => `The snapshots '${i}' do not exist.` },
  image: { code: 'InvalidAMIID.NotFound', one: (i) => `The image id '[${i}]' does not exist`, many: (i) => `The image ids '[${i}]' do not exist` },
  group: { code: 'InvalidGroup.NotFound', one: (i) => `The security group '${i}' does not exist`, many: (i) => `The security groups '${i}' do not exist` },
  vpc: { code: 'InvalidVpcID.NotFound', one: (i) => `The vpc ID '${i}' does not exist`, many: (i) => `The vpc IDs '${i}' do not exist` },
  subnet: { code: 'InvalidSubnetID.NotFound', one: (i) => `The subnet ID '${i}' does not exist`, many: (i) => `The subnet IDs '${i}' do not exist` },
  keypair: { code: 'InvalidKeyPair.NotFound', one: (i) => `The key pair '${i}' does not exist`, many: (i) => `The key pairs '${i}' do not exist` },
  rule: { code: 'InvalidSecurityGroupRuleId.NotFound', one: (i) => `The security group rule ID '${i}' does not exist`, many: (i) => `The security group rule IDs '${i}' do not exist` },
  allocation: { code: 'InvalidAllocationID.NotFound', one: (i) => `The allocation ID '${i}' does not exist`, many: (i) => `The allocation IDs '${i}' do not exist` },
  igw: { code: 'InvalidInternetGatewayID.NotFound', one: (i) => `The internetGateway ID '${i}' does not exist`, many: (i) => `The internetGateway IDs '${i}' do not exist` },
  rtb: { code: 'InvalidRouteTableID.NotFound', one: (i) => `The routeTable ID '${i}' does not exist`, many: (i) => `The routeTable IDs '${i}' do not exist` },
  eni: { code: 'InvalidNetworkInterfaceID.NotFound', one: (i) => `The networkInterface ID '${i}' does not exist`, many: (i) => `The networkInterface IDs '${i}' do not exist` },
  acl: { code: 'InvalidNetworkAclID.NotFound', one: (i) => `The networkAcl ID '${i}' does not exist`, many: (i) => `The networkAcl IDs '${i}' do not exist` },
  modification: { code: 'InvalidVolumeModification.NotFound', one: (i) => `Modification for volume '${i}' does not exist.`, many: (i) => `Modifications for volumes '${i}' do not exist.` },
};

export type NotFoundKind = keyof typeof NOT_FOUND;

export function notFound(kind: NotFoundKind, ids: string[]): AwsError {
  const f = NOT_FOUND[kind];
  return new AwsError(f.code, ids.length === 1 ? f.one(ids[0]) : f.many(ids.join(', ')));
}

export function dryRunOk(): AwsError {
  return new AwsError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', { status: 412 });
}

export function invalidParameter(message: string): AwsError {
  return new AwsError('InvalidParameterValue', message);
}

export function invalidCombination(message: string): AwsError {
  return new AwsError('InvalidParameterCombination', message);
}

export function missingParameter(name: string): AwsError {
  return new AwsError('MissingParameter', `The request must contain the parameter ${name}`);
}

export function incorrectInstanceState(message: string): AwsError {
  return new AwsError('IncorrectInstanceState', message);
}

export function incorrectState(message: string): AwsError {
  return new AwsError('IncorrectState', message);
}

export function unsupported(message: string): AwsError {
  return new AwsError('UnsupportedOperation', message);
}
