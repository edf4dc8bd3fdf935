// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Patches to the aws-sdk v2 models (frozen in 2025) for what AWS changed since, or for facts the
 * min.json files leave out (error namespaces, Smithy service names). One small file per service;
 * a patch is merged into the raw model before shapes are resolved.
 */
import type { RawModel } from '../model.js';
import { monitoringPatch } from './monitoring.js';
import { jsonServicesPatches } from './json-services.js';

export interface ModelPatch {
  /** Merged over metadata (keys set to null are deleted). */
  metadata?: Record<string, unknown>;
  /** Operations added or replaced whole. */
  operations?: RawModel['operations'];
  /** Shapes added or replaced whole. */
  shapes?: RawModel['shapes'];
  /** Traits merged into existing named shapes. */
  shapeTraits?: Record<string, Record<string, unknown>>;
}

const PATCHES: Record<string, ModelPatch> = {
  'monitoring-2010-08-01': monitoringPatch,
  ...jsonServicesPatches,
};

export function patchFor(stem: string): ModelPatch | undefined {
  return PATCHES[stem];
}

/** A new raw model: `raw` with `patch` merged in (raw is not modified). */
export function applyPatch(raw: RawModel, patch: ModelPatch): RawModel {
  const metadata: Record<string, unknown> = { ...raw.metadata };
  for (const [k, v] of Object.entries(patch.metadata ?? {})) {
    if (v === null) delete metadata[k];
    else metadata[k] = v;
  }
  const shapes = { ...raw.shapes, ...(patch.shapes ?? {}) };
  for (const [name, traits] of Object.entries(patch.shapeTraits ?? {})) {
    const s = shapes[name];
    if (!s) throw new Error(`patch: no shape ${name} in model`);
    shapes[name] = { ...s, ...traits };
  }
  return { ...raw, metadata, operations: { ...raw.operations, ...(patch.operations ?? {}) }, shapes };
}
