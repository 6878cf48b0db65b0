// The web view's page script (compiled by tsconfig.page.json, served as /app.js). It reads the view's
// JSON (api/v1alpha1/…) and draws three tables. Every value goes into the DOM as text, never as markup:
// a Deployment name or an error message cannot become a script. A token, when the view asks for one,
// is kept in this tab's sessionStorage only and sent as a bearer token; "Sign out" forgets it.

const TOKEN_KEY = "driftguard.token";
const REFRESH_MS = 15_000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface ApiError {
  status: number;
  error: string;
  hint?: string | undefined;
}

interface Session {
  /** Absent when a token is required and none was sent. */
  user?: string;
  tokenRequired: boolean;
}

interface SourceView {
  name: string;
  url: string;
  state: string;
  commit?: string;
  lastSuccessAt?: string;
  error?: string;
  restored: boolean;
  fileErrors: { file: string; line?: number; message: string }[];
  apps: { path: string; type: string; error?: string }[];
}

interface FieldReport {
  path: string;
  change: string;
  git?: Json;
  live?: Json;
  masked: boolean;
  mark: boolean;
}

interface ObjectReport {
  namespace: string;
  name: string;
  mode: string;
  state: string;
  since?: string;
  reason?: string;
  git?: { description: string };
  fields: FieldReport[];
}

interface DriftReport {
  generatedAt: string;
  summary: Record<string, number>;
  objects: ObjectReport[];
  errors: { namespace?: string; message: string }[];
}

interface DecisionRecord {
  time: string;
  requestUid: string;
  requester: { username: string; serviceAccount?: string };
  operation: string;
  subresource?: string;
  object: { namespace: string; name: string };
  verdict: { outcome: string; reason: string; wouldDenyInEnforce: boolean };
  why: { mode: string; grants: { name: string }[] };
  fields: { path: string; role: string; git?: Json; old?: Json; requested?: Json; masked: boolean }[];
  git?: { source: string; commit: string; file: string };
}

interface DecisionHistory {
  items: DecisionRecord[];
  errors?: { message: string }[];
}

const byId = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
};

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  className?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
}

function table(headings: readonly string[], rows: readonly (readonly (Node | string)[])[]): HTMLElement {
  if (rows.length === 0) return element("p", "nothing to show");
  const out = element("table");
  const head = out.createTHead().insertRow();
  for (const heading of headings) head.appendChild(element("th", heading));
  const body = out.createTBody();
  for (const cells of rows) {
    const row = body.insertRow();
    for (const cell of cells) {
      const td = row.insertCell();
      td.appendChild(typeof cell === "string" ? document.createTextNode(cell) : cell);
    }
  }
  return out;
}

const show = (value: Json | undefined, masked: boolean): string =>
  masked ? "(masked)" : value === undefined ? "—" : JSON.stringify(value);

const badge = (text: string, kind: string) => element("span", text, `${kind}-${text}`);

const time = (iso: string | undefined) => (iso === undefined ? "—" : new Date(iso).toLocaleString());

function fieldList(items: readonly string[]): HTMLElement {
  const list = element("ul", undefined, "fields");
  for (const item of items) list.appendChild(element("li", item));
  return list;
}

function errorList(errors: readonly { namespace?: string; message: string }[]): HTMLElement[] {
  return errors.map((error) =>
    element("p", error.namespace ? `${error.namespace}: ${error.message}` : error.message, "error"),
  );
}

