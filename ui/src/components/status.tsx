import type { RunStatus } from '@jobflow/shared/client';
import { t } from '../i18n/i18n';

const icons: Record<RunStatus, string> = {
  queued: '◷',
  running: '▶',
  succeeded: '✓',
  failed: '✕',
  cancelled: '⊘',
};

/** A run status as icon + word + colour (never colour alone). */
export function StatusBadge(props: { status: RunStatus; large?: boolean }) {
  return (
    <span class={`status status-${props.status}`} classList={{ 'status-large': props.large === true }}>
      <span class="status-icon" aria-hidden="true">
        {icons[props.status]}
      </span>
      {t(`status.${props.status}`)}
    </span>
  );
}
