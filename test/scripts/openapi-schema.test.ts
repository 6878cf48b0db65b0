// The OpenAPI-to-JSON-Schema translation of scripts/deployment-schema.ts, on small made-up documents
// shaped like the API server's, and the committed schema it wrote.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, test } from "vitest";
import {
  QUANTITY_PATTERN,
  type SchemaNode,
  stableJson,
  translateOpenApi,
} from "../../scripts/openapi-schema.js";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

function translate(schemas: Record<string, SchemaNode>, root = "test.Root"): SchemaNode {
  const withMeta = { [META]: { type: "object", properties: { name: { type: "string" } } }, ...schemas };
  return translateOpenApi({
    openapi: { components: { schemas: withMeta } },
    root,
    kubernetesVersion: "v9.9.9",
    openapiPath: "/openapi/v3/apis/test/v1",
  });
}

/** A root with `metadata` and the given extra properties (and required list). */
function root(properties: Record<string, SchemaNode>, required?: string[]): Record<string, SchemaNode> {
  return {
    "test.Root": {
      type: "object",
      properties: { metadata: { allOf: [ref(META)], default: {} }, ...properties },
      ...(required ? { required } : {}),
    },
  };
}

const props = (schema: SchemaNode) => schema.properties as Record<string, SchemaNode>;

describe("translateOpenApi", () => {
  test("a header names the Kubernetes version and the document", () => {
    const schema = translate(root({}));
    expect(schema["x-driftguard-generated-from"]).toEqual({
      kubernetesVersion: "v9.9.9",
      openapi: "/openapi/v3/apis/test/v1",
      definition: "test.Root",
    });
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
  });

  test("references become local $defs; only the reachable ones are kept", () => {
    const schema = translate({
      ...root({ spec: { allOf: [ref("test.Spec")], default: {} } }),
      "test.Spec": { type: "object", properties: { n: { type: "integer", format: "int32" } } },
      "test.Unused": { type: "object" },
    });
    expect(props(schema).spec).toEqual({
      if: { type: "null" },
      else: { $ref: "#/$defs/test.Spec", default: {} },
    });
    expect(Object.keys(schema.$defs as object).sort()).toEqual([META, "test.Spec"]);
  });

  test("structs refuse unknown fields; preserve-unknown-fields and property-less objects stay open", () => {
    const schema = translate(
      root({
        closed: { type: "object", properties: { a: { type: "string" } } },
        open: {
          type: "object",
          "x-kubernetes-preserve-unknown-fields": true,
          properties: { a: { type: "string" } },
        },
        raw: { type: "object" },
        map: { type: "object", additionalProperties: { type: "string", default: "" } },
      }),
    );
    const { closed, open, raw, map } = props(schema);
    expect(closed?.additionalProperties).toBe(false);
    expect(open?.additionalProperties).toBeUndefined();
    expect(raw?.additionalProperties).toBeUndefined();
    expect(map?.additionalProperties).toEqual({ type: ["string", "null"], default: "" });
  });

  test("int-or-string, by format or by extension, is an int32 or a string", () => {
    const schema = translate(
      root({
        byFormat: { format: "int-or-string", oneOf: [{ type: "integer" }, { type: "string" }] },
        byExtension: { "x-kubernetes-int-or-string": true },
      }),
    );
    for (const key of ["byFormat", "byExtension"]) {
      expect(props(schema)[key]).toMatchObject({ type: ["integer", "string", "null"], format: "int32" });
    }
  });

  test("formats are kept; an unknown one stops the translation", () => {
    const schema = translate(
      root({ at: { type: "string", format: "date-time" }, n: { type: "integer", format: "int64" } }),
    );
    expect(props(schema).at?.format).toBe("date-time");
    expect(() => translate(root({ x: { type: "string", format: "duration" } }))).toThrow(/format "duration"/);
  });

  test("an OpenAPI keyword without a translation stops it, naming where", () => {
    expect(() => translate(root({ x: { type: "string", pattern: "^a$" } }))).toThrow(
      /test\.Root\.x: .*"pattern"/,
    );
    expect(() => translate(root({ x: { oneOf: [{ type: "string" }] } }))).toThrow(/"oneOf"/);
  });

  test("nullable adds null, even to a required field; default is kept, never applied", () => {
    const schema = translate(root({ x: { type: "string", nullable: true, default: "d" } }, ["x"]));
    expect(props(schema).x).toEqual({ type: ["string", "null"], default: "d" });
  });

  test("optional fields take null and enums take the empty string; required ones take neither", () => {
    const schema = translate(
      root(
        {
          optional: { type: "string", enum: ["A", "B"] },
          required: { type: "string", enum: ["A", "B"] },
          name: { type: "string" },
        },
        ["required", "name"],
      ),
    );
    const { optional, required, name } = props(schema);
    expect(optional).toEqual({ type: ["string", "null"], enum: ["A", "B", null, ""] });
    expect(required).toEqual({ type: "string", enum: ["A", "B"] });
    expect(name).toEqual({ type: "string", minLength: 1 });
    expect(schema.required).toEqual(["metadata", "name", "required"]);
  });

  test("list elements take null unless their type has required fields", () => {
    const schema = translate({
      ...root({
        named: { type: "array", items: { allOf: [ref("test.Named")], default: {} } },
        loose: { type: "array", items: { allOf: [ref("test.Loose")], default: {} } },
        strings: { type: "array", items: { type: "string", default: "" } },
      }),
      "test.Named": { type: "object", required: ["name"], properties: { name: { type: "string" } } },
      "test.Loose": { type: "object", properties: { name: { type: "string" } } },
    });
    const items = (key: string) =>
      (props(schema)[key]?.else as SchemaNode | undefined)?.items ?? props(schema)[key]?.items;
    expect(items("named")).toEqual({ $ref: "#/$defs/test.Named", default: {} });
    expect(items("loose")).toEqual({
      if: { type: "null" },
      else: { $ref: "#/$defs/test.Loose", default: {} },
    });
    expect(items("strings")).toEqual({ type: ["string", "null"], default: "" });
  });

  test("the root requires metadata.name", () => {
    const schema = translate(root({}));
    expect(schema.required).toEqual(["metadata"]);
    expect(props(schema).metadata).toMatchObject({
      required: ["name"],
      properties: { name: { minLength: 1 } },
    });
  });

  test("a recursive type ends in a reference to itself", () => {
    const schema = translate({
      ...root({ node: { allOf: [ref("test.Node")] } }),
      "test.Node": { type: "object", properties: { next: { allOf: [ref("test.Node")] } } },
    });
    const node = (schema.$defs as Record<string, SchemaNode>)["test.Node"];
    expect(props(node ?? {}).next).toEqual({ if: { type: "null" }, else: { $ref: "#/$defs/test.Node" } });
  });

  test("the output is the same however the input's keys are ordered", () => {
    const a = root({ b: { type: "string" }, a: { type: "integer", format: "int32" } });
    const b = root({ a: { format: "int32", type: "integer" }, b: { type: "string" } });
    expect(stableJson(translate(a))).toBe(stableJson(translate(b)));
  });
});

