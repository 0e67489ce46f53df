import { COMMON_OPTIONS, GLOBAL_OPTIONS } from './args';
import type { Command, OptionSpecs } from './command';

/** The shells `jobflow completion` writes a script for. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** What a completion script knows about one command, or one command and subcommand. */
interface Place {
  /** `run`, or `tokens create`. */
  path: string;
  options: OptionSpecs;
  /** Words the first positional argument may be. */
  words: readonly string[];
}

const placesOf = (commands: readonly Command[]): Place[] =>
  commands.flatMap((command) => {
    const own: Place = {
      path: command.name,
      options: command.options,
      words: command.subcommands?.flatMap((s) => [s.name, ...(s.aliases ?? [])]) ?? command.words ?? [],
    };
    const subs = (command.subcommands ?? []).flatMap((s) =>
      [s.name, ...(s.aliases ?? [])].map((name): Place => ({ path: `${command.name} ${name}`, options: s.options, words: [] })),
    );
    return [own, ...subs];
  });

const allOptions = (options: OptionSpecs): OptionSpecs => ({ ...options, ...COMMON_OPTIONS });
const flagsOf = (options: OptionSpecs, pick: (name: string, spec: OptionSpecs[string]) => boolean = () => true) =>
  Object.entries(options).flatMap(([name, spec]) => (pick(name, spec) ? [`--${name}`, ...(spec.short ? [`-${spec.short}`] : [])] : []));

/** The completion script for `shell`. */
export function completionScript(shell: Shell, commands: readonly Command[]): string {
  switch (shell) {
    case 'bash':
      return bashScript(commands);
    case 'zsh':
      return zshScript(commands);
    case 'fish':
      return fishScript(commands);
  }
}

function bashScript(commands: readonly Command[]): string {
  const places = placesOf(commands);
  const global = flagsOf(GLOBAL_OPTIONS);
  const cases = places
    .map((p) => {
      const options = allOptions(p.options);
      return [
        `    ${JSON.stringify(p.path)})`,
        `      opts=${JSON.stringify([...flagsOf(options), ...global].join(' '))}`,
        `      valued=${JSON.stringify(flagsOf(options, (_, s) => s.type === 'string').join(' '))}`,
        `      files=${JSON.stringify(flagsOf(options, (_, s) => s.isFile === true).join(' '))}`,
        `      words=${JSON.stringify(p.words.join(' '))}`,
        `      ;;`,
      ].join('\n');
    })
    .join('\n');
  const nested = commands.filter((c) => c.subcommands?.length).map((c) => c.name);
  return `# bash completion for jobflow
# Load it in this shell:     source <(jobflow completion bash)
# or for every new shell:    jobflow completion bash > ~/.local/share/bash-completion/completions/jobflow

_jobflow_place() {
  opts="" valued="" files="" words=""
  case "$1" in
    "")
      opts=${JSON.stringify(['--help', '-h', '--version', '-V', ...global].join(' '))}
      words=${JSON.stringify([...commands.map((c) => c.name), 'help'].join(' '))}
      ;;
${cases}
  esac
}

_jobflow() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" place="" command="" word i skip=0
  local opts valued files words
  ((COMP_CWORD > 0)) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  COMPREPLY=()
  # Walk the words before the cursor: the command, then its subcommand, skipping option values.
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if ((skip)); then skip=0; continue; fi
    case "$word" in
      --) return 0 ;;
      -*)
        _jobflow_place "$place"
        [[ " $valued " == *" $word "* ]] && skip=1
        continue
        ;;
    esac
    if [[ -z $command ]]; then
      command="$word" place="$word"
    elif [[ $place == "$command" && " ${nested.join(' ')} " == *" $command "* ]]; then
      place="$command $word"
    fi
  done
  _jobflow_place "$place"
  if [[ " $valued " == *" $prev "* && -n $prev ]]; then
    if [[ " $files " == *" $prev "* ]]; then
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -f -- "$cur"))
    fi
    return 0
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  elif [[ $command == help ]]; then
    _jobflow_place ""
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
  fi
  return 0
}

complete -F _jobflow jobflow
`;
}

/** A description for zsh's _arguments and _describe: no brackets, colons escaped, single-quote safe. */
const zshText = (text: string) => text.replace(/[[\]]/g, '').replace(/:/g, '\\:').replace(/'/g, `'\\''`);

function zshOptionSpecs(options: OptionSpecs): string[] {
  return Object.entries(options).flatMap(([name, spec]) => {
    const repeat = spec.multiple ? '*' : '';
    const value = spec.type === 'string' ? `:${name}:${spec.isFile ? '_files' : ' '}` : '';
    const description = `[${zshText(spec.description)}]`;
    return [
      `'${repeat}--${name}${spec.type === 'string' ? '=' : ''}${description}${value}'`,
      ...(spec.short ? [`'${repeat}-${spec.short}${spec.type === 'string' ? '+' : ''}${description}${value}'`] : []),
    ];
  });
}

/** Arguments (job names, run ids) come from the server: offered as nothing rather than as file names. */
const NO_WORDS = "'*:argument: '";

function zshScript(commands: readonly Command[]): string {
  const continued = (specs: string[], spaces: number) => specs.join(` \\\n${' '.repeat(spaces)}`);
  const global = zshOptionSpecs(GLOBAL_OPTIONS);
  const describe = (name: string, items: ReadonlyArray<{ name: string; summary: string }>) =>
    [`local -a ${name}`, `${name}=(`, ...items.map((i) => `  '${zshText(i.name)}:${zshText(i.summary)}'`), ')'].join('\n');
  const commandCases = commands
    .map((command) => {
      if (command.subcommands?.length) {
        const subs = command.subcommands.flatMap((s) => [s, ...(s.aliases ?? []).map((alias) => ({ ...s, name: alias }))]);
        const subCases = subs
          .map((s) => `                ${s.name}) _arguments -s ${continued([...zshOptionSpecs(allOptions(s.options)), ...global, NO_WORDS], 20)} ;;`)
          .join('\n');
        return `        ${command.name})
          local -a subcommands
          subcommands=(${subs.map((s) => `'${s.name}:${zshText(s.summary)}'`).join(' ')})
          _arguments -C -s '1: :->subcommand' '*:: :->subargs' && return
          case $state in
            subcommand) _describe -t subcommands 'jobflow ${command.name} subcommand' subcommands ;;
            subargs)
              case $line[1] in
