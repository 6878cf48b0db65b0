// Argument parsing shared by the commands (node:util parseArgs, strict: unknown flags are errors).
import { type ParseArgsConfig, parseArgs } from "node:util";
import { describeError } from "../errors.js";
import { CliError } from "./errors.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parsed arguments, or undefined after printing the help text for --help. */
export function parse<T extends Options>(args: string[], options: T, help: string) {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(`${help}\n`);
    return undefined;
  }
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    // node:util's own wording names the flag: `Unknown option '--bogus'`, `Option '--config <value>'
    // argument missing`.
    throw new CliError(describeError(error), "add --help to see the options", { cause: error });
  }
}
