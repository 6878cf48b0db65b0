// The one error the config loader throws. It carries every problem found, so that an admin fixes the
// file in one round instead of one error per restart.
import { DriftguardError } from "../errors.js";

const FIX_READ = "check the path given to --config (relative paths start at the working folder)";
const FIX_CONTENT = "fix the file and run again; README.md lists every config key";

export class ConfigError extends DriftguardError {
  /** Each `config.path: what is wrong`, or `line L, column C: ...` for YAML syntax. */
  readonly problems: readonly string[];

  constructor(
    file: string,
    problems: readonly string[],
    options?: { cause?: unknown; unreadable?: boolean },
  ) {
    super("DG_CONFIG_INVALID", describe(file, problems), {
      cause: options?.cause,
      hint: options?.unreadable ? FIX_READ : FIX_CONTENT,
    });
    this.name = "ConfigError";
    this.problems = Object.freeze([...problems]);
  }
}

function describe(file: string, problems: readonly string[]): string {
  if (problems.length === 1) return `config ${file}: ${problems[0]}`;
  return `config ${file} has ${problems.length} problems:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`;
}
