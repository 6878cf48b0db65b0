// The one error the config loader throws. It carries every problem found, so that an admin fixes the
// file in one round instead of one error per restart.

export class ConfigError extends Error {
  readonly code = "DG_CONFIG_INVALID";
  /** Each `config.path: what is wrong`, or `line L, column C: ...` for YAML syntax. */
  readonly problems: readonly string[];

  constructor(file: string, problems: readonly string[], options?: { cause?: unknown }) {
    super(describe(file, problems), options);
    this.name = "ConfigError";
    this.problems = Object.freeze([...problems]);
  }
}

function describe(file: string, problems: readonly string[]): string {
  if (problems.length === 1) return `config ${file}: ${problems[0]}`;
  return `config ${file} has ${problems.length} problems:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`;
}
