// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Read-only access to the EC2 API's own records (instances' block devices, security groups,
 * subnets) for the facts Ec2Backend's calls do not carry: which extra volumes a launch attaches,
 * the subnet's CIDR for the guest's address, and the rules a firewall group must hold. The
 * translator never writes these records; changes reach the API only through the event sink.
 */
import { Ec2Store } from '../../../apis/ec2/core/store.js';
import type { InstanceRec, SecurityGroupRec, SubnetRec, VolumeRec, VpcRec } from '../../../apis/ec2/records.js';
import type { StateStore } from '../../../src/state/store.js';

export class ApiView {
  private readonly store: Ec2Store;

  constructor(state: StateStore) {
    this.store = new Ec2Store(state);
  }

  instance(accountId: string, id: string): Promise<InstanceRec | undefined> {
    return this.store.get<InstanceRec>(accountId, 'instance', id);
  }

  subnet(accountId: string, id: string): Promise<SubnetRec | undefined> {
    return this.store.get<SubnetRec>(accountId, 'subnet', id);
  }

  vpc(accountId: string, id: string): Promise<VpcRec | undefined> {
    return this.store.get<VpcRec>(accountId, 'vpc', id);
  }

  group(accountId: string, id: string): Promise<SecurityGroupRec | undefined> {
    return this.store.get<SecurityGroupRec>(accountId, 'sg', id);
  }

  groups(accountId: string): Promise<SecurityGroupRec[]> {
    return this.store.list<SecurityGroupRec>(accountId, 'sg');
  }

  volume(accountId: string, id: string): Promise<VolumeRec | undefined> {
    return this.store.get<VolumeRec>(accountId, 'volume', id);
  }

  instances(accountId: string): Promise<InstanceRec[]> {
    return this.store.list<InstanceRec>(accountId, 'instance');
  }
}
