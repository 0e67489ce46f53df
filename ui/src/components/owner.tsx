import { t } from '../i18n/i18n';
import { user } from '../session/session';
import { users } from '../stores/users.store';

/** Who owns a job: "you", the name the server sent, a name known to this browser, or a short id. */
export function Owner(props: { id: string; name?: string | undefined }) {
  const label = () => {
    if (props.id === user()?.id) return t('common.you');
    if (props.name) return props.name;
    const known = users[props.id];
    return known ? known.name || known.email : `${t('common.user')} ${props.id.slice(0, 8)}`;
  };
  return <span title={props.id}>{label()}</span>;
}
