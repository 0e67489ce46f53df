import type { FromSchema, JSONSchema } from 'json-schema-to-ts';

/**
 * What the server and the UI know of a job type: enough to list it, build a
 * form and validate params, without loading the code that runs it.
 */
export interface JobTypeInfo<S extends JSONSchema = JSONSchema> {
  /** Stable identifier stored in every job, e.g. `shell`. */
  type: string;
  title: string;
  description: string;
  /** JSON Schema (draft 2020-12) the params follow. */
  paramsSchema: S;
  /** Only admins may create jobs of this type or change their params per run. */
  adminOnly: boolean;
}

/** Declares a job type's info, keeping the schema literal so params types can be derived. */
export const defineJobTypeInfo = <const S extends JSONSchema>(info: JobTypeInfo<S>): JobTypeInfo<S> => info;

/** The params type a job type's schema describes. */
export type ParamsOf<I> = I extends JobTypeInfo<infer S> ? (S extends JSONSchema ? FromSchema<S> : never) : never;