describe("QUANTITY_PATTERN: apimachinery's ParseQuantity, as the API server answered", () => {
  const matches = (text: string) => new RegExp(QUANTITY_PATTERN, "u").test(text);
  test.each([
    "1",
    "0.5",
    "1.",
    ".5",
    "+1",
    "-1",
    "1E",
    "1e3",
    "1E3",
    "1.5e+2",
    "1e-3",
    "1Ki",
    "1Pi",
    "1k",
    "1m",
    "1n",
    "1u",
    "e3",
    ".",
    "1Gi ",
    " 2 ",
  ])("accepts %j", (text) => expect(matches(text)).toBe(true));
  test.each(["", " ", "abc", "1K", "1mi", "100mi", "1e", "0x10", "1.2.3", "1 Gi", "\t1", "1e3m"])(
    "refuses %j",
    (text) => expect(matches(text)).toBe(false),
  );
});

describe("the committed schema", () => {
  const repo = resolve(import.meta.dirname, "../..");
  const text = readFileSync(join(repo, "src/sources/schema/apps-v1-deployment.json"), "utf8");
  const schema = JSON.parse(text) as SchemaNode;

  test("comes from the Kubernetes version the test bed pins", () => {
    const goMod = readFileSync(join(repo, "test/testbed/go.mod"), "utf8");
    const pinned = /^require k8s\.io\/kubernetes (v\S+)/m.exec(goMod)?.[1];
    expect(pinned).toBeDefined();
    expect((schema["x-driftguard-generated-from"] as SchemaNode).kubernetesVersion).toBe(pinned);
  });

  test("is written as the script writes it (keys sorted), so a re-run changes nothing", () => {
    expect(stableJson(schema)).toBe(text);
  });
});
