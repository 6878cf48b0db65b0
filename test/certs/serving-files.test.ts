// The serving pair's files: written whole (temp + rename), private key not world-readable, and left
// alone when they already hold the pair (the TLS reloader then has nothing to do).
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { servingFiles } from "../../src/certs/serving-files.js";
import { makeTempDir } from "../support/tls/cert-dir.js";

let dir: string;
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("servingFiles", () => {
  it("writes key and certificate, then skips an unchanged pair", async () => {
    dir = await makeTempDir();
    const files = servingFiles(join(dir, "tls.crt"), join(dir, "tls.key"));
    expect(await files.write({ cert: "cert 1", key: "key 1" })).toBe(true);
    expect(await readFile(join(dir, "tls.crt"), "utf8")).toBe("cert 1");
    expect(await readFile(join(dir, "tls.key"), "utf8")).toBe("key 1");
    expect((await stat(join(dir, "tls.key"))).mode & 0o077).toBe(0);
    const written = (await stat(join(dir, "tls.crt"))).mtimeMs;

    expect(await files.write({ cert: "cert 1", key: "key 1" })).toBe(false);
    expect((await stat(join(dir, "tls.crt"))).mtimeMs).toBe(written);
    expect(await files.write({ cert: "cert 1", key: "key 2" })).toBe(true);
    expect(await readFile(join(dir, "tls.key"), "utf8")).toBe("key 2");
    expect((await readdir(dir)).sort()).toEqual(["tls.crt", "tls.key"]); // no temporary file left
  });
});
