import { z } from 'zod';

/** Every error code of the public contract, with the HTTP status it travels with. */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  /** The job is disabled: it cannot be run until enabled again. */
  job_disabled: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  validation_failed: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** At most this many `details` travel with an error (the rest are summed up in a last one), each message at most MAX_DETAIL_CHARS. */
export const MAX_ERROR_DETAILS = 20;
const MAX_DETAIL_CHARS = 300;

const capDetails = (details: ErrorDetail[] | undefined): ErrorDetail[] | undefined => {
  if (!details) return details;
  const shown = details.slice(0, MAX_ERROR_DETAILS).map((d) => ({
    path: d.path.length > MAX_DETAIL_CHARS ? d.path.slice(0, MAX_DETAIL_CHARS) + '…' : d.path,
    message: d.message.length > MAX_DETAIL_CHARS ? d.message.slice(0, MAX_DETAIL_CHARS) + '…' : d.message,
  }));
  if (details.length > MAX_ERROR_DETAILS) shown.push({ path: '', message: `and ${details.length - MAX_ERROR_DETAILS} more problems` });
  return shown;
};

/** One field-level problem of a `validation_failed` error; `path` is a JSON Pointer. */
export const ErrorDetail = z.object({ path: z.string(), message: z.string() });
export type ErrorDetail = z.infer<typeof ErrorDetail>;

/** The body of every error response: `{error: {code, message, details?}}`. */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(ErrorDetail).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/**
 * An error that is meant to reach the client as-is: its code, message and
 * details are part of the contract. Anything else thrown is an internal error.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly details?: ErrorDetail[];
  constructor(
    readonly code: ErrorCode,
    message: string,
    details?: ErrorDetail[],
  ) {
    super(message);
    this.name = new.target.name;
    this.status = ERROR_STATUS[code];
    this.details = capDetails(details);
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

/** Turns zod issues into the contract's `details` (JSON Pointer paths). */
export function zodDetails(error: z.ZodError, prefix = ''): ErrorDetail[] {
  return error.issues.map((issue) => ({
    path: prefix + issue.path.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join(''),
    message: issue.message,
  }));
}

/** Parses `value` with `schema` or throws a 422 `validation_failed` ApiError. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, prefix = ''): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ApiError('validation_failed', 'The request does not match the schema.', zodDetails(result.error, prefix));
  }
  return result.data;
}
