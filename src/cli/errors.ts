/** An error for the user: what went wrong, and (hint) what to do about it. */
export class CliError extends Error {
  readonly code = "DG_CLI";
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}
