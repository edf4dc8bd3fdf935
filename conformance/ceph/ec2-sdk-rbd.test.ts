// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * conformance/ec2/sdk.test.ts, unchanged, with the embedded compute's EBS volumes on Ceph RBD
 * (the harness reads MCGW_TEST_EC2_VOLUMES: conformance/backends/ceph/rbd.ts): root volumes,
 * CreateVolume, attach/detach, CreateSnapshot and DeleteVolume through the SDK and its waiters.
 */
process.env.MCGW_TEST_EC2_VOLUMES = 'rbd';
await import('../ec2/sdk.test.js');
