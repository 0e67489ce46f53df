import Ajv2020 from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import type { ErrorDetail } from './errors';
import type { JobTypeInfo } from './job-types/job-type';

const ajv = new Ajv2020({ allErrors: true, strict: false, useDefaults: false });
const compiled = new WeakMap<object, ValidateFunction>();

/**
 * Checks params against a job type's schema with the same rules on server,
 * worker and browser. Returns the problems as `details` (JSON Pointer paths
 * under `prefix`), empty when the params are valid.
 */
export function validateParams(info: JobTypeInfo, params: unknown, prefix = '/params'): ErrorDetail[] {
  let validate = compiled.get(info.paramsSchema as object);
  if (!validate) {
    validate = ajv.compile(info.paramsSchema as object);
    compiled.set(info.paramsSchema as object, validate);
  }
  if (validate(params)) return [];
  return (validate.errors ?? []).map((e) => {
    const missing = e.keyword === 'required' ? `/${String((e.params as { missingProperty?: string }).missingProperty)}` : '';
    const extra = e.keyword === 'additionalProperties' ? `/${String((e.params as { additionalProperty?: string }).additionalProperty)}` : '';
    return { path: `${prefix}${e.instancePath}${missing}${extra}`, message: e.message ?? 'is invalid' };
  });
}
