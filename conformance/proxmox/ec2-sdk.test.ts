// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The EC2 conformance suite conformance/ec2/sdk.test.ts, unchanged, against the Proxmox backend on
 * the fake PVE (test/fakes/pve) with its RBD storage on the up.sh Ceph (EBS snapshots through the
 * RBD volume driver). Steps a backend cannot do are reported as skips with the reason.
 */
process.env.MCGW_EC2_BACKEND = 'proxmox';
process.env.MCGW_EC2_CEPH = process.env.MCGW_EC2_CEPH ?? '1';
await import('../ec2/sdk.test.js');
