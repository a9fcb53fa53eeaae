/**
 * `krakectl completion bash|zsh`: a completion script generated from the
 * command tree itself (subcommands, their aliases and options), so it never
 * falls behind. zsh runs the bash function through bashcompinit.
 */
import { Argument, Command } from "commander";
import { action } from "../context.js";

interface Node {
  /** Space-separated path of command names from the root, e.g. "krakectl kube app". */
  path: string;
  commands: string[];
  options: string[];
}

/** Every command path (aliases included) with the words that may follow it. */
export function completionTable(root: Command): Node[] {
  const out: Node[] = [];
  const visit = (cmd: Command, path: string) => {
    const commands = cmd.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden);
    out.push({
      path,
      commands: commands.flatMap((c) => [c.name(), ...c.aliases()]),
      options: [...cmd.options, ...(cmd.parent ? root.options : [])].flatMap((o) => [o.long, o.short]).filter((f): f is string => !!f),
    });
    for (const c of commands) for (const name of [c.name(), ...c.aliases()]) visit(c, `${path} ${name}`);
  };
  visit(root, root.name());
  return out;
}

export function bashScript(root: Command): string {
  const name = root.name();
  const fn = `_${name.replace(/\W/g, "_")}_completions`;
  const entries = (pick: (n: Node) => string[]) =>
    completionTable(root)
      .map((n) => `    [${JSON.stringify(n.path)}]=${JSON.stringify([...pick(n), "--help"].join(" "))}`)
      .join("\n");
  return `# bash completion for ${name}; load with: source <(${name} completion bash)
${fn}() {
  local -A commands=(
${completionTable(root).map((n) => `    [${JSON.stringify(n.path)}]=${JSON.stringify(n.commands.join(" "))}`).join("\n")}
  )
  local -A options=(
${entries((n) => n.options)}
  )
  local path="${name}" word i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if [[ -n "\${commands["$path $word"]+set}" ]]; then path="$path $word"; fi
  done
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "\${options[$path]}" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "\${commands[$path]}" -- "$cur"))
  fi
}
complete -o default -F ${fn} ${name}
`;
}

export function zshScript(root: Command): string {
  return `#compdef ${root.name()}
# zsh completion for ${root.name()}; load with: source <(${root.name()} completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashScript(root)}`;
}

export function completionCommand(root: Command): Command {
  return new Command("completion")
    .description("print a shell completion script (bash or zsh)")
    .addArgument(new Argument("<shell>", "the shell").choices(["bash", "zsh"]))
    .addHelpText("after", `\nExamples:\n  source <(krakectl completion bash)     # in ~/.bashrc\n  source <(krakectl completion zsh)      # in ~/.zshrc`)
    .action(
      action<Record<string, never>>(async (ctx, _opts, [shell]) => {
        ctx.stdout.write(shell === "zsh" ? zshScript(root) : bashScript(root));
      }),
    );
}
