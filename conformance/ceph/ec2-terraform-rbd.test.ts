// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * conformance/ec2/terraform.test.ts, unchanged, with the embedded compute's EBS volumes on Ceph
 * RBD (the harness reads MCGW_TEST_EC2_VOLUMES: conformance/backends/ceph/rbd.ts): aws_instance
 * root volumes, aws_ebs_volume + aws_volume_attachment + ModifyVolume (grow), and
 * aws_ami_from_instance (CreateImage snapshots every volume of the instance; DeleteSnapshot).
 */
process.env.MCGW_TEST_EC2_VOLUMES = 'rbd';
await import('../ec2/terraform.test.js');
