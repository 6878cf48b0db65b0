// One attack of `npm run abuse`, in its own process so that its sockets and CPU are not the measuring
// client's: `node --import tsx abuse-attacker.ts ATTACK PORT CA_FILE SECONDS`. It prints one JSON line,
// what it saw, when the time is up.
import { readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import {
  describeRawAnswer,
  type Endpoint,
  handshakeWithVersion,
  keepAliveClient,
  openIdleConnections,
  plainHttpRequest,
  slowHeaders,
} from "../support/abuse-clients.js";

export const ATTACKS = ["slowloris", "idle", "big-body", "content-type", "plain-http", "tls1.1"] as const;
export type Attack = (typeof ATTACKS)[number];

/** Full-scale figures, printed beside the results by abuse.ts. */
export const SCALE: Readonly<Record<Attack, string>> = {
  slowloris: "500 sockets, 1 header byte/s each, reopened when cut",
  idle: "5,000 TLS connections, handshake then silence",
  "big-body": "9 MiB POSTs, 2 at a time, back to back",
  "content-type": "200 POSTs/s: text/plain, form, multipart, none",
  "plain-http": "50 clear-text POSTs/s",
  "tls1.1": "50 TLS 1.1 handshakes/s",
};

export interface AttackReport {
  attack: Attack;
  /** What the attacker got, counted: `408 + close: 612`, `refused: 4001`. */
  saw: Record<string, number>;
  notes: string[];
}

type Counts = Record<string, number>;
const count = (counts: Counts, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

async function slowloris(endpoint: Endpoint, untilMs: number): Promise<AttackReport> {
  const saw: Counts = {};
  const lived: number[] = [];
  const lane = async () => {
    while (Date.now() < untilMs) {
      const result = await slowHeaders(endpoint, 1000, Math.max(1, untilMs - Date.now()));
      if (!result.closed) {
        count(saw, "still open at the end");
        continue;
      }
      lived.push(result.livedMs);
      count(saw, `cut: ${result.statusLine ?? "no answer"}`);
    }
  };
  await Promise.all(Array.from({ length: 500 }, lane));
  lived.sort((a, b) => a - b);
  const notes = lived.length
    ? [`cut sockets lived ${(lived[0] as number) / 1000}–${(lived[lived.length - 1] as number) / 1000} s`]
    : [];
  return { attack: "slowloris", saw, notes };
}

async function idle(endpoint: Endpoint, untilMs: number): Promise<AttackReport> {
  const connections = await openIdleConnections(endpoint, 5000, 100);
  const openedAt = Date.now();
  await sleepUntil(untilMs);
  const report: AttackReport = {
    attack: "idle",
    saw: {
      "handshake done": connections.opened,
      "refused or reset": connections.failed,
      "then closed by the server": connections.closedByServer(),
    },
    notes: [`held ${((untilMs - openedAt) / 1000).toFixed(0)} s after the last one opened`],
  };
  connections.close();
  return report;
}

async function bigBody(endpoint: Endpoint, untilMs: number): Promise<AttackReport> {
  const saw: Counts = {};
  const body = JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: { uid: "big", pad: "x".repeat(9 * 1024 * 1024) },
  });
  const lane = async () => {
    while (Date.now() < untilMs) {
      try {
        const answer = await postOnce(endpoint, body, "application/json");
        count(saw, `${answer.status} ${answer.error} (connection: ${answer.connection})`);
      } catch (error) {
        count(saw, `error ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
    }
  };
  await Promise.all([lane(), lane()]);
  return { attack: "big-body", saw, notes: [] };
}

const WRONG_TYPES = [
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  undefined,
];

async function contentTypes(endpoint: Endpoint, untilMs: number): Promise<AttackReport> {
  const saw: Counts = {};
  const client = keepAliveClient(endpoint, 4);
  const body = JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" });
  await atRate(200, untilMs, async (i) => {
    const type = WRONG_TYPES[i % WRONG_TYPES.length];
    try {
      const answer = await postOnce(endpoint, body, type, client);
      count(saw, `${type?.split(";")[0] ?? "none"}: ${answer.status}`);
    } catch (error) {
      count(saw, `error ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  });
  client.close();
  return { attack: "content-type", saw, notes: ["over 4 kept-alive connections"] };
}

async function plainHttp(endpoint: Endpoint, untilMs: number): Promise<AttackReport> {
  const saw: Counts = {};
  const body = JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" });
  await atRate(50, untilMs, async () => {
    const exchange = await plainHttpRequest(endpoint, body, 5000);
    count(saw, `${describeRawAnswer(exchange.received)}, ${exchange.closed ? "closed" : "left open"}`);
  });
  return { attack: "plain-http", saw, notes: [] };
}

async function oldTls(endpoint: Endpoint, untilMs: number): Promise<AttackReport> {
  const saw: Counts = {};
  await atRate(50, untilMs, async () => {
    const result = await handshakeWithVersion(endpoint, "TLSv1.1");
    count(saw, result.accepted ? `accepted ${result.protocol}` : `refused ${result.code}`);
  });
  return { attack: "tls1.1", saw, notes: [] };
}

interface PostAnswer {
  status: number;
  error: string;
  connection: string;
}

/** One POST; on `client`'s kept-alive connections when given, else a new connection. */
function postOnce(
  endpoint: Endpoint,
  body: string,
  type: string | undefined,
  client?: ReturnType<typeof keepAliveClient>,
): Promise<PostAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: endpoint.host,
        port: endpoint.port,
        path: "/validate",
        method: "POST",
        ca: endpoint.ca,
        agent: client?.agent ?? false,
        timeout: 30_000,
        headers: type === undefined ? {} : { "content-type": type },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let error = "";
          try {
            error = String((JSON.parse(text) as { error?: unknown }).error ?? "");
          } catch {
            error = "(not JSON)";
          }
          const connection = String(res.headers.connection ?? "keep-alive");
          resolve({ status: res.statusCode ?? 0, error: shorten(error), connection });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error("no answer in 30 s")));
    req.on("error", reject);
    req.end(body);
  });
}

