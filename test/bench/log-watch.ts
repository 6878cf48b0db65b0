// Follows driftguard's JSON log (pino, one object a line, in the file its stderr goes to) from the bench
// process, so that waiting for "source updated" costs driftguard nothing: polling /readyz would make it
// serialize every app's status many times a second while it renders. Each line's own `time` (the
// child's clock, epoch ms, the same clock as this process's Date.now()) dates the event, so the figures
// do not carry the poll interval.
import { closeSync, openSync, readSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";

export type LogLine = Record<string, unknown> & { msg?: string; time?: number };

const POLL_MS = 20;

export class LogWatch {
  readonly lines: LogLine[] = [];
  private offset = 0;
  private partial = "";
  // A read may end inside a multi-byte character: the decoder keeps its first bytes for the next one.
  private readonly decoder = new StringDecoder("utf8");

  constructor(private readonly file: string) {}

  /** The first line from `from` (an index into `lines`) on that `matches`; throws after `timeoutMs`. */
  async waitFor(matches: (line: LogLine) => boolean, from: number, timeoutMs: number): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.readNew();
      const found = this.lines.slice(from).find(matches);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no matching log line within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** Reads what was appended since the last call. */
  readNew(): void {
    const fd = openSync(this.file, "r");
    try {
      const buffer = Buffer.alloc(1 << 16);
      for (;;) {
        const read = readSync(fd, buffer, 0, buffer.length, this.offset);
        if (read === 0) break;
        this.offset += read;
        this.partial += this.decoder.write(buffer.subarray(0, read));
      }
    } finally {
      closeSync(fd);
    }
    const complete = this.partial.split("\n");
    this.partial = complete.pop() ?? "";
    for (const text of complete) {
      if (text.trim() === "") continue;
      try {
        this.lines.push(JSON.parse(text) as LogLine);
      } catch {
        this.lines.push({ msg: text }); // not JSON: kept, never matched by a field
      }
    }
  }
}
