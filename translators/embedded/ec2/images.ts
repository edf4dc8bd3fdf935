// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The embedded backend's catalogue of public images. The simulator boots nothing, so an image is
 * its metadata plus an empty root disk of the stated size; ids are derived from the name and are
 * the same for every account and every start.
 */
import { createHash } from 'node:crypto';
import type { PublicImage } from '../../../apis/ec2/backend.js';

const CREATED = Date.UTC(2025, 5, 1);

function amiId(name: string): string {
  return 'ami-' + createHash('sha256').update(`mcgw-embedded-image:${name}`).digest('hex').slice(0, 17);
}

function image(name: string, description: string, arch: 'x86_64' | 'arm64', rootSizeGiB: number, platformDetails = 'Linux/UNIX'): PublicImage {
  return {
    imageId: amiId(name),
    name,
    description,
    architecture: arch,
    platformDetails,
    rootDeviceName: '/dev/xvda',
    rootSizeGiB,
    bootMode: 'uefi-preferred',
    creationDate: CREATED,
  };
}

export const EMBEDDED_IMAGES: PublicImage[] = [
  image('debian-12-amd64-20250601', 'Debian 12 (bookworm) amd64', 'x86_64', 8),
  image('debian-12-arm64-20250601', 'Debian 12 (bookworm) arm64', 'arm64', 8),
  image('ubuntu-noble-24.04-amd64-server-20250601', 'Ubuntu Server 24.04 LTS (noble) amd64', 'x86_64', 8),
  image('al2023-ami-2023.7.20250601.0-kernel-6.1-x86_64', 'Amazon Linux 2023 AMI x86_64', 'x86_64', 8),
  image('alpine-3.21-x86_64-uefi-tiny', 'Alpine Linux 3.21 x86_64 (tiny)', 'x86_64', 1),
];
