// A pino logger whose output the test can read back, to check what reaches the logs.
import { type Logger, pino } from "pino";

export interface CapturedLogger {
  logger: Logger;
  /** Every line written so far, raw JSON text. */
  text(): string;
  entries(): Array<Record<string, unknown>>;
}

export function captureLogger(): CapturedLogger {
  const lines: string[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(line) });
  return {
    logger,
    text: () => lines.join(""),
    entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
