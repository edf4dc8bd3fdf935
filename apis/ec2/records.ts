// SPDX-License-Identifier: AGPL-3.0-or-later
/** The records apis/ec2 keeps per account (see core/store.ts); rendered into model shapes by the ops. */
import type { Rec } from './core/store.js';

export type InstanceStateName = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';

export const STATE_CODE: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export interface BlockDeviceRec {
  DeviceName: string;
  VolumeId: string;
  Status: 'attaching' | 'attached' | 'detaching' | 'detached';
  AttachTime: number;
  DeleteOnTermination: boolean;
}

export interface InstanceRec extends Rec {
  reservationId: string;
  ownerId: string;
  requesterId?: string;
  ImageId: string;
  InstanceType: string;
  KeyName?: string;
  LaunchTime: number;
  AmiLaunchIndex: number;
  state: InstanceStateName;
  stateSince: number;
  StateTransitionReason: string;
  StateReason?: { Code: string; Message: string };
  SubnetId: string;
  VpcId: string;
  AvailabilityZone: string;
  Tenancy: string;
  PrivateIpAddress: string;
  MacAddress: string;
  eniId: string;
  eniAttachmentId: string;
  groups: Array<{ GroupId: string; GroupName: string }>;
  UserData?: string;
  DisableApiTermination: boolean;
  DisableApiStop: boolean;
  InstanceInitiatedShutdownBehavior: 'stop' | 'terminate';
  SourceDestCheck: boolean;
  EbsOptimized: boolean;
  Architecture: string;
  PlatformDetails: string;
  RootDeviceName: string;
  blockDevices: BlockDeviceRec[];
  ClientToken?: string;
  PublicIpAddress?: string;
  /** The Elastic IP associated with the instance, if any. */
  eipAllocationId?: string;
  MetadataOptions: { HttpTokens: string; HttpPutResponseHopLimit: number; HttpEndpoint: string; InstanceMetadataTags: string };
  Monitoring: 'disabled' | 'enabled';
  /** Burstable types only: 'standard' or 'unlimited'. */
  cpuCredits?: string;
}

export interface VolumeAttachmentRec {
  InstanceId: string;
  Device: string;
  State: 'attaching' | 'attached' | 'detaching';
  AttachTime: number;
  DeleteOnTermination: boolean;
}

export interface VolumeRec extends Rec {
  AvailabilityZone: string;
  CreateTime: number;
  Size: number;
  SnapshotId: string;
  State: 'creating' | 'available' | 'in-use' | 'deleting' | 'deleted' | 'error';
  VolumeType: string;
  Iops?: number;
  Throughput?: number;
  Encrypted: boolean;
  KmsKeyId?: string;
  MultiAttachEnabled: boolean;
  attachment?: VolumeAttachmentRec;
  ClientToken?: string;
  /** Pending ModifyVolume id, if any. */
  modificationId?: string;
}

export interface VolumeModificationRec extends Rec {
  VolumeId: string;
  ModificationState: 'modifying' | 'optimizing' | 'completed' | 'failed';
  StatusMessage?: string;
  TargetSize: number;
  TargetIops?: number;
  TargetVolumeType: string;
  TargetThroughput?: number;
  TargetMultiAttachEnabled: boolean;
  OriginalSize: number;
  OriginalIops?: number;
  OriginalVolumeType: string;
  OriginalThroughput?: number;
  OriginalMultiAttachEnabled: boolean;
  Progress: number;
  StartTime: number;
  EndTime?: number;
}

export interface SnapshotRec extends Rec {
  VolumeId: string;
  VolumeSize: number;
  Description: string;
  StartTime: number;
  State: 'pending' | 'completed' | 'error';
  Progress: string;
  OwnerId: string;
  Encrypted: boolean;
  StorageTier: string;
  /** Accounts (or 'all') allowed to use it. */
  createVolumePermissions: string[];
  /** A copy (CopySnapshot, CopyImage): the snapshot its bytes come from. */
  copiedFrom?: { accountId: string; snapshotId: string };
}

export interface RuleRec {
  id: string;
  egress: boolean;
  IpProtocol: string;
  FromPort: number;
  ToPort: number;
  CidrIpv4?: string;
  CidrIpv6?: string;
  ReferencedGroupId?: string;
  ReferencedUserId?: string;
  Description?: string;
  Tags?: Rec['Tags'];
}

export interface SecurityGroupRec extends Rec {
  GroupName: string;
  Description: string;
  VpcId: string;
  OwnerId: string;
  rules: RuleRec[];
}

export interface VpcRec extends Rec {
  CidrBlock: string;
  cidrAssociationId: string;
  IsDefault: boolean;
  State: 'pending' | 'available';
  DhcpOptionsId: string;
  InstanceTenancy: string;
  OwnerId: string;
  EnableDnsSupport: boolean;
  EnableDnsHostnames: boolean;
  EnableNetworkAddressUsageMetrics: boolean;
  defaultGroupId: string;
  mainRouteTableId?: string;
}

export interface SubnetRec extends Rec {
  VpcId: string;
  CidrBlock: string;
  AvailabilityZone: string;
  AvailabilityZoneId: string;
  DefaultForAz: boolean;
  MapPublicIpOnLaunch: boolean;
  OwnerId: string;
  State: 'pending' | 'available';
  /** Allocated private addresses → the resource holding them. */
  used: Record<string, string>;
}

export interface KeyPairRec extends Rec {
  KeyName: string;
  KeyType: 'rsa' | 'ed25519';
  KeyFingerprint: string;
  PublicKey: string;
  CreateTime: number;
}

export interface ImageDeviceRec {
  DeviceName: string;
  SnapshotId?: string;
  VolumeSize: number;
  VolumeType: string;
  DeleteOnTermination: boolean;
  Encrypted: boolean;
}

export interface ImageRec extends Rec {
  Name: string;
  Description?: string;
  Architecture: string;
  RootDeviceName: string;
  State: 'pending' | 'available' | 'failed';
  CreationDate: number;
  OwnerId: string;
  PlatformDetails: string;
  BootMode?: string;
  devices: ImageDeviceRec[];
  /** Account ids allowed to launch it, or 'all' for public. */
  launchPermissions: string[];
  SourceInstanceId?: string;
}

export interface AddressRec extends Rec {
  PublicIp: string;
  associationId?: string;
  InstanceId?: string;
  PrivateIpAddress?: string;
  NetworkInterfaceId?: string;
}

export interface InternetGatewayRec extends Rec {
  OwnerId: string;
  VpcId?: string;
}

export interface RouteRec {
  DestinationCidrBlock: string;
  GatewayId?: string;
  InstanceId?: string;
  Origin: 'CreateRouteTable' | 'CreateRoute';
}

export interface RouteAssociationRec {
  id: string;
  Main: boolean;
  SubnetId?: string;
}

export interface RouteTableRec extends Rec {
  VpcId: string;
  OwnerId: string;
  routes: RouteRec[];
  associations: RouteAssociationRec[];
}
