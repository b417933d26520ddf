import { describe, expect, it } from "vitest";

import { defaultsFor, resolve, unwrapNullable, type Schema } from "./schema";

// Shaped like pydantic's output for the LLM node's config.
const llm: Schema = {
  type: "object",
  properties: {
    model: { $ref: "#/$defs/ModelRef" },
    prompt: { type: "string", default: "{{#sys.query#}}" },
    temperature: { type: "number", default: 0.7, minimum: 0, maximum: 2 },
    timeout: { anyOf: [{ type: "number" }, { type: "null" }], default: null },
    tags: { type: "array", items: { type: "string" } },
    mode: { enum: ["a", "b"], type: "string" },
  },
  required: ["mode"],
  $defs: {
    ModelRef: { title: "ModelRef", type: "object", properties: { provider: { type: "string", default: "embedded" }, name: { type: "string", default: "" } } },
  },
};

describe("json schema helpers", () => {
  it("fills a fresh config with defaults, recursing into referenced models", () => {
    expect(defaultsFor(llm)).toEqual({
      model: { provider: "embedded", name: "" },
      prompt: "{{#sys.query#}}",
      temperature: 0.7,
      timeout: null,
      tags: [],
      mode: "a",
    });
  });

  it("resolves refs without taking the model's class name as a label", () => {
    const r = resolve(llm.properties!.model, llm);
    expect(r.properties?.provider).toBeDefined();
    expect(r.title).toBeUndefined();
  });

  it("unwraps nullable fields", () => {
    const { schema, nullable } = unwrapNullable(llm.properties!.timeout, llm);
    expect(nullable).toBe(true);
    expect(schema.type).toBe("number");
  });
});
