// The new-job form's logic: which settings go in which section, their labels, what the user
// changed from the defaults, checks before sending, and where a 422's problem belongs.
import { ApiFailure } from "../api/client";
import type { TrainingDataset, TrainingStage } from "../api/types";
import { resolve, unwrapNullable, type Schema } from "../state/schema";

export type Settings = Record<string, unknown>;

/** Sections of the settings form, in order; settings the schema adds later land in "More". */
export const SECTIONS: { id: string; title: string; fields: string[]; stages?: string[] }[] = [
  { id: "lora", title: "LoRA adapter", fields: ["lora"] },
  { id: "optim", title: "Optimisation", fields: ["learning_rate", "weight_decay", "optim", "epochs", "max_steps", "batch_size", "grad_accum", "compute_type"] },
  { id: "data", title: "Data", fields: ["cutoff_len", "max_samples", "packing", "val_size", "save_steps", "seed"] },
  { id: "dpo", title: "Preference loss", fields: ["dpo"], stages: ["dpo"] },
  { id: "ppo", title: "PPO / RLOO", fields: ["ppo"], stages: ["ppo"] },
];

/** Shown in their own card, not in a section. */
export const KEEP_GENERAL = ["keep_general", "replay_ratio", "consolidate"];

/** Labels a LLaMA-Factory user knows (the schema's titles are derived from field names). */
export const LABELS: Record<string, string> = {
  rank: "LoRA rank",
  alpha: "LoRA alpha",
  dropout: "LoRA dropout",
  target: "Target modules",
  learning_rate: "Learning rate",
  weight_decay: "Weight decay",
  optim: "Optimizer",
  epochs: "Epochs",
  max_steps: "Max steps",
  batch_size: "Batch size (per device)",
  grad_accum: "Gradient accumulation",
  compute_type: "Compute type",
  cutoff_len: "Cutoff length",
  max_samples: "Max samples (per dataset)",
  packing: "Packing",
  val_size: "Validation split",
  save_steps: "Save every N steps",
  seed: "Seed",
  beta: "Beta",
  loss: "Loss",
  reward_adapter: "Reward model (rm adapter)",
  samples_per_prompt: "Samples per prompt",
  max_new_tokens: "Max new tokens",
  temperature: "Temperature",
  kl_coef: "KL coefficient",
  keep_general: "Keep general skills",
  replay_ratio: "Replay ratio",
  consolidate: "Consolidation weight",
};

/** A setting's schema with a friendlier title and "None = …" worded as "empty = …". */
export function presented(name: string, prop: Schema): Schema {
  const description = prop.description?.replace(/\bNone\b/g, "empty");
  return { ...prop, title: LABELS[name] ?? prop.title, description };
}

/** The fields of `section` present in the schema, and the schema's fields in no section. */
export function sectionFields(schema: Schema): { id: string; title: string; fields: string[]; stages?: string[] }[] {
  const props = Object.keys(schema.properties ?? {});
  const placed = new Set([...SECTIONS.flatMap((s) => s.fields), ...KEEP_GENERAL]);
  const sections = SECTIONS.map((s) => ({ ...s, fields: s.fields.filter((f) => props.includes(f)) }));
  const rest = props.filter((p) => !placed.has(p));
  if (rest.length) sections.push({ id: "more", title: "More", fields: rest });
  return sections.filter((s) => s.fields.length);
}

