import { createMemo, createSignal, For, Index, Match, Show, Switch, type JSX } from 'solid-js';
import { schemaText, t } from '../i18n/i18n';
import { fieldKind, jsonEqual, pointer, type Schema } from './schema';

/** Messages by JSON Pointer path (e.g. `/params/script`). */
export type FieldErrors = Record<string, string[]>;

interface FieldContext {
  errors: () => FieldErrors;
  /** The values to compare with (the job's params when running with changes). */
  baseline?: () => unknown;
  isDisabled?: () => boolean;
}

interface FieldProps {
  schema: Schema;
  path: string;
  name: string;
  isRequired: boolean;
  get: () => unknown;
  set: (value: unknown) => void;
  baseline?: () => unknown;
  ctx: FieldContext;
}

const idFor = (path: string) => 'f' + path.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`);
const asObject = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
const withKey = (obj: Record<string, unknown>, key: string, value: unknown) => {
  const next = { ...obj };
  if (value === undefined) delete next[key];
  else next[key] = value;
  return next;
};

/**
 * A form generated from a job type's `paramsSchema`: one control per property,
 * recursively; `errors` (JSON Pointer paths under `/params`) show at their fields,
 * and with a `baseline` every field that differs from it is marked.
 */
export function ParamsForm(props: {
  schema: Schema;
  value: () => Record<string, unknown>;
  onChange: (value: Record<string, unknown>) => void;
  errors: () => FieldErrors;
  baseline?: () => Record<string, unknown>;
  isDisabled?: () => boolean;
}) {
  const ctx: FieldContext = { errors: props.errors, baseline: props.baseline, isDisabled: props.isDisabled };
  return (
    <div class="params-form">
      <ObjectFields schema={props.schema} path="/params" get={props.value} set={(v) => props.onChange(asObject(v))} baseline={props.baseline} ctx={ctx} />
    </div>
  );
}

function ObjectFields(props: { schema: Schema; path: string; get: () => unknown; set: (v: unknown) => void; baseline?: () => unknown; ctx: FieldContext }) {
  const entries = () => Object.entries(props.schema.properties ?? {});
  const required = () => new Set(props.schema.required ?? []);
  return (
    <For each={entries()}>
      {([key, child]) => (
        <Field
          schema={child}
          path={props.path + pointer(key)}
          name={key}
          isRequired={required().has(key)}
          get={() => asObject(props.get())[key]}
          set={(v) => props.set(withKey(asObject(props.get()), key, v))}
          baseline={props.baseline ? () => asObject(props.baseline?.())[key] : undefined}
          ctx={props.ctx}
        />
      )}
    </For>
  );
}

function Field(props: FieldProps) {
  const kind = () => fieldKind(props.schema);
  const id = () => idFor(props.path);
  const label = () => (props.schema.title ? schemaText(props.schema.title) : props.name);
  const errors = () => props.ctx.errors()[props.path] ?? [];
  const isChanged = createMemo(() => (props.baseline ? !jsonEqual(props.get(), props.baseline()) : false));
  const describedBy = () => [props.schema.description ? `${id()}-hint` : '', errors().length ? `${id()}-error` : ''].filter(Boolean).join(' ') || undefined;
  const common = () => ({
    id: id(),
    'aria-describedby': describedBy(),
    'aria-invalid': errors().length > 0 ? ('true' as const) : undefined,
    'aria-required': props.isRequired ? ('true' as const) : undefined,
    disabled: props.ctx.isDisabled?.() ?? false,
  });

  const labelRow = (forId?: string): JSX.Element => (
    <span class="label-row">
      {forId ? (
        <label class="label" for={forId}>
          {label()}
        </label>
      ) : (
        <span class="label">{label()}</span>
      )}
      <Show when={props.isRequired}>
        <span class="required">{t('form.required')}</span>
      </Show>
      <Show when={isChanged()}>
        <span class="changed-badge">{t('form.changed')}</span>
      </Show>
    </span>
  );
  const hint = () => (
    <Show when={props.schema.description}>
      <span class="hint" id={`${id()}-hint`}>
        {schemaText(props.schema.description ?? '')}
      </span>
    </Show>
  );
  const errorText = () => (
    <Show when={errors().length > 0}>
      <span class="field-error" id={`${id()}-error`} data-error-path={props.path}>
        {errors().join(' ')}
      </span>
    </Show>
  );

  return (
    <Switch>
      <Match when={kind() === 'object'}>
        <fieldset class="fieldset" classList={{ changed: isChanged(), invalid: errors().length > 0 }} aria-describedby={describedBy()}>
          <legend>{labelRow()}</legend>
          {hint()}
          {errorText()}
          <ObjectFields schema={props.schema} path={props.path} get={props.get} set={props.set} baseline={props.baseline} ctx={props.ctx} />
        </fieldset>
      </Match>
      <Match when={kind() === 'boolean'}>
        <div class="field field-check" classList={{ changed: isChanged(), invalid: errors().length > 0 }}>
          <span class="check-row">
            <input type="checkbox" {...common()} checked={props.get() === true} onChange={(e) => props.set(e.currentTarget.checked)} />
            {labelRow(id())}
          </span>
          {hint()}
          {errorText()}
        </div>
      </Match>
      <Match when={kind() === 'map'}>
        <MapEditor {...props} labelRow={labelRow()} hint={hint()} errorText={errorText()} isChanged={isChanged()} />
      </Match>
      <Match when={kind() === 'string-list'}>
        <StringListEditor {...props} labelRow={labelRow()} hint={hint()} errorText={errorText()} isChanged={isChanged()} />
      </Match>
      <Match when={kind() === 'multi-enum'}>
        <fieldset class="fieldset" classList={{ changed: isChanged(), invalid: errors().length > 0 }} aria-describedby={describedBy()}>
          <legend>{labelRow()}</legend>
          {hint()}
          <For each={props.schema.items?.enum ?? []}>
            {(option) => {
              const list = () => (Array.isArray(props.get()) ? (props.get() as unknown[]) : []);
              return (
                <label class="check-row">
                  <input
                    type="checkbox"
                    checked={list().some((v) => jsonEqual(v, option))}
                    disabled={props.ctx.isDisabled?.() ?? false}
                    onChange={(e) => {
                      const rest = list().filter((v) => !jsonEqual(v, option));
                      props.set(e.currentTarget.checked ? [...rest, option] : rest.length ? rest : undefined);
                    }}
                  />
                  {String(option)}
                </label>
              );
            }}
          </For>
          {errorText()}
        </fieldset>
      </Match>
      <Match when={true}>
        <div class="field" classList={{ changed: isChanged(), invalid: errors().length > 0 }}>
          {labelRow(id())}
          {hint()}
          <Switch>
            <Match when={kind() === 'enum'}>
              <EnumSelect {...props} common={common()} />
            </Match>
            <Match when={kind() === 'text'}>
              <textarea
                {...common()}
                rows={Math.min(16, Math.max(4, String(props.get() ?? '').split('\n').length + 1))}
                spellcheck={false}
                class="mono"
                value={typeof props.get() === 'string' ? (props.get() as string) : ''}
                onInput={(e) => props.set(e.currentTarget.value === '' ? undefined : e.currentTarget.value)}
              />
            </Match>
            <Match when={kind() === 'string'}>
              <input
                type={props.schema.format === 'uri' || props.schema.format === 'url' ? 'url' : props.schema.format === 'email' ? 'email' : 'text'}
                {...common()}
                value={typeof props.get() === 'string' ? (props.get() as string) : ''}
                placeholder={typeof props.schema.default === 'string' ? props.schema.default : undefined}
                onInput={(e) => props.set(e.currentTarget.value === '' ? undefined : e.currentTarget.value)}
              />
            </Match>
            <Match when={kind() === 'number' || kind() === 'integer'}>
              <NumberInput {...props} common={common()} isInteger={kind() === 'integer'} />
            </Match>
            <Match when={kind() === 'json'}>
              <JsonInput {...props} common={common()} />
            </Match>
          </Switch>
          {errorText()}
        </div>
      </Match>
    </Switch>
  );
}

type Common = Record<string, unknown>;

/**
 * One of a schema's `enum` values. A value left out shows what applies: the
 * schema's default when it has one (as the server will use it), else "Choose…".
 */
function EnumSelect(props: FieldProps & { common: Common }) {
  const hasDefault = () => props.schema.default !== undefined;
  const shown = () => {
    const value = props.get();
    if (value !== undefined) return JSON.stringify(value);
    return hasDefault() ? JSON.stringify(props.schema.default) : '';
  };
  return (
    <select
      {...props.common}
      value={shown()}
      onChange={(e) => {
        const raw = e.currentTarget.value;
        // Picking the default while nothing was set changes nothing: the default applies either way.
        if (props.get() === undefined && hasDefault() && raw === JSON.stringify(props.schema.default)) return;
        props.set(raw === '' ? undefined : JSON.parse(raw));
      }}
    >
      <Show when={!hasDefault() && (!props.isRequired || props.get() === undefined)}>
        <option value="" selected={shown() === ''}>
          {t('form.choose')}
        </option>
      </Show>
      <For each={props.schema.enum ?? []}>
        {(option) => (
          <option value={JSON.stringify(option)} selected={JSON.stringify(option) === shown()}>
            {String(option)}
          </option>
        )}
      </For>
    </select>
  );
}

function NumberInput(props: FieldProps & { common: Common; isInteger: boolean }) {
  const [text, setText] = createSignal(props.get() === undefined ? '' : String(props.get()));
  // Follow outside changes (a reset), but keep a half-typed "1." as typed.
  const shown = () => {
    const value = props.get();
    const parsed = text().trim() === '' ? undefined : Number(text());
    return parsed === value || (typeof value === 'string' && value === text()) ? text() : value === undefined ? '' : String(value);
  };
  return (
    <input
      type="number"
      inputmode={props.isInteger ? 'numeric' : 'decimal'}
      {...props.common}
      value={shown()}
      min={props.schema.minimum ?? props.schema.exclusiveMinimum}
      max={props.schema.maximum ?? props.schema.exclusiveMaximum}
      step={props.schema.multipleOf ?? (props.isInteger ? 1 : 'any')}
      placeholder={typeof props.schema.default === 'number' ? String(props.schema.default) : undefined}
      onInput={(e) => {
        const raw = e.currentTarget.value;
        setText(raw);
        if (raw.trim() === '') props.set(undefined);
        else {
          const n = Number(raw);
          props.set(Number.isFinite(n) ? n : raw);
        }
      }}
    />
  );
}

function JsonInput(props: FieldProps & { common: Common }) {
  const [text, setText] = createSignal(props.get() === undefined ? '' : JSON.stringify(props.get(), null, 2));
  const [isBad, setBad] = createSignal(false);
  return (
    <>
      <textarea
        {...props.common}
        class="mono"
        rows={6}
        spellcheck={false}
        value={text()}
        onInput={(e) => {
          const raw = e.currentTarget.value;
          setText(raw);
          if (raw.trim() === '') {
            setBad(false);
            props.set(undefined);
            return;
          }
          try {
            props.set(JSON.parse(raw));
            setBad(false);
          } catch {
            setBad(true);
          }
        }}
      />
      <span class="hint">{t('form.jsonHint')}</span>
      <Show when={isBad()}>
        <span class="field-error" role="alert">
          {t('form.invalidJson')}
        </span>
      </Show>
    </>
  );
}

interface EditorExtras {
  labelRow: JSX.Element;
  hint: JSX.Element;
  errorText: JSX.Element;
  isChanged: boolean;
}

let rowIds = 0;

/** Key/value rows for an object with `additionalProperties` (e.g. environment variables). */
function MapEditor(props: FieldProps & EditorExtras) {
  const valueSchema = () => (typeof props.schema.additionalProperties === 'object' ? props.schema.additionalProperties : {});
  const initial = Object.entries(asObject(props.get())).map(([key, value]) => ({ id: ++rowIds, key, value }));
  const [rows, setRows] = createSignal(initial);
  const push = (next: { id: number; key: string; value: unknown }[]) => {
    setRows(next);
    const obj: Record<string, unknown> = {};
    for (const row of next) if (row.key !== '') obj[row.key] = row.value;
    props.set(next.length === 0 ? undefined : obj);
  };
  const update = (id: number, patch: Partial<{ key: string; value: unknown }>) => push(rows().map((row) => (row.id === id ? { ...row, ...patch } : row)));
  const rowError = (key: string) => props.ctx.errors()[props.path + pointer(key)] ?? [];
  const base = idFor(props.path);
  // Entries that are objects themselves (a data check's column rules) get a sub-form each.
  const isObjectValue = () => fieldKind(valueSchema()) === 'object';
  const entryName = (key: string, i: number) =>
    t('form.entryFor', { what: valueSchema().title ? schemaText(valueSchema().title ?? '') : t('form.value'), key: key || String(i + 1) });
  return (
    <fieldset class="fieldset" classList={{ changed: props.isChanged }}>
      <legend>{props.labelRow}</legend>
      {props.hint}
      {props.errorText}
      <Show when={rows().length > 0 && !isObjectValue()}>
        <div class="kv-head" aria-hidden="true">
          <span>{t('form.key')}</span>
          <span>{t('form.value')}</span>
        </div>
      </Show>
      <Index each={rows()}>
        {(row, i) => (
          <Show
            when={!isObjectValue()}
            fallback={
              <div class="kv-entry">
                <div class="kv-row kv-row-key">
                  <input
                    id={`${base}-k${i}`}
                    aria-label={t('form.keyN', { n: i + 1 })}
                    class="mono"
                    value={row().key}
                    disabled={props.ctx.isDisabled?.() ?? false}
                    onInput={(e) => update(row().id, { key: e.currentTarget.value })}
                  />
                  <button
                    type="button"
                    class="button small"
                    onClick={() => push(rows().filter((r) => r.id !== row().id))}
                    aria-label={t('form.removeRow', { key: row().key || String(i + 1) })}
                  >
                    {t('form.remove')}
                  </button>
                </div>
                <fieldset class="fieldset kv-object">
                  <legend>
                    <span class="label">{entryName(row().key, i)}</span>
                  </legend>
                  <Show when={rowError(row().key).length > 0}>
                    <span class="field-error" data-error-path={props.path + pointer(row().key)}>
                      {rowError(row().key).join(' ')}
                    </span>
                  </Show>
                  <ObjectFields
                    schema={valueSchema()}
                    path={props.path + pointer(row().key || String(i + 1))}
                    get={() => row().value}
                    set={(value) => update(row().id, { value: asObject(value) })}
                    baseline={props.baseline ? () => asObject(props.baseline?.())[row().key] : undefined}
                    ctx={props.ctx}
                  />
                </fieldset>
              </div>
            }
          >
            <div class="kv-row">
              <input
                id={`${base}-k${i}`}
                aria-label={t('form.keyN', { n: i + 1 })}
                class="mono"
                value={row().key}
                disabled={props.ctx.isDisabled?.() ?? false}
                onInput={(e) => update(row().id, { key: e.currentTarget.value })}
              />
              <input
                id={`${base}-v${i}`}
                aria-label={t('form.valueFor', { key: row().key || String(i + 1) })}
                class="mono"
                value={typeof row().value === 'string' ? (row().value as string) : JSON.stringify(row().value ?? '')}
                disabled={props.ctx.isDisabled?.() ?? false}
                onInput={(e) => {
                  const raw = e.currentTarget.value;
                  const kind = fieldKind(valueSchema());
                  let value: unknown = raw;
                  if (kind === 'number' || kind === 'integer') value = raw === '' ? undefined : Number(raw);
                  else if (kind === 'boolean') value = raw === 'true';
                  update(row().id, { value });
                }}
              />
              <button
                type="button"
                class="button small"
                onClick={() => push(rows().filter((r) => r.id !== row().id))}
                aria-label={t('form.removeRow', { key: row().key || String(i + 1) })}
              >
                {t('form.remove')}
              </button>
              <Show when={rowError(row().key).length > 0}>
                <span class="field-error kv-error" data-error-path={props.path + pointer(row().key)}>
                  {rowError(row().key).join(' ')}
                </span>
              </Show>
            </div>
          </Show>
        )}
      </Index>
      <button
        type="button"
        class="button small"
        disabled={props.ctx.isDisabled?.() ?? false}
        onClick={() => {
          push([...rows(), { id: ++rowIds, key: '', value: isObjectValue() ? {} : '' }]);
          queueMicrotask(() => document.getElementById(`${base}-k${rows().length - 1}`)?.focus());
        }}
      >
        {t('form.addEntry')}
      </button>
    </fieldset>
  );
}

/** One input per item for an array of strings. */
function StringListEditor(props: FieldProps & EditorExtras) {
  const list = () => (Array.isArray(props.get()) ? (props.get() as unknown[]).map((v) => (typeof v === 'string' ? v : String(v))) : []);
  const setList = (next: string[]) => props.set(next.length === 0 ? undefined : next);
  const base = idFor(props.path);
  const itemError = (i: number) => props.ctx.errors()[props.path + pointer(i)] ?? [];
  return (
    <fieldset class="fieldset" classList={{ changed: props.isChanged }}>
      <legend>{props.labelRow}</legend>
      {props.hint}
      {props.errorText}
      <Index each={list()}>
        {(item, i) => (
          <div class="list-row">
            <input
              id={`${base}-${i}`}
              aria-label={t('form.itemN', { n: i + 1 })}
              value={item()}
              disabled={props.ctx.isDisabled?.() ?? false}
              onInput={(e) => setList(list().map((v, j) => (j === i ? e.currentTarget.value : v)))}
            />
            <button
              type="button"
              class="button small"
              onClick={() => setList(list().filter((_, j) => j !== i))}
              aria-label={t('form.removeItem', { n: i + 1 })}
            >
              {t('form.remove')}
            </button>
            <Show when={itemError(i).length > 0}>
              <span class="field-error">{itemError(i).join(' ')}</span>
            </Show>
          </div>
        )}
      </Index>
      <button
        type="button"
        class="button small"
        disabled={props.ctx.isDisabled?.() ?? false}
        onClick={() => {
          setList([...list(), '']);
          queueMicrotask(() => document.getElementById(`${base}-${list().length - 1}`)?.focus());
        }}
      >
        {t('form.addItem')}
      </button>
    </fieldset>
  );
}
