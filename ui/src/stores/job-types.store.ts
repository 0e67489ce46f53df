import { createSignal } from 'solid-js';
import type { JobTypeDto } from '@jobflow/shared/client';
import { client } from '../app/client';
import { schemaText } from '../i18n/i18n';

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

export const jobTypeTitle = (type: string): string => {
  const title = jobTypes()?.find((jt) => jt.type === type)?.title;
  return title ? schemaText(title) : type;
};
