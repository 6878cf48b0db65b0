import pino from "pino";

/** JSON logs on stderr (stdout is kept for command output). */
export function createLogger(level: string): pino.Logger {
  return pino(
    { level, base: { app: "driftguard" }, redact: ["req.headers.authorization"] },
    pino.destination(2),
  );
}