async function api<T>(path: string, query?: URLSearchParams): Promise<T> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const search = query && [...query.keys()].length > 0 ? `?${query.toString()}` : "";
  const response = await fetch(`api/v1alpha1/${path}${search}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    cache: "no-store",
  });
  const body = (await response.json().catch(() => ({ error: `HTTP ${response.status}` }))) as T & ApiError;
  if (!response.ok) throw { status: response.status, error: body.error, hint: body.hint } satisfies ApiError;
  return body;
}

function drawSources(sources: readonly SourceView[]): Node[] {
  return [
    table(
      ["source", "state", "commit", "last success", "problems"],
      sources.map((source) => {
        const problems = [
          ...(source.error ? [source.error] : []),
          ...(source.restored ? ["serving the snapshot on disk"] : []),
          ...source.fileErrors.map((e) => `${e.file}${e.line ? `:${e.line}` : ""}: ${e.message}`),
          ...source.apps.filter((app) => app.error).map((app) => `${app.type} ${app.path}: ${app.error}`),
        ];
        const name = element("div");
        name.append(element("strong", source.name), element("br"), element("code", source.url));
        return [
          name,
          badge(source.state, "state"),
          element("code", source.commit?.slice(0, 12) ?? "—"),
          time(source.lastSuccessAt),
          problems.length === 0 ? "—" : fieldList(problems),
        ];
      }),
    ),
  ];
}

function drawDrift(report: DriftReport): Node[] {
  const { summary } = report;
  const line = `${summary.drifted ?? 0} drifted, ${summary.inSync ?? 0} in sync, ${summary.unmanaged ?? 0} unmanaged, ${summary.unknown ?? 0} unknown`;
  return [
    element("p", line, "summary"),
    ...errorList(report.errors),
    table(
      ["Deployment", "mode", "state", "since", "fields (Git → live)", "Git"],
      report.objects.map((object) => [
        element("code", `${object.namespace}/${object.name}`),
        object.mode,
        badge(object.state, "state"),
        time(object.since),
        object.fields.length === 0
          ? (object.reason ?? "—")
          : fieldList(
              object.fields.map(
                (f) =>
                  `${f.mark ? "(GitOps mark) " : ""}${f.path}: ${show(f.git, f.masked)} → ${show(f.live, f.masked)}`,
              ),
            ),
        object.git?.description ?? "—",
      ]),
    ),
  ];
}

function drawDecisions(history: DecisionHistory): Node[] {
  const newestFirst = [...history.items].reverse();
  return [
    ...errorList(history.errors ?? []),
    table(
      ["time", "who", "request", "verdict", "fields (Git, old → requested)", "Git"],
      newestFirst.map((record) => [
        time(record.time),
        record.requester.serviceAccount ?? record.requester.username,
        element(
          "code",
          `${record.operation}${record.subresource ? `/${record.subresource}` : ""} ${record.object.namespace}/${record.object.name}`,
        ),
        (() => {
          const cell = element("div");
          cell.append(
            badge(record.verdict.outcome, "outcome"),
            ` ${record.verdict.reason} (${record.why.mode})`,
          );
          return cell;
        })(),
        fieldList(
          record.fields.map(
            (f) =>
              `${f.role}: ${f.path}: ${show(f.git, f.masked)}, ${show(f.old, f.masked)} → ${show(f.requested, f.masked)}`,
          ),
        ),
        record.git ? `${record.git.source} ${record.git.commit.slice(0, 12)} ${record.git.file}` : "—",
      ]),
    ),
  ];
}

function queryOf(form: HTMLFormElement): URLSearchParams {
  const query = new URLSearchParams();
  for (const [name, value] of new FormData(form))
    if (typeof value === "string" && value !== "") query.set(name, value);
  return query;
}

async function fill(sectionId: string, load: () => Promise<Node[]>): Promise<void> {
  const body = byId(sectionId).querySelector(".body");
  if (!body) return;
  try {
    body.replaceChildren(...(await load()));
  } catch (error) {
    const failure = error as Partial<ApiError>;
    if (failure.status === 401) return signIn(failure.error ?? "sign in");
    body.replaceChildren(
      element("p", `${failure.error ?? String(error)}${failure.hint ? ` (${failure.hint})` : ""}`, "error"),
    );
  }
}

async function refresh(): Promise<void> {
  await Promise.all([
    fill("sources", async () => drawSources((await api<{ items: SourceView[] }>("sources")).items)),
    fill("drift", async () => drawDrift(await api<DriftReport>("drift", queryOf(byId("drift-filter"))))),
    fill("decisions", async () =>
      drawDecisions(await api<DecisionHistory>("decisions", queryOf(byId("decisions-filter")))),
    ),
  ]);
  byId("status").textContent = `updated ${new Date().toLocaleTimeString()}`;
}

function signIn(reason: string): void {
  byId("content").hidden = true;
  byId("signin").hidden = false;
  byId("signout").hidden = true;
  byId("signin-error").textContent = sessionStorage.getItem(TOKEN_KEY) ? reason : "";
  sessionStorage.removeItem(TOKEN_KEY);
}

async function start(): Promise<void> {
  try {
    const session = await api<Session>("session");
    if (session.user === undefined) return signIn("");
    byId("who").textContent = `signed in as ${session.user}`;
    byId("signout").hidden = !session.tokenRequired;
    byId("signin").hidden = true;
    byId("content").hidden = false;
    await refresh();
  } catch (error) {
    const failure = error as Partial<ApiError>;
    if (failure.status === 401) return signIn(failure.error ?? "sign in");
    byId("status").textContent =
      `${failure.error ?? String(error)}${failure.hint ? ` (${failure.hint})` : ""}`;
  }
}

function wire(): void {
  byId<HTMLFormElement>("signin").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = byId<HTMLInputElement>("token");
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    input.value = "";
    void start();
  });
  byId("signout").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    signIn("");
  });
  byId("refresh").addEventListener("click", () => void refresh());
  for (const id of ["drift-filter", "decisions-filter"])
    byId<HTMLFormElement>(id).addEventListener("submit", (event) => {
      event.preventDefault();
      void refresh();
    });
  setInterval(() => {
    if (byId<HTMLInputElement>("auto").checked && !byId("content").hidden) void refresh();
  }, REFRESH_MS);
}

wire();
void start();