${subCases}
              esac
              ;;
          esac
          ;;`;
      }
      const words = command.words?.length ? `'1:${command.name}:(${command.words.join(' ')})'` : NO_WORDS;
      return `        ${command.name}) _arguments -s ${continued([...zshOptionSpecs(allOptions(command.options)), ...global, words], 12)} ;;`;
    })
    .join('\n');
  return `#compdef jobflow
# zsh completion for jobflow
# Load it in this shell:     source <(jobflow completion zsh)   (after compinit)
# or for every new shell:    jobflow completion zsh > "\${fpath[1]}/_jobflow"

_jobflow() {
  local curcontext="$curcontext" state line
  typeset -A opt_args
  ${describe('commands', commands).replace(/\n/g, '\n  ')}
  _arguments -C -s \\
    '(- *)'{-h,--help}'[show help]' \\
    '(- *)'{-V,--version}'[print the version]' \\
${global.map((g) => `    ${g} \\`).join('\n')}
    '1: :->command' \\
    '*:: :->args' && return
  case $state in
    command)
      _describe -t commands 'jobflow command' commands
      ;;
    args)
      case $line[1] in
${commandCases}
        help) _describe -t commands 'jobflow command' commands ;;
      esac
      ;;
  esac
}

if [[ $funcstack[1] == _jobflow ]]; then
  _jobflow "$@"
else
  compdef _jobflow jobflow
fi
`;
}

/** A single-quoted fish string. */
const fishQuote = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function fishScript(commands: readonly Command[]): string {
  const lines: string[] = [];
  const option = (condition: string | null, name: string, spec: OptionSpecs[string]) => {
    const parts = ['complete -c jobflow'];
    if (condition) parts.push(`-n ${fishQuote(condition)}`);
    if (spec.short) parts.push(`-s ${spec.short}`);
    parts.push(`-l ${name}`);
    if (spec.type === 'string') parts.push(spec.isFile ? '-r -F' : '-x');
    parts.push(`-d ${fishQuote(spec.description)}`);
    lines.push(parts.join(' '));
  };
  const names = commands.map((c) => c.name);
  lines.push('# fish completion for jobflow');
  lines.push('# Load it in this shell:     jobflow completion fish | source');
  lines.push('# or for every new shell:    jobflow completion fish > ~/.config/fish/completions/jobflow.fish');
  lines.push('complete -c jobflow -f');
  for (const [name, spec] of Object.entries(GLOBAL_OPTIONS)) option(null, name, spec);
  lines.push(`complete -c jobflow -n __fish_use_subcommand -s h -l help -d ${fishQuote('show help')}`);
  lines.push(`complete -c jobflow -n __fish_use_subcommand -s V -l version -d ${fishQuote('print the version')}`);
  for (const command of commands) {
    lines.push(`complete -c jobflow -n __fish_use_subcommand -a ${command.name} -d ${fishQuote(command.summary)}`);
  }
  lines.push(`complete -c jobflow -n ${fishQuote('__fish_seen_subcommand_from help')} -a ${fishQuote(names.join(' '))}`);
  for (const command of commands) {
    const inCommand = `__fish_seen_subcommand_from ${command.name}`;
    if (command.subcommands?.length) {
      const subNames = command.subcommands.flatMap((s) => [s.name, ...(s.aliases ?? [])]);
      for (const sub of command.subcommands) {
        lines.push(
          `complete -c jobflow -n ${fishQuote(`${inCommand}; and not __fish_seen_subcommand_from ${subNames.join(' ')}`)} -a ${sub.name} -d ${fishQuote(sub.summary)}`,
        );
        const inSub = `${inCommand}; and __fish_seen_subcommand_from ${[sub.name, ...(sub.aliases ?? [])].join(' ')}`;
        for (const [name, spec] of Object.entries(allOptions(sub.options))) option(inSub, name, spec);
      }
      continue;
    }
    for (const [name, spec] of Object.entries(allOptions(command.options))) option(inCommand, name, spec);
    if (command.words?.length) lines.push(`complete -c jobflow -n ${fishQuote(inCommand)} -a ${fishQuote(command.words.join(' '))}`);
  }
  return lines.join('\n') + '\n';
}
