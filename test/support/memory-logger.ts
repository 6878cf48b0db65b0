// A pino logger that keeps what it writes, so a test can read back what reached the log, and check that
// something (a secret, a request body) never did.
import { type Logger, pino } from "pino";

export interface LogLine {
  level: number;
  msg?: string;
  [key: string]: unknown;
}

export interface MemoryLogger {
  logger: Logger;
  /** Every line written so far, parsed; read afresh on each access, so it sees later lines too. */
  readonly lines: LogLine[];
  /** Every line as written (raw JSON text), to check that something never appears in the log. */
  text(): string;
}

export function memoryLogger(): MemoryLogger {
  const raw: string[] = [];
  // debug, not the default info: tests check debug lines too, and what must never reach any level.
  const logger = pino({ level: "debug" }, { write: (line: string) => void raw.push(line) });
  return {
    logger,
    get lines() {
      return raw.map((line) => JSON.parse(line) as LogLine);
    },
    text: () => raw.join(""),
  };
}
