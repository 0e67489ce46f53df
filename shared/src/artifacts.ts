import { z } from 'zod';
import { IsoTime, LogLineDto, RunDto } from './dto';

/** A file a run attached (a report, a CSV of violations, a response body), stored with the run. */
export const ArtifactDto = z.object({
  /** Unique within its run; a plain file name (no folders). */
  name: z.string(),
  /** Bytes. */
  size: z.number().int().min(0),
  /** The media type it is served with, e.g. `text/csv`. */
  contentType: z.string(),
  createdAt: IsoTime,
});
export type ArtifactDto = z.infer<typeof ArtifactDto>;

/** `GET /api/runs/:id/artifacts`: every artifact of the run, in the order attached. */
export const ArtifactListDto = z.object({ items: z.array(ArtifactDto) });
export type ArtifactListDto = z.infer<typeof ArtifactListDto>;

/** `artifact:added` payload: a run attached a file (already stored: it can be downloaded at once). */
export const ArtifactAddedEvent = z.object({ runId: z.string(), artifact: ArtifactDto });
export type ArtifactAddedEvent = z.infer<typeof ArtifactAddedEvent>;

/** The longest artifact name, in characters. */
export const MAX_ARTIFACT_NAME_CHARS = 255;

// C0 and C1 controls, DEL, and the line and paragraph separators: they garble a terminal, a header or a file system.
const CONTROL = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/;

/**
 * Why `name` cannot name an artifact, or null when it can. An artifact name
 * becomes a file name wherever it is downloaded (`jobflow artifacts
 * --download`, a browser), so it must not be able to leave that folder:
 * no `/` or `\`, not `.` or `..`, no control characters.
 */
export function artifactNameProblem(name: string): string | null {
  if (name.length === 0) return 'an artifact name cannot be empty';
  if (name.length > MAX_ARTIFACT_NAME_CHARS) return `an artifact name has at most ${MAX_ARTIFACT_NAME_CHARS} characters`;
  if (name.includes('/') || name.includes('\\')) return 'an artifact name cannot contain "/" or "\\"';
  if (name === '.' || name === '..') return 'an artifact name cannot be "." or ".."';
  if (CONTROL.test(name)) return 'an artifact name cannot contain control characters';
  if (name.trim() !== name) return 'an artifact name cannot start or end with a space';
  return null;
}

// The characters no artifact name may hold (see artifactNameProblem), as a regular expression class body.
const NOT_IN_NAME = '/\\\\\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029';

/**
 * artifactNameProblem as a JSON Schema `pattern` (JavaScript, `u` flag), for
 * params that name an artifact: a form checks the name as it is typed. The
 * length is checked apart (`maxLength`: MAX_ARTIFACT_NAME_CHARS).
 */
export const ARTIFACT_NAME_PATTERN = `^(?!\\.\\.?$)[^\\s${NOT_IN_NAME}](?:[^${NOT_IN_NAME}]*[^\\s${NOT_IN_NAME}])?$`;

/** Media types by file extension, for artifacts attached without one. */
const CONTENT_TYPES: Record<string, string> = {
  csv: 'text/csv',
  html: 'text/html',
  htm: 'text/html',
  json: 'application/json',
  ndjson: 'application/x-ndjson',
  txt: 'text/plain',
  log: 'text/plain',
  md: 'text/markdown',
  xml: 'application/xml',
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
};

/** `type/subtype`, optionally with parameters (`; charset=utf-8`), in printable ASCII. */
const CONTENT_TYPE =
  /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=("[\x20-\x21\x23-\x7E]*"|[A-Za-z0-9!#$&^_.+-]+))*$/;

/** The media type an artifact is stored with: the one given when it is well-formed, else one guessed from the name's extension. */
export function artifactContentType(name: string, given?: string): string {
  if (given !== undefined && given.length <= 255 && CONTENT_TYPE.test(given)) return given;
  const extension = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase();
  return (extension && CONTENT_TYPES[extension]) || 'application/octet-stream';
}

/**
 * One line of a run's export (`GET /api/runs/:id/export`, NDJSON): first the
 * run, then each log line in `seq` order, then the list of its artifacts.
 */
export const RunExportLine = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('run'), exportedAt: IsoTime, run: RunDto }).describe('The first line: the run as stored.'),
  z.object({ kind: z.literal('log'), line: LogLineDto }).describe('One log line; these follow in seq order.'),
  z
    .object({ kind: z.literal('artifacts'), items: z.array(ArtifactDto) })
    .describe('The last line: the run’s artifacts (download each from /api/runs/:id/artifacts/:name).'),
]);
export type RunExportLine = z.infer<typeof RunExportLine>;
