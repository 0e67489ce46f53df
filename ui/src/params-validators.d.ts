declare module 'virtual:params-validators' {
  import type { ParamsValidator } from '@jobflow/shared/params-errors';
  /** Each job type's params validator, generated at build time (see ui/params-validators.plugin.ts). */
  export const validators: Record<string, ParamsValidator>;
}
