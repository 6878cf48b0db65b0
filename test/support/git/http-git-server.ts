// A Git smart-HTTP server on loopback for integration tests: Node's http server runs
// `git http-backend` as a CGI program. Optional basic auth exercises the HTTPS credential files
// (git sends credentials over plain http to 127.0.0.1). The server can go away (connections
// refused), hang (accept and never answer) and come back on the same port.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { testGitEnv } from "./git-cli.js";

export interface GitHttpServerOptions {
  /** Folder whose subfolders are the served repositories (GIT_PROJECT_ROOT). */
  root: string;
  home: string;
  auth?: { username: string; password: string };
  /** Address to listen on; default 127.0.0.1 (test/kubelet serves pods on a node's address). */
  host?: string;
}

export interface GitHttpServer {
  /** URL of a repository under root, e.g. url("remote") → http://127.0.0.1:PORT/remote */
  url(repo: string): string;
  /** Authorized ref advertisements served (one per fetch). */
  readonly fetches: number;
  /** Closes the listening socket and every connection: clients get "connection refused". */
  goAway(): Promise<void>;
  comeBack(): Promise<void>;
  /** While true, requests are accepted and never answered. */
  hang(on: boolean): void;
  stop(): Promise<void>;
}

export async function startGitHttpServer(options: GitHttpServerOptions): Promise<GitHttpServer> {
  const host = options.host ?? "127.0.0.1";
  const sockets = new Set<Socket>();
  const children = new Set<ChildProcess>();
  let fetches = 0;
  let hanging = false;
  const server = createServer((request, response) => {
    if (hanging) return;
    if (!authorized(request, options.auth)) {
      response.writeHead(401, { "WWW-Authenticate": 'Basic realm="git"' }).end();
      return;
    }
    // Counted after auth: git first asks without credentials, gets 401, then asks again.
    if (request.url?.includes("/info/refs")) fetches += 1;
    const child = runBackend(request, response, options);
    children.add(child);
    child.on("close", () => children.delete(child));
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      for (const child of children) child.kill("SIGKILL");
      for (const socket of sockets) socket.destroy();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });
  await listen(0);
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  const port = address.port;
  return {
    url: (repo) => `http://${host}:${port}/${repo}`,
    get fetches() {
      return fetches;
    },
    goAway: close,
    comeBack: () => listen(port),
    hang(on) {
      hanging = on;
    },
    stop: close,
  };
}

function authorized(request: IncomingMessage, auth: GitHttpServerOptions["auth"]): boolean {
  if (auth === undefined) return true;
  const expected = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
  return request.headers.authorization === expected;
}

function runBackend(
  request: IncomingMessage,
  response: ServerResponse,
  options: GitHttpServerOptions,
): ChildProcess {
  const url = new URL(request.url ?? "/", "http://127.0.0.1");
  const header = (name: string) => request.headers[name]?.toString() ?? "";
  const child = spawn("git", ["http-backend"], {
    env: {
      ...testGitEnv(options.home),
      GIT_PROJECT_ROOT: options.root,
      GIT_HTTP_EXPORT_ALL: "1",
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ""),
      REQUEST_METHOD: request.method ?? "GET",
      CONTENT_TYPE: header("content-type"),
      ...(request.headers["content-length"] === undefined
        ? {}
        : { CONTENT_LENGTH: header("content-length") }),
      HTTP_CONTENT_ENCODING: header("content-encoding"),
      GIT_PROTOCOL: header("git-protocol"),
      REMOTE_USER: options.auth?.username ?? "",
      REMOTE_ADDR: request.socket.remoteAddress ?? "",
    },
  });
  request.pipe(child.stdin);
  child.stdin.on("error", () => undefined);
  pipeCgiResponse(child, response);
  return child;
}

/** CGI output: header lines, a blank line, then the body. */
function pipeCgiResponse(child: ChildProcess, response: ServerResponse): void {
  let head = Buffer.alloc(0);
  let started = false;
  child.stdout?.on("data", (chunk: Buffer) => {
    if (started) return void response.write(chunk);
    head = Buffer.concat([head, chunk]);
    const text = head.toString("latin1");
    const end = text.search(/\r?\n\r?\n/);
    if (end < 0) return;
    const separator = text.slice(end).match(/^\r?\n\r?\n/)?.[0] ?? "\n\n";
    started = true;
    writeCgiHead(response, text.slice(0, end));
    response.write(head.subarray(end + separator.length));
  });
  child.on("close", () => {
    if (!started && !response.headersSent) response.writeHead(502);
    response.end();
  });
}

function writeCgiHead(response: ServerResponse, head: string): void {
  let status = 200;
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
    else response.setHeader(name, value);
  }
  response.statusCode = status;
}
