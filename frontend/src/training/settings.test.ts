import { describe, expect, it } from "vitest";

import { ApiFailure } from "../api/client";
import type { TrainingDataset, TrainingOptions } from "../api/types";
import type { Schema } from "../state/schema";
import optionsJson from "./fixtures/options.json";
import { changedSettings, datasetUsable, issuesFromError, parseTargets, sectionFields, slugify, stageAvailability, validateSettings } from "./settings";

const options = optionsJson as unknown as TrainingOptions;
const schema = options.settings_schema as Schema;

function dataset(id: number, ranking: boolean): TrainingDataset {
  return { id, workspace_id: 1, name: `d${id}`, format: "alpaca", ranking, file_name: "d.json", size_bytes: 10, rows: 5, tokens: 50, created_at: "2025-01-01T00:00:00Z" };
}

describe("job settings form", () => {
  it("places every setting of the schema in one section or the keep-general card", () => {
    const sections = sectionFields(schema);
    const placed = [...sections.flatMap((s) => s.fields), "keep_general", "replay_ratio", "consolidate"].sort();
    expect(placed).toEqual(Object.keys(schema.properties!).sort());
    expect(sections.find((s) => s.id === "lora")!.fields).toEqual(["lora"]);
    expect(sections.find((s) => s.id === "dpo")!.stages).toEqual(["dpo"]);
  });

  it("sends only what differs from the defaults, and stage groups only for their stage", () => {
    const value = { ...structuredClone(options.defaults), learning_rate: 5e-4, lora: { ...(options.defaults.lora as object), rank: 16 }, dpo: { beta: 0.2, loss: "sigmoid" } };
    expect(changedSettings(options.defaults, value, "sft")).toEqual({ learning_rate: 5e-4, lora: { rank: 16, alpha: 16, dropout: 0, target: "all-linear" } });
    expect(changedSettings(options.defaults, value, "dpo")).toHaveProperty("dpo", { beta: 0.2, loss: "sigmoid" });
    expect(changedSettings(options.defaults, structuredClone(options.defaults), "sft")).toEqual({});
  });

  it("checks numbers against the schema's bounds, nested ones included, before sending", () => {
    expect(validateSettings(schema, structuredClone(options.defaults))).toEqual({});
    const bad = { ...structuredClone(options.defaults), learning_rate: 0, epochs: 2.5, val_size: 1, lora: { rank: 0, alpha: 16, dropout: 0, target: "all-linear" } };
    expect(validateSettings(schema, bad)).toEqual({
      "settings.learning_rate": "More than 0",
      "settings.epochs": "Enter a whole number",
      "settings.val_size": "Less than 1",
      "settings.lora.rank": "At least 1",
    });
  });

  it("puts a 422 under its field: a job field, a setting, or each of a 422's errors", () => {
    const setting = new ApiFailure(422, "bad_setting", "batch_size: too large for memory", { field: "batch_size", setting: "batch_size" });
    expect(issuesFromError(setting)).toEqual({ "settings.batch_size": "batch_size: too large for memory" });
    const nested = new ApiFailure(422, "bad_setting", "rank too high", { field: "lora.rank" });
    expect(issuesFromError(nested)).toEqual({ "settings.lora.rank": "rank too high" });
    const taken = new ApiFailure(409, "name_taken", "an adapter 'x' exists", { field: "adapter_name" });
    expect(issuesFromError(taken)).toEqual({ adapter_name: "an adapter 'x' exists" });
    const unfit = new ApiFailure(422, "invalid_param", "Name: fill this in", {
      field: "name",
      errors: [{ field: "name", message: "Name: fill this in" }, { field: "settings.learning_rate", message: "Learning rate: use a number above 0" }],
    });
    expect(issuesFromError(unfit)).toEqual({ name: "Name: fill this in", "settings.learning_rate": "Learning rate: use a number above 0" });
    expect(issuesFromError(new Error("boom"))).toEqual({});
  });

  it("says why rm, dpo and ppo are unavailable, and which datasets a stage can use", () => {
    const [sft, rm, dpo, ppo] = options.stages;
    const plain = [dataset(1, false)];
    expect(stageAvailability(sft, plain, 0)).toEqual({ ok: true, why: "" });
    expect(stageAvailability(rm, plain, 0).why).toMatch(/preference dataset/);
    expect(stageAvailability(dpo, [...plain, dataset(2, true)], 0).ok).toBe(true);
    expect(stageAvailability(ppo, plain, 0).why).toMatch(/reward model/);
    expect(stageAvailability(ppo, plain, 1).ok).toBe(true);
    expect(datasetUsable(dpo, dataset(1, false))).toBe(false);
    expect(datasetUsable(sft, dataset(2, true))).toBe(true);
  });

  it("reads LoRA targets and slugifies adapter names like the API", () => {
    expect(parseTargets("all-linear")).toBe("all-linear");
    expect(parseTargets(" q_proj, v_proj ")).toEqual(["q_proj", "v_proj"]);
    expect(slugify("Identity v1: Weftling!")).toBe("identity-v1-weftling");
  });
});
