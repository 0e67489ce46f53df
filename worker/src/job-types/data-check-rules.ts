import { KeyDigestSet } from './data-check-key-set';
import { PatternBudgetError, PatternTimeoutError, compilePattern, matchBudget, type MatchBudget } from './data-check-pattern';
import { NonRetryableError } from './job-handler';

/** The kinds of rule violations are counted by, the keys of `byRule` in the result. */
export const DATA_CHECK_RULES = ['required', 'type', 'nonEmpty', 'unique', 'range', 'pattern', 'structure'] as const;
export type DataCheckRule = (typeof DATA_CHECK_RULES)[number];

export type ColumnType = 'string' | 'integer' | 'number' | 'boolean' | 'date';

/** The rule params, as the data-check schema gives them. */
export interface RuleParams {
  requiredColumns?: readonly string[];
  columns?: Readonly<Record<string, { type?: ColumnType; nonEmpty?: boolean; min?: number; max?: number; pattern?: string }>>;
  uniqueKeys?: readonly (readonly string[])[];
}

interface ColumnRule {
  name: string;
  type?: ColumnType;
  isNonEmpty: boolean;
  min?: number;
  max?: number;
  pattern?: { source: string; test: (text: string) => boolean };
}

interface UniqueKey {
  columns: readonly string[];
  seen: KeyDigestSet;
}

/** Receives one violation: its rule and the line to log. */
export type ReportViolation = (rule: DataCheckRule, message: string) => void;

/**
 * Where a row's values come from: CSV cells are text, so types are read from the text
 * (`42` is an integer); JSON values carry their own type (`"42"` is a string).
 */
export type ValueSource = 'csv' | 'json';

/** The compiled rules of one check, with the state unique keys need across rows. */
export class RowRules {
  readonly requiredColumns: readonly string[];
  private readonly columns: ColumnRule[];
  private readonly uniqueKeys: UniqueKey[];

  /**
   * Throws NonRetryableError for rules that can never hold (bad pattern, min
   * above max). Guarded pattern matches share `budget`: past it the run fails.
   */
  constructor(params: RuleParams, budget: MatchBudget = matchBudget(Infinity)) {
    this.requiredColumns = params.requiredColumns ?? [];
    this.columns = Object.entries(params.columns ?? {}).map(([name, rule]) => {
      if (rule.min !== undefined && rule.max !== undefined && rule.min > rule.max) {
        throw new NonRetryableError(`column "${name}": min ${rule.min} is above max ${rule.max}`);
      }
      let pattern: ColumnRule['pattern'];
      if (rule.pattern !== undefined) {
        try {
          pattern = { source: rule.pattern, test: compilePattern(rule.pattern, budget) };
        } catch (error) {
          throw new NonRetryableError(`column "${name}": invalid pattern: ${(error as Error).message}`);
        }
      }
      return { name, type: rule.type, isNonEmpty: rule.nonEmpty ?? false, min: rule.min, max: rule.max, pattern };
    });
    this.uniqueKeys = (params.uniqueKeys ?? []).map((columns) => ({ columns, seen: new KeyDigestSet() }));
  }

  /**
   * Checks one row's values; `where` starts each message, e.g. `row 17 (line 18)`.
   * Throws NonRetryableError when a pattern takes too long on a value.
   */
  check(value: (column: string) => unknown, source: ValueSource, where: string, report: ReportViolation): void {
    for (const rule of this.columns) {
      const v = value(rule.name);
      if (isBlank(v)) {
        if (rule.isNonEmpty) report('nonEmpty', `${where}: column "${rule.name}" is empty`);
        continue;
      }
      if (rule.type && !hasType(v, rule.type, source)) {
        report('type', `${where}: column "${rule.name}" is not ${TYPE_NAMES[rule.type]}: ${show(v)}`);
        continue;
      }
      if (rule.min !== undefined || rule.max !== undefined) {
        const n = toNumber(v);
        if (Number.isNaN(n)) report('range', `${where}: column "${rule.name}" is not a number: ${show(v)}`);
        else if (rule.min !== undefined && n < rule.min) report('range', `${where}: column "${rule.name}" is below the minimum ${rule.min}: ${show(v)}`);
        else if (rule.max !== undefined && n > rule.max) report('range', `${where}: column "${rule.name}" is above the maximum ${rule.max}: ${show(v)}`);
      }
      if (rule.pattern && !this.matches(rule, asText(v), where)) {
        report('pattern', `${where}: column "${rule.name}" does not match /${rule.pattern.source}/: ${show(v)}`);
      }
    }
    for (const key of this.uniqueKeys) {
      const values = key.columns.map(value);
      if (values.some(isBlank)) continue;
      // JSON.stringify keeps the columns apart ("a,b"+"c" vs "a"+"b,c") and, in JSON rows, 1 apart from "1".
      if (!key.seen.add(JSON.stringify(values))) {
        report('unique', `${where}: duplicate key (${key.columns.join(', ')}) = ${show(values.length === 1 ? values[0] : values)}`);
      }
    }
  }

  private matches(rule: ColumnRule, text: string, where: string): boolean {
    try {
      return rule.pattern!.test(text);
    } catch (error) {
      if (error instanceof PatternTimeoutError || error instanceof PatternBudgetError) {
        throw new NonRetryableError(`${where}: column "${rule.name}": ${error.message}`);
      }
      throw error;
    }
  }
}

const TYPE_NAMES: Record<ColumnType, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean (true or false)',
  date: 'a date (YYYY-MM-DD or RFC 3339 date-time)',
};

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const BOOLEAN = /^(?:true|false)$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:[Zz]|[+-](\d{2}):?(\d{2}))?)?$/;

/** Missing, null, or text with nothing but whitespace. */
export const isBlank = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

export function hasType(v: unknown, type: ColumnType, source: ValueSource): boolean {
  if (source === 'csv' && typeof v === 'string') {
    const text = v.trim();
    switch (type) {
      case 'string':
        return true;
      case 'integer':
        return INTEGER.test(text);
      case 'number':
        return NUMBER.test(text);
      case 'boolean':
        return BOOLEAN.test(text);
      case 'date':
        return isDate(text);
    }
  }
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'date':
      return typeof v === 'string' && isDate(v);
  }
}

/** A calendar-valid `YYYY-MM-DD`, optionally with a time and an offset. */
export function isDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const [year, month, day, hour = 0, minute = 0, second = 0, offsetHour = 0, offsetMinute = 0] = m
    .slice(1)
    .map((part) => (part === undefined ? undefined : Number(part)));
  if (year === undefined || month === undefined || day === undefined) return false;
  const isLeapYear = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const daysInMonth = [31, isLeapYear ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  return day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 60 && offsetHour <= 23 && offsetMinute <= 59;
}

const toNumber = (v: unknown): number => {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && NUMBER.test(v.trim())) return Number(v.trim());
  return Number.NaN;
};

const asText = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));

const MAX_SHOWN_CHARS = 100;

/** A value as it appears in a log line: JSON-quoted and cut short. */
export function show(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text;
}
