// Reading a command's input: a file, or `-` / nothing for standard input.
import { readFile, stat } from "node:fs/promises";
import { text } from "node:stream/consumers";
import { DriftguardError, describeFileError } from "../errors.js";
import { CliError } from "./errors.js";

const MAX_INPUT_BYTES = 64 * 1024 * 1024;

/** How messages name the input: the file as given, or standard input. */
export function inputName(file: string | undefined): string {
  return file === undefined || file === "-" ? "standard input" : file;
}

export async function readInput(file: string | undefined): Promise<string> {
  if (file === undefined || file === "-") {
    if (process.stdin.isTTY)
      throw new CliError("no input: standard input is a terminal", "give a file, or pipe the input in (`-`)");
    return text(process.stdin);
  }
  try {
    // Checked before reading: a wrong file (a disk image, say) must not be read whole into memory.
    if ((await stat(file)).size > MAX_INPUT_BYTES) {
      throw new DriftguardError("DG_INPUT_UNREADABLE", "the input is larger than 64 MiB", {
        where: file,
        hint: "split it into smaller files",
      });
    }
    return await readFile(file, "utf8");
  } catch (error) {
    if (error instanceof DriftguardError) throw error;
    throw new DriftguardError("DG_INPUT_UNREADABLE", `cannot read the input: ${describeFileError(error)}`, {
      where: file,
      hint: "check the file name, or give `-` to read standard input",
      cause: error,
    });
  }
}

export function requireConfig(config: string | undefined): string {
  if (config === undefined)
    throw new CliError(
      "--config FILE is required",
      "give the config file; `driftguard serve` without --config writes a demo one to .driftguard/demo/driftguard.yaml",
    );
  return config;
}
