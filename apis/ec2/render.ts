// SPDX-License-Identifier: AGPL-3.0-or-later
/** Records → the model's output shapes (Instance, Reservation), and the filters over instances. */
import type { Filter } from './core/filters.js';
import { compileFilters, type FilterSpec } from './core/filters.js';
import { date } from './env.js';
import { STATE_CODE, type InstanceRec } from './records.js';

export function privateDnsName(ip: string, region: string): string {
  const host = `ip-${ip.replace(/\./g, '-')}`;
  return region === 'us-east-1' ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}

export function stateOf(i: InstanceRec): { Code: number; Name: string } {
  return { Code: STATE_CODE[i.state], Name: i.state };
}

/** "User initiated (2026-01-01 10:00:00 GMT)", as EC2 writes StateTransitionReason. */
export function userInitiated(now: number): string {
  return `User initiated (${new Date(now).toISOString().slice(0, 19).replace('T', ' ')} GMT)`;
}

/**
 * An instance's primary network interface: as nested in Instance (`standalone` false) or as
 * DescribeNetworkInterfaces lists it (with the instance, zone and TagSet).
 */
export function renderEni(i: InstanceRec, region: string, standalone: boolean): Record<string, unknown> {
  const dns = privateDnsName(i.PrivateIpAddress, region);
  const eni: Record<string, unknown> = {
    Attachment: { AttachTime: date(i.LaunchTime), AttachmentId: i.eniAttachmentId, DeleteOnTermination: true, DeviceIndex: 0, NetworkCardIndex: 0, Status: 'attached' },
    Description: '',
    Groups: i.groups,
    InterfaceType: 'interface',
    Ipv6Addresses: [],
    MacAddress: i.MacAddress,
    NetworkInterfaceId: i.eniId,
    OwnerId: i.ownerId,
    PrivateDnsName: dns,
    PrivateIpAddress: i.PrivateIpAddress,
    PrivateIpAddresses: [{ Primary: true, PrivateDnsName: dns, PrivateIpAddress: i.PrivateIpAddress }],
    SourceDestCheck: i.SourceDestCheck,
    Status: 'in-use',
    SubnetId: i.SubnetId,
    VpcId: i.VpcId,
  };
  if (i.PublicIpAddress) eni.Association = { IpOwnerId: i.ownerId, PublicDnsName: '', PublicIp: i.PublicIpAddress };
  if (standalone) {
    Object.assign(eni.Attachment as object, { InstanceId: i.id, InstanceOwnerId: i.ownerId });
    Object.assign(eni, { AvailabilityZone: i.AvailabilityZone, RequesterManaged: false, TagSet: [] });
  }
  return eni;
}

export function renderInstance(i: InstanceRec, region: string): Record<string, unknown> {
  const gone = i.state === 'terminated';
  const dns = gone ? '' : privateDnsName(i.PrivateIpAddress, region);
  const type = i.InstanceType;
  const out: Record<string, unknown> = {
    AmiLaunchIndex: i.AmiLaunchIndex,
    ImageId: i.ImageId,
    InstanceId: i.id,
    InstanceType: type,
    KeyName: i.KeyName,
    LaunchTime: date(i.LaunchTime),
    Monitoring: { State: i.Monitoring },
    Placement: { AvailabilityZone: i.AvailabilityZone, GroupName: '', Tenancy: i.Tenancy },
    PrivateDnsName: dns,
    ProductCodes: [],
    PublicDnsName: '',
    State: stateOf(i),
    StateTransitionReason: i.StateTransitionReason,
    Architecture: i.Architecture,
    BlockDeviceMappings: i.blockDevices.map((b) => ({
      DeviceName: b.DeviceName,
      Ebs: { AttachTime: date(b.AttachTime), DeleteOnTermination: b.DeleteOnTermination, Status: b.Status, VolumeId: b.VolumeId },
    })),
    ClientToken: i.ClientToken ?? '',
    EbsOptimized: i.EbsOptimized,
    EnaSupport: true,
    Hypervisor: 'xen',
    NetworkInterfaces: gone
      ? []
      : [
          renderEni(i, region, false),
        ],
    RootDeviceName: i.RootDeviceName,
    RootDeviceType: 'ebs',
    SecurityGroups: gone ? [] : i.groups,
    SourceDestCheck: i.SourceDestCheck,
    StateReason: i.StateReason,
    Tags: i.Tags?.length ? i.Tags : undefined,
    VirtualizationType: 'hvm',
    CpuOptions: { CoreCount: 1, ThreadsPerCore: 2 },
    CapacityReservationSpecification: { CapacityReservationPreference: 'open' },
    HibernationOptions: { Configured: false },
    MetadataOptions: { State: 'applied', ...i.MetadataOptions, HttpProtocolIpv6: 'disabled' },
    EnclaveOptions: { Enabled: false },
    BootMode: 'uefi-preferred',
    PlatformDetails: i.PlatformDetails,
    UsageOperation: 'RunInstances',
    UsageOperationUpdateTime: date(i.LaunchTime),
    PrivateDnsNameOptions: { HostnameType: 'ip-name', EnableResourceNameDnsARecord: false, EnableResourceNameDnsAAAARecord: false },
    MaintenanceOptions: { AutoRecovery: 'default' },
    CurrentInstanceBootMode: 'legacy-bios',
  };
  if (!gone) {
    out.SubnetId = i.SubnetId;
    out.VpcId = i.VpcId;
    out.PrivateIpAddress = i.PrivateIpAddress;
    if (i.PublicIpAddress) out.PublicIpAddress = i.PublicIpAddress;
  }
  return out;
}

