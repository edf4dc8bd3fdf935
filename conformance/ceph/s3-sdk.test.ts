// SPDX-License-Identifier: AGPL-3.0-or-later
/** conformance/s3/sdk.test.ts, unchanged, with S3 on Ceph RGW (the harness reads MCGW_TEST_S3_BACKEND). */
process.env.MCGW_TEST_S3_BACKEND = 'ceph';
await import('../s3/sdk.test.js');
