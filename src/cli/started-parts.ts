// What `serve` has started, so that it can stop it again: on shutdown, and when a later startup step
// fails (a port in use, an unreadable key). Without this, a failed start left watches and Git sources
// running and the process hanging after it had reported the error.

import { DriftguardError, describeError } from "../errors.js";

/** A startup step that failed, named: `cannot start the HTTPS server on …: …`. */
export class StartupError extends DriftguardError {
  constructor(step: string, cause: unknown) {
    super("DG_STARTUP_FAILED", `cannot start ${step}: ${describeError(cause)}`, {
      cause,
      hint: "fix what the message names and start driftguard again; nothing it had started is left running",
    });
  }
}

type Stop = () => Promise<void> | void;

export class StartedParts {
  private readonly parts: Array<{ name: string; stop: Stop }> = [];

  /** `onStopError` hears of a part that failed to stop; the others are stopped all the same. */
  constructor(private readonly onStopError: (part: string, error: unknown) => void) {}

  add(name: string, stop: Stop): void {
    this.parts.push({ name, stop });
  }

  /**
   * Stops every part added, last first (the server before the sources it reads, the sources before the
   * certificates it serves), one at a time. Each part is stopped once, however often this is called.
   */
  async stopAll(): Promise<void> {
    for (let part = this.parts.pop(); part; part = this.parts.pop()) {
      try {
        await part.stop();
      } catch (error) {
        this.onStopError(part.name, error);
      }
    }
  }

  /** Runs `start`; when it fails, stops what it had added, then rethrows its error. */
  async startOrUndo<T>(start: () => Promise<T>): Promise<T> {
    try {
      return await start();
    } catch (error) {
      await this.stopAll();
      throw error;
    }
  }
}
