import { DriftguardError, type DriftguardErrorOptions, type ErrorCode } from "../errors.js";

/** The command line is wrong (DG_CLI_USAGE): what, and (hint) what to do about it. */
export class CliError extends DriftguardError {
  constructor(message: string, hint?: string, options: DriftguardErrorOptions & { code?: ErrorCode } = {}) {
    super(options.code ?? "DG_CLI_USAGE", message, { ...options, hint });
    this.name = "CliError";
  }
}
