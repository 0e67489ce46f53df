import { validateParams, type ErrorDetail, type JobTypeDto } from '@jobflow/shared';
import { localizeValidation } from '../app/errors';
import type { FieldErrors } from './params-form';

/** Groups `details` by path, in the user's language. */
export function toFieldErrors(details: readonly ErrorDetail[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const detail of details) (errors[detail.path] ??= []).push(localizeValidation(detail.message));
  return errors;
}

/** The same Ajv 2020 check the server makes, as field errors under `/params`. */
export const validateJobParams = (jobType: JobTypeDto, params: unknown): FieldErrors => toFieldErrors(validateParams(jobType, params));
