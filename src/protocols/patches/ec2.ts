// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * EC2 (ec2-2016-11-15): where the min.json conversion lost a member's own name to its list
 * shape's (botocore: member locationName `accelerators` over the shape's `item`; the JS v3 and
 * botocore parsers read `accelerators`). Found by comparing every member's wire name with
 * botocore's model (test/protocols/botocore.test.ts parses every output shape).
 */
import type { ModelPatch } from './index.js';

export const ec2Patch: ModelPatch = {
  memberTraits: [
    {
      target: { operation: 'DescribeInstanceTypes', io: 'output', path: ['InstanceTypes', 'member', 'InferenceAcceleratorInfo'] },
      name: 'Accelerators',
      traits: { locationName: 'accelerators' },
    },
  ],
};
