// Reading a command's input: a file, or `-` / nothing for standard input.
import { readFile } from "node:fs/promises";
import { text } from "node:stream/consumers";
import { CliError } from "./errors.js";

const MAX_INPUT_BYTES = 64 * 1024 * 1024;

export async function readInput(file: string | undefined): Promise<string> {
  if (file === undefined || file === "-") {
    if (process.stdin.isTTY)
      throw new CliError("no input", "give a file, or pipe it on standard input (`-`)");
    return text(process.stdin);
  }
  try {
    const content = await readFile(file, "utf8");
    if (content.length > MAX_INPUT_BYTES) throw new CliError(`${file}: larger than 64 MiB`);
    return content;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

export function requireConfig(config: string | undefined): string {
  if (config === undefined)
    throw new CliError("--config FILE is required", "see `driftguard serve --help` for a demo config");
  return config;
}