/** True for `boolean | null` settings, whose null means "decide for me". */
export function isAutoBoolean(prop: Schema, root: Schema): boolean {
  const { schema, nullable } = unwrapNullable(prop, root);
  return nullable && schema.type === "boolean";
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The settings that differ from the defaults (the job keeps its auto rules for the rest);
 * stage-specific groups (dpo, ppo) only for their stage. */
export function changedSettings(defaults: Settings, value: Settings, stage: string): Settings {
  const out: Settings = {};
  for (const [key, v] of Object.entries(value)) {
    if ((key === "dpo" || key === "ppo") && key !== stage) continue;
    if (!same(v, defaults[key])) out[key] = v;
  }
  return out;
}

/** Problems the schema can tell before sending, by path (`settings.lora.rank`). */
export function validateSettings(schema: Schema, value: Settings, prefix = "settings"): Record<string, string> {
  const issues: Record<string, string> = {};
  const walk = (s: Schema, v: unknown, path: string) => {
    const { schema: prop, nullable } = unwrapNullable(s, schema);
    if (v === null || v === undefined) {
      if (!nullable && prop.type && prop.type !== "null" && !("default" in prop)) issues[path] = "Required";
      return;
    }
    if (prop.type === "object" || prop.properties) {
      const obj = resolve(prop, schema);
      for (const [k, sub] of Object.entries(obj.properties ?? {})) walk(sub, (v as Settings)[k], `${path}.${k}`);
      return;
    }
    if (prop.type !== "integer" && prop.type !== "number") return;
    if (typeof v !== "number" || Number.isNaN(v)) issues[path] = "Enter a number";
    else if (prop.type === "integer" && !Number.isInteger(v)) issues[path] = "Enter a whole number";
    else if (prop.minimum !== undefined && v < prop.minimum) issues[path] = `At least ${prop.minimum}`;
    else if (prop.maximum !== undefined && v > prop.maximum) issues[path] = `At most ${prop.maximum}`;
    else if (prop.exclusiveMinimum !== undefined && v <= prop.exclusiveMinimum) issues[path] = `More than ${prop.exclusiveMinimum}`;
    else if (prop.exclusiveMaximum !== undefined && v >= prop.exclusiveMaximum) issues[path] = `Less than ${prop.exclusiveMaximum}`;
  };
  for (const [k, sub] of Object.entries(schema.properties ?? {})) walk(sub, value[k], `${prefix}.${k}`);
  return issues;
}

const JOB_FIELDS = ["name", "base_model", "stage", "dataset_ids", "adapter_name"];

/** Where a failed create belongs: the API's `field` (a job field, or a setting such as
 * `batch_size` or `lora.rank`), or each of a 422's `errors` (a body that does not fit the schema). */
export function issuesFromError(err: unknown): Record<string, string> {
  if (!(err instanceof ApiFailure)) return {};
  const out: Record<string, string> = {};
  const place = (field: string, message: string) => {
    out[JOB_FIELDS.includes(field) ? field : `settings.${field.replace(/^settings\./, "")}`] = message;
  };
  const field = typeof err.data.field === "string" ? err.data.field : typeof err.data.setting === "string" ? err.data.setting : "";
  if (field) place(field, err.message);
  const errors = err.data.errors; // a body that does not fit the schema: every field's problem
  if (Array.isArray(errors)) {
    for (const e of errors as { field?: unknown; message?: unknown }[]) {
      if (typeof e.field === "string" && e.field && e.field !== "body") place(e.field, String(e.message ?? ""));
    }
  }
  return out;
}

/** Whether a stage can run on the picked datasets, and why not. */
export function stageAvailability(
  stage: TrainingStage,
  datasets: TrainingDataset[],
  rewardAdapters: number,
): { ok: boolean; why: string } {
  if (stage.needs_ranking && !datasets.some((d) => d.ranking)) {
    return { ok: false, why: "needs a preference dataset (rows with chosen / rejected answers): upload one first" };
  }
  if (stage.id === "ppo" && rewardAdapters === 0) {
    return { ok: false, why: "needs a reward model: train an rm job on preference data first" };
  }
  return { ok: true, why: "" };
}

/** Datasets a stage can train on (preference data for rm and dpo). */
export function datasetUsable(stage: TrainingStage | undefined, d: TrainingDataset): boolean {
  return !stage?.needs_ranking || d.ranking;
}

/** LoRA targets as typed ("all-linear" or "q_proj, v_proj") to the setting's value. */
export function parseTargets(text: string): string | string[] {
  const t = text.trim();
  if (!t || t === "all-linear") return "all-linear";
  return t.split(/[\s,]+/).filter(Boolean);
}

export function formatTargets(value: unknown): string {
  return Array.isArray(value) ? value.join(", ") : String(value ?? "all-linear");
}

/** A job name's default adapter name, as the API slugifies it. */
export function slugify(name: string): string {
  return name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9\s_-]/g, "")
    .trim()
    .replace(/[\s-]+/g, "-")
    .slice(0, 60)
    .replace(/^-+|-+$/g, "");
}
