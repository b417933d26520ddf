// The new-job form's settings: the schema form's fields, plus the few it cannot word well
// (auto / on / off switches, "auto" numbers, LoRA targets, the reward adapter) and the
// "keep general skills" card.
import { useContext } from "react";

import type { TrainingAdapter } from "../api/types";
import { Field, FieldIssues } from "../panel/SchemaForm";
import { resolve, unwrapNullable, type Schema } from "../state/schema";
import { formatTargets, isAutoBoolean, LABELS, parseTargets, presented, type Settings } from "./settings";

function AutoBoolean({ id, label, help, value, onChange }: { id: string; label: string; help?: string; value: unknown; onChange: (v: boolean | null) => void }) {
  const problem = (useIssues()[id] ?? "") as string;
  return (
    <div className={`field${problem ? " field-invalid" : ""}`}>
      <label htmlFor={`f-${id}`}>{label}</label>
      <select id={`f-${id}`} className="ed-input" value={value == null ? "auto" : value ? "on" : "off"} onChange={(e) => onChange(e.target.value === "auto" ? null : e.target.value === "on")}>
        <option value="auto">Auto</option>
        <option value="on">On</option>
        <option value="off">Off</option>
      </select>
      {problem ? <p className="field-error">{problem}</p> : help && <p className="field-help">{help}</p>}
    </div>
  );
}

function useIssues() {
  return useContext(FieldIssues);
}

/** A `number | null` setting whose null means "decide for me" (epochs) or "no limit". */
function autoNumber(prop: Schema, root: Schema): { schema: Schema; placeholder: string } | null {
  const { schema, nullable } = unwrapNullable(prop, root);
  if (!nullable || (schema.type !== "integer" && schema.type !== "number")) return null;
  const text = schema.description ?? "";
  return { schema, placeholder: /None =/.test(text) ? "auto" : "no limit" };
}

/** One setting: the generated field, or the few the schema form cannot word well. */
export function Setting({ name, path, prop, root, value, onChange, rmAdapters }: { name: string; path: string; prop: Schema; root: Schema; value: unknown; onChange: (v: unknown) => void; rmAdapters: TrainingAdapter[] }) {
  const shown = presented(name, resolve(prop, root));
  const problem = useIssues()[path];
  if (isAutoBoolean(prop, root)) {
    const help = resolve(prop, root).description?.replace(/;?\s*\bNone = /, "; Auto: ");
    return <AutoBoolean id={path} label={shown.title ?? name} help={help} value={value} onChange={onChange} />;
  }
  const auto = autoNumber(prop, root);
  if (auto) {
    return (
      <div className={`field${problem ? " field-invalid" : ""}`}>
        <label htmlFor={`f-${path}`}>{shown.title}</label>
        <input
          id={`f-${path}`}
          className="ed-input"
          type="number"
          placeholder={auto.placeholder}
          min={auto.schema.minimum}
          max={auto.schema.maximum}
          step={auto.schema.type === "integer" ? 1 : "any"}
          value={value == null ? "" : String(value)}
          onChange={(e) => onChange(e.target.value === "" ? null : auto.schema.type === "integer" ? parseInt(e.target.value, 10) : parseFloat(e.target.value))}
        />
        {problem ? <p className="field-error">{problem}</p> : shown.description && <p className="field-help">{shown.description}</p>}
      </div>
    );
  }
  if (name === "target" && path.endsWith("lora.target")) {
    return (
      <div className={`field${problem ? " field-invalid" : ""}`}>
        <label htmlFor={`f-${path}`}>{shown.title}</label>
        <input id={`f-${path}`} className="ed-input" value={formatTargets(value)} onChange={(e) => onChange(parseTargets(e.target.value))} />
        {problem ? <p className="field-error">{problem}</p> : <p className="field-help">all-linear, or module names such as q_proj, v_proj</p>}
      </div>
    );
  }
  if (name === "reward_adapter") {
    return (
      <div className={`field${problem ? " field-invalid" : ""}`}>
        <label htmlFor={`f-${path}`}>{shown.title}</label>
        <select id={`f-${path}`} className="ed-input" value={String(value ?? "")} onChange={(e) => onChange(e.target.value || null)}>
          <option value="">—</option>
          {rmAdapters.map((a) => (
            <option key={a.name} value={a.name}>
              {a.label}
            </option>
          ))}
        </select>
        {problem ? <p className="field-error">{problem}</p> : <p className="field-help">the reward model that scores the sampled answers (an adapter of an rm job)</p>}
      </div>
    );
  }
  const nested = resolve(prop, root);
  if (nested.properties) {
    const obj = (value ?? {}) as Settings;
    return (
      <>
        {Object.entries(nested.properties).map(([k, sub]) => (
          <Setting key={k} name={k} path={`${path}.${k}`} prop={sub} root={root} value={obj[k]} rmAdapters={rmAdapters} onChange={(v) => onChange({ ...obj, [k]: v })} />
        ))}
      </>
    );
  }
  return <Field path={path} name={name} schema={shown} root={root} value={value} onChange={onChange} nodeId="" required={false} disabled={false} />;
}

