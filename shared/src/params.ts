import Ajv2020 from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import type { ErrorDetail } from './errors';
import { jobTypeInfos, type JobParams, type JobTypeName } from './job-types/index';
import type { JobTypeInfo } from './job-types/job-type';
import { PARAMS_AJV_OPTIONS, paramsDetails, type ParamsValidator } from './params-errors';

const ajv = new Ajv2020(PARAMS_AJV_OPTIONS);
const compiled = new WeakMap<object, ValidateFunction>();

/**
 * Checks params against a job type's schema with the same rules on server,
 * worker and browser (the browser runs the same validators generated ahead
 * of time, see ui/vite.config.ts, since its CSP allows no eval). Returns the
 * problems as `details` (JSON Pointer paths under `prefix`), empty when the
 * params are valid.
 */
export function validateParams(info: Pick<JobTypeInfo, 'paramsSchema'>, params: unknown, prefix = '/params'): ErrorDetail[] {
  let validate = compiled.get(info.paramsSchema as object);
  if (!validate) {
    validate = ajv.compile(info.paramsSchema as object);
    compiled.set(info.paramsSchema as object, validate);
  }
  return paramsDetails(validate as ParamsValidator, params, prefix);
}

/** The params of a job of type `type` checked against its schema: typed when they match, else the problems. */
export function parseJobParams<K extends JobTypeName>(type: K, params: unknown): { ok: true; params: JobParams[K] } | { ok: false; problems: ErrorDetail[] } {
  // Ajv keeps one compiled function per schema object, so this compiles each type's schema once.
  const validate = ajv.compile<JobParams[K]>(jobTypeInfos[type].paramsSchema);
  return validate(params) ? { ok: true, params } : { ok: false, problems: paramsDetails(validate as ParamsValidator, params) };
}
