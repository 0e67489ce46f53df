import { createSignal } from 'solid-js';
import type { JobTypeDto } from '@jobflow/shared/client';
import { client } from '../app/client';

const [jobTypes, setJobTypes] = createSignal<JobTypeDto[] | null>(null);
let loading: Promise<JobTypeDto[]> | null = null;

/** The job types, loaded once per session (they change only with a deploy). */
export { jobTypes };

export function loadJobTypes(force = false): Promise<JobTypeDto[]> {
  if (!loading || force) {
    loading = client.jobTypes.list().then(
      (list) => {
        setJobTypes(list);
        return list;
      },
      (error: unknown) => {
        loading = null;
        throw error;
      },
    );
  }
  return loading;
}

export const jobTypeTitle = (type: string): string => jobTypes()?.find((jt) => jt.type === type)?.title ?? type;
