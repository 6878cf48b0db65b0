// The page the web view serves: its HTML shell and style sheet (here, as text) and its script, compiled
// from src/web/page/app.ts by tsconfig.page.json next to this module in dist (npm run build). The shell
// holds no data and no inline script or style: the CSP allows only these files.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface PageAssets {
  html: string;
  css: string;
  script(): { kind: "found"; text: string } | { kind: "missing"; message: string };
}

// Built: dist/web/page/app.js beside dist/web/page-assets.js. From the sources (tsx, tests): the build's.
const SCRIPT_PLACES = [
  new URL("./page/app.js", import.meta.url),
  new URL("../../dist/web/page/app.js", import.meta.url),
];

export function pageAssets(): PageAssets {
  let cached: string | undefined;
  return {
    html: HTML,
    css: CSS,
    script() {
      cached ??= readFirst(SCRIPT_PLACES);
      return cached === undefined
        ? { kind: "missing", message: "the web view's script is not built (dist/web/page/app.js)" }
        : { kind: "found", text: cached };
    },
  };
}

function readFirst(places: readonly URL[]): string | undefined {
  for (const place of places) {
    try {
      return readFileSync(fileURLToPath(place), "utf8");
    } catch {
      // The next place; none found is answered as "not built".
    }
  }
  return undefined;
}

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>driftguard</title>
<link rel="stylesheet" href="style.css">
<script type="module" src="app.js"></script>
</head>
<body>
<header>
  <h1>driftguard</h1>
  <span id="who"></span>
  <label class="auto"><input type="checkbox" id="auto" checked> refresh every 15 s</label>
  <button type="button" id="refresh">Refresh</button>
  <button type="button" id="signout" hidden>Sign out</button>
</header>
<form id="signin" hidden>
  <p>This web view asks for your Kubernetes token: it shows what your own RBAC lets you read.</p>
  <label>Token <input type="password" id="token" autocomplete="off" required></label>
  <button type="submit">Sign in</button>
  <p id="signin-error" class="error"></p>
</form>
<main id="content" hidden>
  <section id="sources"><h2>Sources</h2><div class="body"></div></section>
  <section id="drift">
    <h2>Drift</h2>
    <form class="filters" id="drift-filter">
      <label>namespace <input name="namespace" autocomplete="off"></label>
      <label>state <select name="state"><option value="">any</option><option>drifted</option><option>in-sync</option><option>unmanaged</option><option>unknown</option></select></label>
      <button type="submit">Show</button>
    </form>
    <div class="body"></div>
  </section>
  <section id="decisions">
    <h2>Decisions</h2>
    <form class="filters" id="decisions-filter">
      <label>namespace <input name="namespace" autocomplete="off"></label>
      <label>name <input name="name" autocomplete="off"></label>
      <label>user <input name="user" autocomplete="off"></label>
      <label>since <input name="since" placeholder="24h" autocomplete="off"></label>
      <button type="submit">Show</button>
    </form>
    <div class="body"></div>
  </section>
</main>
<p id="status" role="status"></p>
</body>
</html>
`;

const CSS = `:root { font-family: system-ui, sans-serif; color: #1b1f24; background: #fafbfc; }
body { margin: 0 auto; max-width: 80rem; padding: 0 1rem 2rem; }
header { display: flex; align-items: baseline; gap: 1rem; flex-wrap: wrap; border-bottom: 1px solid #d0d7de; }
h1 { font-size: 1.4rem; margin: 0.8rem 0; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 0.5rem; }
#who { color: #57606a; flex: 1; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; vertical-align: top; padding: 0.3rem 0.5rem; border-bottom: 1px solid #eaeef2; }
th { background: #f0f3f6; }
code { font-family: ui-monospace, monospace; font-size: 0.85rem; word-break: break-all; }
.filters { display: flex; gap: 0.8rem; flex-wrap: wrap; margin-bottom: 0.5rem; }
.summary { margin: 0.3rem 0; }
.error { color: #b42318; }
.state-drifted, .outcome-deny, .state-failing { color: #b42318; font-weight: 600; }
.outcome-warn, .state-unknown, .state-pending { color: #9a6700; font-weight: 600; }
.state-in-sync, .outcome-allow, .state-synced { color: #1a7f37; }
ul.fields { margin: 0; padding-left: 1rem; }
#status { color: #57606a; font-size: 0.85rem; }
`;
