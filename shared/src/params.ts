import Ajv2020 from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import type { ErrorDetail } from './errors';
import { jobTypeInfos, type JobParams, type JobTypeName } from './job-types/index';
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
  return validate(params) ? [] : detailsOf(validate, prefix);
}

/** The params of a job of type `type` checked against its schema: typed when they match, else the problems. */
export function parseJobParams<K extends JobTypeName>(type: K, params: unknown): { ok: true; params: JobParams[K] } | { ok: false; problems: ErrorDetail[] } {
  // Ajv keeps one compiled function per schema object, so this compiles each type's schema once.
  const validate = ajv.compile<JobParams[K]>(jobTypeInfos[type].paramsSchema);
  return validate(params) ? { ok: true, params } : { ok: false, problems: detailsOf(validate, '/params') };
}

function detailsOf(validate: ValidateFunction, prefix: string): ErrorDetail[] {
  return (validate.errors ?? []).map((e) => {
    const missing = e.keyword === 'required' ? `/${String((e.params as { missingProperty?: string }).missingProperty)}` : '';
    const extra = e.keyword === 'additionalProperties' ? `/${String((e.params as { additionalProperty?: string }).additionalProperty)}` : '';
    return { path: `${prefix}${e.instancePath}${missing}${extra}`, message: e.message ?? 'is invalid' };
  });
}
