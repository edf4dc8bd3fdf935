// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Parses and resolves a request's expressions in DynamoDB's order (update, condition, key
 * condition, filter, projection), then checks unused ExpressionAttributeNames/Values.
 */
import type { Condition, PathElem, UpdateActions } from './expr/ast.js';
import { parseCondition, parseProjection, parseUpdate } from './expr/parser.js';
import { ExprContext, resolveCondition, resolveProjection, resolveUpdate, type ExprInput } from './expr/resolve.js';

export interface ExpressionInput extends ExprInput {
  UpdateExpression?: string;
  ConditionExpression?: string;
  KeyConditionExpression?: string;
  FilterExpression?: string;
  ProjectionExpression?: string;
}

export interface Prepared {
  update?: UpdateActions;
  condition?: Condition;
  keyCondition?: Condition;
  filter?: Condition;
  projection?: PathElem[][];
}

export function prepareExpressions(input: ExpressionInput): Prepared {
  const hasAny =
    input.UpdateExpression != null || input.ConditionExpression != null || input.KeyConditionExpression != null || input.FilterExpression != null || input.ProjectionExpression != null;
  if (!hasAny && input.ExpressionAttributeNames == null && input.ExpressionAttributeValues == null) return {};
  const ctx = new ExprContext(input);
  const out: Prepared = {};
  if (input.UpdateExpression != null) out.update = resolveUpdate(parseUpdate(input.UpdateExpression), ctx);
  if (input.ConditionExpression != null) out.condition = resolveCondition(parseCondition(input.ConditionExpression, 'ConditionExpression'), 'ConditionExpression', ctx);
  if (input.KeyConditionExpression != null) {
    out.keyCondition = resolveCondition(parseCondition(input.KeyConditionExpression, 'KeyConditionExpression'), 'KeyConditionExpression', ctx);
  }
  if (input.FilterExpression != null) out.filter = resolveCondition(parseCondition(input.FilterExpression, 'FilterExpression'), 'FilterExpression', ctx);
  if (input.ProjectionExpression != null) out.projection = resolveProjection(parseProjection(input.ProjectionExpression), ctx);
  ctx.checkUnused();
  return out;
}
