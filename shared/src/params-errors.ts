import type { ErrorDetail } from './errors';

/** The part of an Ajv error the contract's `details` are made from (compiled and standalone validators alike). */
export interface ParamsValidationError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** A params validator: Ajv's compiled function, or the same code generated ahead of time (the browser's, which may not eval). */
export type ParamsValidator = ((data: unknown) => boolean) & { errors?: ParamsValidationError[] | null };

/** The Ajv options every params validator is built with, at run time or ahead of time: the same rules everywhere. */
export const PARAMS_AJV_OPTIONS = { allErrors: true, strict: false, useDefaults: false } as const;

/** Runs `validate` on `params`; the problems as `details` (JSON Pointer paths under `prefix`), empty when valid. */
export function paramsDetails(validate: ParamsValidator, params: unknown, prefix = '/params'): ErrorDetail[] {
  if (validate(params)) return [];
  return (validate.errors ?? []).map((e) => {
    const missing = e.keyword === 'required' ? `/${String(e.params.missingProperty)}` : '';
    const extra = e.keyword === 'additionalProperties' ? `/${String(e.params.additionalProperty)}` : '';
    return { path: `${prefix}${e.instancePath}${missing}${extra}`, message: e.message ?? 'is invalid' };
  });
}
