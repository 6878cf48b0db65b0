// Everything the benchmark starts (child processes, temp folders) registers an undo action here, so that
// a normal end, an error, Ctrl-C or SIGTERM all leave the machine as it was. Actions are synchronous on
// purpose: Node's 'exit' event cannot wait for promises, and a leaked server would skew the next run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

type Action = () => void;

const actions: Action[] = [];
let installed = false;

/** Registers an undo action; the returned function runs it now (once) and forgets it. */
export function onCleanup(action: Action): () => void {
  let done = false;
  const once: Action = () => {
    if (done) return;
    done = true;
    action();
  };
  actions.push(once);
  return () => {
    const index = actions.indexOf(once);
    if (index >= 0) actions.splice(index, 1);
    once();
  };
}

/** Runs every registered action, newest first (children before the folders they use). */
export function runCleanup(): void {
  while (actions.length > 0) {
    const action = actions.pop();
    try {
      action?.();
    } catch {
      // Cleanup must go on: one failing undo must not leak the others.
    }
  }
}

export function installCleanupHandlers(): void {
  if (installed) return;
  installed = true;
  process.once("exit", runCleanup);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, cleaning up\n`);
      runCleanup();
      process.exit(130);
    });
  }
}

/** A fresh temp folder, removed at cleanup. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `driftguard-bench-${prefix}-`));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
