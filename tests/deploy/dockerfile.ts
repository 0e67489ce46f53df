import { readFileSync } from 'node:fs';
import { DockerfileParser, type Instruction, type JSONInstruction, type ModifiableInstruction } from 'dockerfile-ast';
import { repoPath } from './tools';

/** One instruction of a Dockerfile, as Docker reads it. */
export interface DockerInstruction {
  keyword: string;
  /** The arguments without the flags, continuation lines joined. */
  args: string;
  /** `--name=value` flags (`--from`, `--mount`, `--interval`...). */
  flags: Record<string, string | null>;
  /** The exec (JSON) form, when the instruction is written that way. */
  exec: string[] | null;
}

export interface DockerStage {
  name: string | null;
  /** The base image or stage, with ARG defaults substituted. */
  base: string;
  instructions: DockerInstruction[];
}

const hasFlags = (i: Instruction): i is ModifiableInstruction => typeof (i as ModifiableInstruction).getFlags === 'function';
const isJson = (i: Instruction): i is JSONInstruction => typeof (i as JSONInstruction).getJSONStrings === 'function';

/** Parses the repository's Dockerfile into its build stages. */
export function readDockerfile(path = repoPath('Dockerfile')): DockerStage[] {
  const dockerfile = DockerfileParser.parse(readFileSync(path, 'utf8'));
  const globalArgs = new Map<string, string>();
  for (const arg of dockerfile.getInitialARGs()) {
    const [name, value = ''] = (arg.getArgumentsContent() ?? '').split('=', 2);
    globalArgs.set(name!.trim(), value.trim());
  }
  const substitute = (text: string) => text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => globalArgs.get(a ?? b) ?? '');
  const stages: DockerStage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword().toUpperCase();
    const args = (instruction.getArgumentsContent() ?? '').replace(/\s+/g, ' ').trim();
    if (keyword === 'FROM') {
      const [image = '', as, name] = args.split(' ');
      stages.push({ name: as?.toUpperCase() === 'AS' ? (name ?? null) : null, base: substitute(image), instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) continue;
    const flags = Object.fromEntries(hasFlags(instruction) ? instruction.getFlags().map((f) => [f.getName(), f.getValue()]) : []);
    const json = isJson(instruction) ? instruction.getJSONStrings().map((s) => s.getJSONValue()) : [];
    stage.instructions.push({ keyword, args, flags, exec: json.length ? json : null });
  }
  return stages;
}

/** The stage called `name`; throws when the Dockerfile has none. */
export function stage(stages: DockerStage[], name: string): DockerStage {
  const found = stages.find((s) => s.name === name);
  if (!found) throw new Error(`the Dockerfile has no stage "${name}" (stages: ${stages.map((s) => s.name).join(', ')})`);
  return found;
}

/** The instructions of `stage` with this keyword. */
export const instructions = (s: DockerStage, keyword: string) => s.instructions.filter((i) => i.keyword === keyword);
