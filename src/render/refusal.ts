// Why an app is refused before any tool runs. The analysis throws a Refusal from deep inside a walk
// and inputs.ts turns it into the `{ ok: false }` answer, so that no caller ever sees it thrown.

export class Refusal extends Error {
  override readonly name = "Refusal";
  /** The repository file that holds the offending entry (a kustomization, Chart.yaml, a link). */
  readonly file: string | undefined;

  constructor(message: string, file?: string) {
    super(message);
    this.file = file;
  }
}

/** `<file>: <what>`, the one shape of every refusal's message. */
export function refuse(file: string, what: string): Refusal {
  return new Refusal(`${file}: ${what}`, file);
}
