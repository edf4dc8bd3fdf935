// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The DynamoDB conformance suites (conformance/dynamodb: AWS SDK v3 + DocumentClient, boto3 and
 * aws-cli, the differential run against dynalite) run unchanged through the Alternator translator:
 * the harness puts the translator and the Alternator stand-in behind every gateway it starts. The
 * streams suite is not among them: DynamoDB Streams are not served on this backend (docs/alternator.md).
 */
process.env.MCGW_TEST_DYNAMODB_BACKEND = 'alternator';
await import('../dynamodb/sdk.test.js');
await import('../dynamodb/boto3.test.js');
await import('../dynamodb/differential.test.js');
await import('../dynamodb/streams.test.js');
