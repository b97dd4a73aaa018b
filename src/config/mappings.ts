/**
 * Mappings and lists of the config schema: unknown keys are errors (with the
 * closest known key suggested), optional sections default to all defaults.
 */
import * as z from 'zod';
import { closest } from './suggest.js';

/**
 * Unknown keys are reported as `unrecognized_keys` issues, which (unlike others) let
 * zod go on checking the mapping, so every problem in it is found in one pass.
 * `params.suggestion` names the known key a typo most likely meant.
 */
export function reportUnknownKeys(value: unknown, known: readonly string[], ctx: z.RefinementCtx): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const suggestion = closest(key, known);
    const message = suggestion === undefined ? 'unknown key' : `unknown key (did you mean "${suggestion}"?)`;
    ctx.addIssue({ code: 'unrecognized_keys', keys: [key], path: [key], message, params: { suggestion }, input: value as Record<string, unknown> });
  }
}

/** A mapping with exactly these keys (unknown keys are errors). */
export function strict<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape);
  return z.preprocess((value, ctx) => {
    reportUnknownKeys(value, known, ctx);
    return value;
  }, z.object(shape));
}

/** An optional mapping: absent or empty (null) means all defaults. */
export function section<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape);
  return z.preprocess((value, ctx) => {
    const mapping = value ?? {};
    reportUnknownKeys(mapping, known, ctx);
    return mapping;
  }, z.object(shape));
}

/** An optional list: absent or empty (null) means no entries. */
export function list<T extends z.ZodType>(item: T) {
  return z.preprocess((value) => value ?? [], z.array(item));
}

