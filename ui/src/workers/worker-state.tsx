import type { WorkerState } from '@jobflow/shared/client';
import { t } from '../i18n/i18n';

const icons: Record<WorkerState, string> = { active: '●', draining: '◐', lost: '✕' };

/** A worker's state as icon + word + colour (never colour alone). */
export function WorkerStateBadge(props: { state: WorkerState }) {
  return (
    <span class={`status worker-${props.state}`}>
      <span class="status-icon" aria-hidden="true">
        {icons[props.state]}
      </span>
      {t(`workerState.${props.state}`)}
    </span>
  );
}