/** A number inside the keep-general card's sentences (empty counts as 0). */
function KeepNumber({ name, max, step, value, disabled, onChange }: { name: string; max: number; step: number; value: number; disabled: boolean; onChange: (v: number) => void }) {
  return (
    <input
      id={`f-settings.${name}`}
      aria-label={LABELS[name]}
      type="number"
      min={0}
      max={max}
      step={step}
      value={Number.isFinite(value) ? value : ""}
      disabled={disabled}
      onChange={(e) => onChange(e.target.value === "" ? 0 : parseFloat(e.target.value))}
    />
  );
}

export function KeepGeneral({ value, onChange, schema }: { value: Settings; onChange: (v: Settings) => void; schema: Schema }) {
  const keep = value.keep_general as boolean | null | undefined;
  const props = schema.properties ?? {};
  const number = (name: string) => Number(value[name] ?? props[name]?.default);
  const ratio = number("replay_ratio");
  const weight = number("consolidate");
  const issues = useIssues();
  const hasRatio = "replay_ratio" in props;
  const hasWeight = "consolidate" in props;
  const problem = issues["settings.keep_general"] ?? issues["settings.replay_ratio"] ?? issues["settings.consolidate"];
  return (
    <section className={`card tp-card tp-keep${problem ? " field-invalid" : ""}`} data-testid="keep-general">
      <div className="tp-keep-head">
        <h3>Keep general skills</h3>
        <div className="tp-seg" role="radiogroup" aria-label="Keep general skills">
          {(
            [
              [null, "Auto"],
              [true, "On"],
              [false, "Off"],
            ] as const
          ).map(([v, label]) => (
            <label key={label} className={keep === v || (v === null && keep == null) ? "active" : ""}>
              <input type="radio" name="keep_general" checked={keep === v || (v === null && keep == null)} onChange={() => onChange({ ...value, keep_general: v })} />
              {label}
            </label>
          ))}
        </div>
      </div>
      {hasRatio && (
        <p className="tp-keep-line">
          Mix in{" "}
          <KeepNumber name="replay_ratio" max={10} step={0.5} value={ratio} disabled={keep === false} onChange={(v) => onChange({ ...value, replay_ratio: v })} />{" "}
          self-distilled general examples per training example, so the model keeps its general skills.
        </p>
      )}
      {hasWeight && (
        <p className="tp-keep-line">
          Then consolidate the adapter, weighing your data{" "}
          <KeepNumber name="consolidate" max={1000} step={1} value={weight} disabled={keep === false} onChange={(v) => onChange({ ...value, consolidate: v })} />{" "}
          × the general examples: its change stays where your data's inputs go, and answers that only general questions reach go back to the base model's (0 = off).
        </p>
      )}
      <p className="small muted">
        {keep == null ? "Auto turns this on for small datasets, where a few epochs would otherwise teach the new answers to every question." : keep ? "On: general questions keep their base-model answers." : "Off: only your data is trained on."}
      </p>
      {problem && <p className="field-error">{problem}</p>}
    </section>
  );
}
