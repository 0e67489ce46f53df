import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { artifactNameProblem } from '@jobflow/shared';
import { parseCommandArgs } from '../args';
import type { Command, OptionSpecs } from '../command';
import { EXIT } from '../exit-codes';
import { note, printJson } from '../output';

const OPTIONS = {
  download: { type: 'string', description: 'save every artifact into DIR (created if missing)' },
} as const satisfies OptionSpecs;

const sizeText = (bytes: number) =>
  bytes < 1024 ? `${bytes} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

export const artifactsCommand: Command = {
  name: 'artifacts',
  summary: "List a run's artifacts; with --download, save them",
  options: OPTIONS,
  usage: `Usage: jobflow artifacts <run> [--download DIR] [--json]

Lists the files run <run> attached: name, size, type and when.

Options:
  --download DIR  save every artifact into DIR under its name (DIR is created if
                  missing; a file of the same name is replaced), streamed to disk
  --json          one Artifact per line: {"name":"...","size":1,"contentType":"...","createdAt":"..."}
  -h, --help      show this help
`,
  async run(ctx, argv) {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, { min: 1, max: 1, names: 'the run id' });
    const runId = positionals[0]!;
    const client = await ctx.client();
    const artifacts = await client.artifacts.list(runId);
    for (const artifact of artifacts) {
      if (values.json) printJson(ctx.o, artifact);
      else ctx.o.out.write(`${artifact.name}\t${sizeText(artifact.size)}\t${artifact.contentType}\t${artifact.createdAt}\n`);
    }
    if (values.download === undefined) return EXIT.ok;
    const dir = path.resolve(values.download);
    await mkdir(dir, { recursive: true });
    for (const artifact of artifacts) {
      // The server refuses such names; a file is still never written outside DIR.
      const problem = artifactNameProblem(artifact.name);
      const target = path.join(dir, artifact.name);
      if (problem || path.dirname(target) !== dir) throw new Error(`refusing to save "${artifact.name}": ${problem ?? 'it would leave the folder'}`);
      const partial = `${target}.part`;
      const download = await client.artifacts.download(runId, artifact.name);
      try {
        await pipeline(Readable.fromWeb(download.body as Parameters<typeof Readable.fromWeb>[0]), createWriteStream(partial));
        await rename(partial, target);
      } catch (e) {
        await rm(partial, { force: true });
        throw e;
      }
      if (!values.json) note(ctx.o, `saved ${target}`);
    }
    return EXIT.ok;
  },
};
