import Ajv2020 from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import type { ErrorDetail } from './errors';
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
