import type { ErrorDetail, JobTypeDto } from '@jobflow/shared/client';
import { paramsDetails } from '@jobflow/shared/params-errors';
import { validators } from 'virtual:params-validators';
import { localizeValidation } from '../app/errors';
import type { FieldErrors } from './params-form';

/** Groups `details` by path, in the user's language. */
export function toFieldErrors(details: readonly ErrorDetail[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const detail of details) (errors[detail.path] ??= []).push(localizeValidation(detail.message));
  return errors;
}

/**
 * The same Ajv 2020 check the server makes, as field errors under `/params`,
 * with the validators generated at build time (the page's CSP allows no
 * eval). A type this build does not know is left to the server to check.
 */
export function validateJobParams(jobType: JobTypeDto, params: unknown): FieldErrors {
  const validate = validators[jobType.type];
  return validate ? toFieldErrors(paramsDetails(validate, params)) : {};
}
