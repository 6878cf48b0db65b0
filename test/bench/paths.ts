// Where things are, relative to this file: the benchmark never names a folder of the machine it runs on.
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
export const BARE_SERVER = fileURLToPath(new URL("./bare-server.ts", import.meta.url));
export const LOAD_CHILD = fileURLToPath(new URL("./load-child.mjs", import.meta.url));
export const WRK_SCRIPT = fileURLToPath(new URL("./wrk-reviews.lua", import.meta.url));
