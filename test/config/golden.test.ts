// The fully defaulted config is checked against a golden file (cert-manager style), so that a changed
// default shows up in review as a changed file. To regenerate after a deliberate change:
//   UPDATE_GOLDEN=1 npx vitest run test/config/golden.test.ts && npx biome check --write test/config
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { ORIGIN, toPlain } from "./support.js";

const golden = (name: string) => fileURLToPath(new URL(`golden/${name}`, import.meta.url));

describe("defaults", () => {
  it("fill a minimal config exactly as golden/minimal.json says", () => {
    const config = toPlain(parseConfig(readFileSync(golden("minimal.yaml"), "utf8"), ORIGIN));
    if (process.env.UPDATE_GOLDEN)
      writeFileSync(golden("minimal.json"), `${JSON.stringify(config, null, 2)}\n`);
    expect(config).toEqual(JSON.parse(readFileSync(golden("minimal.json"), "utf8")));
  });
});