/** Figures the same at any size: `body is larger than the limit of 8388608 bytes`. */
function shorten(error: string): string {
  return error.length > 70 ? `${error.slice(0, 67)}...` : error;
}

/** Starts `work(i)` `perSecond` times a second until `untilMs`, without waiting for one to finish. */
async function atRate(perSecond: number, untilMs: number, work: (i: number) => Promise<void>): Promise<void> {
  const pending = new Set<Promise<void>>();
  const started = Date.now();
  for (let i = 0; Date.now() < untilMs; i++) {
    const job = work(i).finally(() => pending.delete(job));
    pending.add(job);
    await sleepUntil(started + ((i + 1) * 1000) / perSecond);
  }
  await Promise.all(pending);
}

function sleepUntil(when: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, when - Date.now())));
}

const RUNNERS: Record<Attack, (endpoint: Endpoint, untilMs: number) => Promise<AttackReport>> = {
  slowloris,
  idle,
  "big-body": bigBody,
  "content-type": contentTypes,
  "plain-http": plainHttp,
  "tls1.1": oldTls,
};

async function main(): Promise<void> {
  const [attack, port, caFile, seconds] = process.argv.slice(2);
  if (!ATTACKS.includes(attack as Attack)) throw new Error(`unknown attack "${attack}"`);
  const endpoint = { host: "127.0.0.1", port: Number(port), ca: readFileSync(caFile as string) };
  const untilMs = Date.now() + Number(seconds) * 1000;
  const report = await RUNNERS[attack as Attack](endpoint, untilMs);
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

// Imported by abuse.ts for ATTACKS and SCALE; runs only as the attacker process.
if (process.argv[1] && resolvePath(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`attacker: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
