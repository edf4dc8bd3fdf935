// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The instance type catalogue: the t3/m5/c5 families by default; `ec2.instanceTypes` in the config
 * adds or replaces entries ({ "x1.big": { "vcpus": 64, "memoryMiB": 1048576 } }).
 */
import type { Config } from '../../src/config.js';

export interface InstanceTypeDef {
  name: string;
  vcpus: number;
  memoryMiB: number;
  burstable: boolean;
  architectures: string[];
}

const FAMILIES: Array<[string, boolean, number, Array<[string, number, number]>]> = [
  ['t3', true, 2, [['nano', 2, 512], ['micro', 2, 1024], ['small', 2, 2048], ['medium', 2, 4096], ['large', 2, 8192], ['xlarge', 4, 16384], ['2xlarge', 8, 32768]]],
  ['m5', false, 2, [['large', 2, 8192], ['xlarge', 4, 16384], ['2xlarge', 8, 32768], ['4xlarge', 16, 65536], ['8xlarge', 32, 131072]]],
  ['c5', false, 2, [['large', 2, 4096], ['xlarge', 4, 8192], ['2xlarge', 8, 16384], ['4xlarge', 16, 32768], ['9xlarge', 36, 73728]]],
];

export class InstanceTypeCatalog {
  private readonly byName = new Map<string, InstanceTypeDef>();

  constructor(config: Config) {
    for (const [family, burstable, , sizes] of FAMILIES) {
      for (const [size, vcpus, memoryMiB] of sizes) {
        const name = `${family}.${size}`;
        this.byName.set(name, { name, vcpus, memoryMiB, burstable, architectures: ['x86_64'] });
      }
    }
    const extra = (config.ec2 as Record<string, unknown>).instanceTypes;
    if (extra && typeof extra === 'object') {
      for (const [name, v] of Object.entries(extra as Record<string, { vcpus?: unknown; memoryMiB?: unknown; burstable?: unknown }>)) {
        if (!/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(name)) throw new Error(`ec2.instanceTypes: '${name}' is not an instance type name like 'm5.large'`);
        const vcpus = Number(v?.vcpus);
        const memoryMiB = Number(v?.memoryMiB);
        if (!Number.isInteger(vcpus) || vcpus < 1 || !Number.isInteger(memoryMiB) || memoryMiB < 128) {
          throw new Error(`ec2.instanceTypes.${name} needs integer vcpus >= 1 and memoryMiB >= 128`);
        }
        this.byName.set(name, { name, vcpus, memoryMiB, burstable: v.burstable === true, architectures: ['x86_64'] });
      }
    }
  }

  get(name: string): InstanceTypeDef | undefined {
    return this.byName.get(name);
  }

  all(): InstanceTypeDef[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/** The model's InstanceTypeInfo for one catalogue entry. */
export function instanceTypeInfo(d: InstanceTypeDef): Record<string, unknown> {
  return {
    InstanceType: d.name,
    CurrentGeneration: true,
    FreeTierEligible: d.name === 't3.micro',
    SupportedUsageClasses: ['on-demand'],
    SupportedRootDeviceTypes: ['ebs'],
    SupportedVirtualizationTypes: ['hvm'],
    BareMetal: false,
    Hypervisor: 'kvm',
    ProcessorInfo: { SupportedArchitectures: d.architectures, SustainedClockSpeedInGhz: 2.5, Manufacturer: 'Intel' },
    VCpuInfo: { DefaultVCpus: d.vcpus, DefaultCores: Math.max(1, d.vcpus / 2), DefaultThreadsPerCore: d.vcpus > 1 ? 2 : 1 },
    MemoryInfo: { SizeInMiB: d.memoryMiB },
    InstanceStorageSupported: false,
    EbsInfo: { EbsOptimizedSupport: 'default', EncryptionSupport: 'supported', NvmeSupport: 'required' },
    NetworkInfo: {
      NetworkPerformance: 'Up to 5 Gigabit',
      MaximumNetworkInterfaces: 1,
      MaximumNetworkCards: 1,
      DefaultNetworkCardIndex: 0,
      Ipv4AddressesPerInterface: 1,
      Ipv6AddressesPerInterface: 0,
      Ipv6Supported: false,
      EnaSupport: 'required',
      EfaSupported: false,
      EncryptionInTransitSupported: false,
    },
    PlacementGroupInfo: { SupportedStrategies: ['partition', 'spread'] },
    HibernationSupported: false,
    BurstablePerformanceSupported: d.burstable,
    DedicatedHostsSupported: false,
    AutoRecoverySupported: false,
    SupportedBootModes: ['legacy-bios', 'uefi'],
  };
}
