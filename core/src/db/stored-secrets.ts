import { findJobTypeInfo, hasSecretFields, jobTypeInfos } from '@jobflow/shared';
import { hintOf, isSealed, maskSecret, maskUrl, resealParams, type Keyring } from '../platform';
import type { StoredNotificationTarget } from './entities';
import type { Sql } from './sql';

const BATCH_ROWS = 1000;

/** A stored secret sealed with the current key (sealed for the first time, or again from an older key); null when it already is. */
function resealed(value: string, keyring: Keyring, hint: (plain: string) => string): string | null {
  if (isSealed(value) && keyring.isCurrent(value)) return null;
  const plain = keyring.open(value);
  return keyring.seal(plain, isSealed(value) ? hintOf(value) : hint(plain));
}

function resealTargets(targets: StoredNotificationTarget[], keyring: Keyring): StoredNotificationTarget[] | null {
  let changed = false;
  const out = targets.map((t) => {
    if (t.kind === 'email') return t;
    const url = resealed(t.url, keyring, maskUrl);
    const secret = t.kind === 'webhook' ? resealed(t.secret, keyring, maskSecret) : null;
    if (url === null && secret === null) return t;
    changed = true;
    return t.kind === 'webhook' ? { ...t, url: url ?? t.url, secret: secret ?? t.secret } : { ...t, url: url ?? t.url };
  });
  return changed ? out : null;
}

/**
 * Seals every stored secret with the current key: secrets stored before
 * sealing existed, and those sealed with an older key (after SECRETS_KEY was
 * rotated, the old one kept in SECRETS_KEY_PREVIOUS). Jobs' params and
 * notification targets and runs' params are rewritten in batches; the key is
 * then recorded, so later calls with the same key cost one query. Returns the
 * rows rewritten.
 */
export async function sealStoredSecrets(sql: Sql, keyring: Keyring): Promise<{ jobs: number; runs: number }> {
  const done = await sql(`select 1 from secret_seals where key_id = ?`, [keyring.currentKeyId]);
  if (done.length) return { jobs: 0, runs: 0 };
  let jobs = 0;
  let runs = 0;
  const jobRows = await sql<{ id: string; type: string; params: Record<string, unknown>; notifications: StoredNotificationTarget[] }>(
    `select id, type, params, notifications from jobs`,
  );
  for (const job of jobRows) {
    const info = findJobTypeInfo(job.type);
    const params = info ? resealParams(info, job.params, keyring) : null;
    const targets = resealTargets(job.notifications, keyring);
    if (!params && !targets) continue;
    await sql(`update jobs set params = ?::jsonb, notifications = ?::jsonb where id = ?`, [
      JSON.stringify(params ?? job.params),
      JSON.stringify(targets ?? job.notifications),
      job.id,
    ]);
    jobs++;
  }
  const types = Object.values(jobTypeInfos)
    .filter((info) => hasSecretFields(info.paramsSchema))
    .map((info) => info.type);
  for (let after = '00000000-0000-0000-0000-000000000000'; ;) {
    const page = await sql<{ id: string; type: string; params: Record<string, unknown> }>(
      `select r.id, j.type, r.params from runs r join jobs j on j.id = r.job_id
       where j.type in (select json_array_elements_text(?::json)) and r.id > ? order by r.id limit ?`,
      [JSON.stringify(types), after, BATCH_ROWS],
    );
    for (const run of page) {
      const params = resealParams(findJobTypeInfo(run.type)!, run.params, keyring);
      if (!params) continue;
      await sql(`update runs set params = ?::jsonb where id = ?`, [JSON.stringify(params), run.id]);
      runs++;
    }
    if (page.length < BATCH_ROWS) break;
    after = page[page.length - 1]!.id;
  }
  await sql(`insert into secret_seals (key_id) values (?) on conflict do nothing`, [keyring.currentKeyId]);
  return { jobs, runs };
}
