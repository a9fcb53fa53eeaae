import type { CliContext } from "./context.js";
import { CliError } from "./errors.js";

/**
 * The password when not given as a flag, as Krake's getpass: prompted for on
 * a terminal (without echo), else the first line of stdin.
 */
export async function readPassword(ctx: CliContext, prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) {
    ctx.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.setEncoding("utf8");
    try {
      return await new Promise<string>((resolve, reject) => {
        let value = "";
        const onData = (chunk: string) => {
          for (const c of chunk) {
            if (c === "\r" || c === "\n" || c === "\u0004") {
              stdin.off("data", onData);
              ctx.stderr.write("\n");
              resolve(value);
              return;
            }
            if (c === "\u0003") {
              stdin.off("data", onData);
              reject(CliError.usage("interrupted"));
              return;
            }
            value = c === "\u007f" || c === "\b" ? value.slice(0, -1) : value + c;
          }
        };
        stdin.on("data", onData).resume();
      });
    } finally {
      stdin.setRawMode(false);
      stdin.pause();
    }
  }
  let text = "";
  for await (const chunk of stdin) {
    text += String(chunk);
    if (text.includes("\n")) break;
  }
  return text.split(/\r?\n/)[0] ?? "";
}
