import { UsageError, parseCommandArgs } from '../args';
import type { Command } from '../command';
import { SHELLS, completionScript, type Shell } from '../completions';
import { EXIT } from '../exit-codes';
import { didYouMean } from '../suggest';

/** `jobflow completion`, for the commands `commands()` returns (itself among them). */
export function completionCommand(commands: () => readonly Command[]): Command {
  return {
    name: 'completion',
    summary: 'Print the shell completion script for bash, zsh or fish',
    options: {},
    words: SHELLS,
    usage: `Usage: jobflow completion bash|zsh|fish

Prints a script that completes jobflow's commands, subcommands and options
(and file names where an option takes a file) in your shell.

bash:  source <(jobflow completion bash)                  in ~/.bashrc, or once for all shells:
       jobflow completion bash > ~/.local/share/bash-completion/completions/jobflow
zsh:   source <(jobflow completion zsh)                   in ~/.zshrc, after compinit; or
       jobflow completion zsh > "\${fpath[1]}/_jobflow"    then start a new shell
fish:  jobflow completion fish > ~/.config/fish/completions/jobflow.fish

Options:
  -h, --help   show this help
`,
    async run(ctx, argv) {
      const { positionals } = parseCommandArgs(argv, {}, { min: 1, max: 1, names: 'the shell: bash, zsh or fish' });
      const shell = positionals[0]!;
      if (!(SHELLS as readonly string[]).includes(shell)) {
        throw new UsageError(`No completion for "${shell}": use bash, zsh or fish.${didYouMean(shell, SHELLS)}`);
      }
      ctx.o.out.write(completionScript(shell as Shell, commands()));
      return EXIT.ok;
    },
  };
}