/** Groups instances into reservations, in order of first appearance. */
export function renderReservations(list: InstanceRec[], region: string): Array<Record<string, unknown>> {
  const byRes = new Map<string, { ReservationId: string; OwnerId: string; RequesterId?: string; Groups: never[]; Instances: unknown[] }>();
  for (const i of list) {
    let r = byRes.get(i.reservationId);
    if (!r) byRes.set(i.reservationId, (r = { ReservationId: i.reservationId, OwnerId: i.ownerId, RequesterId: i.requesterId, Groups: [], Instances: [] }));
    r.Instances.push(renderInstance(i, region));
  }
  return [...byRes.values()];
}

function dnsOf(i: InstanceRec, region: string): string | undefined {
  return i.state === 'terminated' ? undefined : privateDnsName(i.PrivateIpAddress, region);
}

export function instanceFilterSpec(region: string): FilterSpec<InstanceRec> {
  const live = (i: InstanceRec, v: string | undefined) => (i.state === 'terminated' ? undefined : v);
  return {
    'instance-id': (i) => i.id,
    'instance-state-name': (i) => i.state,
    'instance-state-code': (i) => STATE_CODE[i.state],
    'instance-type': (i) => i.InstanceType,
    'image-id': (i) => i.ImageId,
    'vpc-id': (i) => live(i, i.VpcId),
    'subnet-id': (i) => live(i, i.SubnetId),
    'private-ip-address': (i) => live(i, i.PrivateIpAddress),
    'ip-address': (i) => i.PublicIpAddress,
    'availability-zone': (i) => i.AvailabilityZone,
    'key-name': (i) => i.KeyName,
    'reservation-id': (i) => i.reservationId,
    'owner-id': (i) => i.ownerId,
    'requester-id': (i) => i.requesterId,
    'launch-time': (i) => new Date(i.LaunchTime).toISOString(),
    'launch-index': (i) => i.AmiLaunchIndex,
    architecture: (i) => i.Architecture,
    'root-device-type': () => 'ebs',
    'root-device-name': (i) => i.RootDeviceName,
    'instance.group-id': (i) => i.groups.map((g) => g.GroupId),
    'instance.group-name': (i) => i.groups.map((g) => g.GroupName),
    'group-id': (i) => i.groups.map((g) => g.GroupId),
    'group-name': (i) => i.groups.map((g) => g.GroupName),
    'network-interface.network-interface-id': (i) => live(i, i.eniId),
    'network-interface.subnet-id': (i) => live(i, i.SubnetId),
    'network-interface.vpc-id': (i) => live(i, i.VpcId),
    'network-interface.mac-address': (i) => live(i, i.MacAddress),
    'network-interface.addresses.private-ip-address': (i) => live(i, i.PrivateIpAddress),
    'network-interface.private-dns-name': (i) => dnsOf(i, region),
    'network-interface.group-id': (i) => i.groups.map((g) => g.GroupId),
    'private-dns-name': (i) => dnsOf(i, region),
    'dns-name': () => undefined,
    'block-device-mapping.volume-id': (i) => i.blockDevices.map((b) => b.VolumeId),
    'block-device-mapping.device-name': (i) => i.blockDevices.map((b) => b.DeviceName),
    'block-device-mapping.status': (i) => i.blockDevices.map((b) => b.Status),
    'block-device-mapping.delete-on-termination': (i) => i.blockDevices.map((b) => b.DeleteOnTermination),
    'block-device-mapping.attach-time': (i) => i.blockDevices.map((b) => new Date(b.AttachTime).toISOString()),
    'client-token': (i) => i.ClientToken,
    hypervisor: () => 'xen',
    'virtualization-type': () => 'hvm',
    'monitoring-state': (i) => i.Monitoring,
    'placement-group-name': () => undefined,
    tenancy: (i) => i.Tenancy,
    'platform-details': (i) => i.PlatformDetails,
    'instance-lifecycle': () => undefined,
    'ebs-optimized': (i) => i.EbsOptimized,
    'source-dest-check': (i) => i.SourceDestCheck,
    'state-reason-code': (i) => i.StateReason?.Code,
    'state-reason-message': (i) => i.StateReason?.Message,
    'reason': (i) => i.StateTransitionReason,
    'metadata-options.http-tokens': (i) => i.MetadataOptions.HttpTokens,
    'metadata-options.http-endpoint': (i) => i.MetadataOptions.HttpEndpoint,
    'metadata-options.http-put-response-hop-limit': (i) => i.MetadataOptions.HttpPutResponseHopLimit,
    'metadata-options.instance-metadata-tags': (i) => i.MetadataOptions.InstanceMetadataTags,
  };
}

export function instanceMatcher(filters: Filter[] | undefined, region: string): (i: InstanceRec) => boolean {
  return compileFilters(filters, instanceFilterSpec(region), (i) => i.Tags);
}
