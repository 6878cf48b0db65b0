// Rules that span several keys, which the schema cannot word well. They run on the file even when the
// schema failed (every problem at once), so they look at the data defensively and skip what is malformed.
import type { ConfigPath, Problem } from "./problems.js";

type Fields = Record<string, unknown>;

function isRecord(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function records(value: unknown): [number, Fields][] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item, index): [number, Fields][] => (isRecord(item) ? [[index, item]] : []));
}

export function checkCrossFieldRules(raw: unknown): Problem[] {
  if (!isRecord(raw)) return [];
  return [
    ...checkSourceNames(raw.sources),
    ...checkSourceAuth(raw.sources),
    ...checkApps(raw.sources),
    ...checkExemptionSubjects(raw),
    ...checkSelfManagedCertificates(raw.certificates),
    ...checkHistoryBounds(raw.history),
    ...checkWebViewPort(raw.webView, raw.server),
  ];
}

/** The web view never shares the webhook's listener (docs/contract.md §12): a page is not an admission. */
function checkWebViewPort(webView: unknown, server: unknown): Problem[] {
  if (!isRecord(webView) || webView.enabled !== true) return [];
  const webhookPort = isRecord(server) && typeof server.port === "number" ? server.port : 8443;
  const port = webView.port ?? 8081;
  if (port !== webhookPort) return [];
  return [
    {
      path: ["webView", "port"],
      message: `must differ from server.port (${webhookPort}): the web view has a listener of its own, never the webhook's`,
    },
  ];
}

/** The store keeps at least its open segment: a bound below one segment could never hold. */
function checkHistoryBounds(history: unknown): Problem[] {
  if (!isRecord(history)) return [];
  const { segmentBytes, maxBytes } = history;
  if (typeof segmentBytes !== "number" || typeof maxBytes !== "number" || maxBytes >= segmentBytes) return [];
  return [
    {
      path: ["history", "maxBytes"],
      message: `must be at least history.segmentBytes (${segmentBytes}): the store always keeps its open segment`,
    },
  ];
}

/** Self-managed certificates live in a Secret and name the Service: both must be said. */
function checkSelfManagedCertificates(certificates: unknown): Problem[] {
  if (!isRecord(certificates) || certificates.mode !== "self-managed") return [];
  const problems: Problem[] = [];
  if (certificates.secretNamespace === undefined) {
    problems.push({
      path: ["certificates", "secretNamespace"],
      message: "is required with mode self-managed (the namespace driftguard runs in)",
    });
  }
  if (!Array.isArray(certificates.dnsNames) || certificates.dnsNames.length === 0) {
    problems.push({
      path: ["certificates", "dnsNames"],
      message: "is required with mode self-managed (the Service's names, e.g. driftguard.driftguard.svc)",
    });
  }
  return problems;
}

/** Names key the state on disk, metrics and messages: two sources must never share one. */
function checkSourceNames(sources: unknown): Problem[] {
  const firstIndex = new Map<string, number>();
  const problems: Problem[] = [];
  for (const [index, source] of records(sources)) {
    if (typeof source.name !== "string") continue;
    const first = firstIndex.get(source.name);
    if (first === undefined) firstIndex.set(source.name, index);
    else problems.push({ path: ["sources", index, "name"], message: `duplicate of sources[${first}].name` });
  }
  return problems;
}

const HTTPS_KEYS = ["usernameFile", "tokenFile"];
const SSH_KEYS = ["sshKeyFile", "knownHostsFile"];
const AUTH_SHAPES =
  "tokenFile (and optionally usernameFile) for HTTPS, or sshKeyFile and knownHostsFile for SSH";

function checkSourceAuth(sources: unknown): Problem[] {
  const problems: Problem[] = [];
  for (const [index, source] of records(sources)) {
    if (isRecord(source.auth)) problems.push(...checkAuth(source.auth, ["sources", index, "auth"]));
  }
  return problems;
}

function checkAuth(auth: Fields, path: ConfigPath): Problem[] {
  const https = HTTPS_KEYS.some((key) => key in auth);
  const ssh = SSH_KEYS.some((key) => key in auth);
  if (https === ssh) {
    return [{ path, message: `${https ? "mixes HTTPS and SSH keys" : "is empty"}; give ${AUTH_SHAPES}` }];
  }
  if (https && !("tokenFile" in auth))
    return [{ path: [...path, "tokenFile"], message: "is required with usernameFile" }];
  // Host keys are always checked (docs/contract.md §2): an SSH key alone is not enough.
  const missing = SSH_KEYS.filter((key) => !(key in auth));
  return ssh ? missing.map((key) => ({ path: [...path, key], message: "is required for SSH" })) : [];
}

/** An exemption without subjects would exempt nobody: almost surely a list left under the wrong key. */
function checkExemptionSubjects(raw: Fields): Problem[] {
  const problems: Problem[] = [];
  for (const [index, exemption] of records(raw.exemptions)) {
    const count = ["users", "groups", "serviceAccounts"].reduce((sum, key) => {
      const list = exemption[key];
      return sum + (Array.isArray(list) ? list.length : 0);
    }, 0);
    if (count === 0) {
      problems.push({
        path: ["exemptions", index],
        message: "names no subject; give users, groups or serviceAccounts",
      });
    }
  }
  return problems;
}

/** Where an app's path or value file points outside the repository, or nowhere a render may read. */
function repoPathProblem(path: string): string | undefined {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(path)) return "is a URL; renders never reach the network";
  if (path.startsWith("/")) return "is absolute; give a path inside the repository";
  let depth = 0;
  for (const segment of path.split("/")) {
    if (segment === "..") depth -= 1;
    else if (segment !== "" && segment !== ".") depth += 1;
    if (depth < 0) return "leaves the repository; give a path inside it";
  }
  return undefined;
}

/** App paths stay inside the repository, once each; value files stay inside it too (docs/contract.md §2a). */
function checkApps(sources: unknown): Problem[] {
  const problems: Problem[] = [];
  for (const [index, source] of records(sources)) {
    const seen = new Map<string, number>();
    for (const [entry, app] of records(source.paths)) {
      const at: ConfigPath = ["sources", index, "paths", entry];
      if (typeof app.path !== "string") continue;
      const problem = repoPathProblem(app.path);
      if (problem !== undefined) problems.push({ path: [...at, "path"], message: problem });
      const helm = isRecord(app.helm) ? app.helm : {};
      // One folder may be listed again as another release (a chart with other values), not as the same one.
      const folder = app.path
        .split("/")
        .filter((s) => s !== "" && s !== ".")
        .join("/");
      const key = [folder, app.namespace ?? source.namespace ?? "", helm.releaseName ?? ""].join("\u0000");
      const first = seen.get(key);
      if (first === undefined) seen.set(key, entry);
      else
        problems.push({
          path: [...at, "path"],
          message: `same folder, namespace and release as paths[${first}]; give it a namespace or helm.releaseName of its own`,
        });
      const valueFiles = Array.isArray(helm.valueFiles) ? helm.valueFiles : [];
      valueFiles.forEach((file, i) => {
        if (typeof file !== "string") return;
        const outside = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/|^\//.test(file)
          ? repoPathProblem(file)
          : repoPathProblem(`${app.path}/${file}`);
        if (outside !== undefined)
          problems.push({ path: [...at, "helm", "valueFiles", i], message: outside });
      });
    }
  }
  return problems;
}
