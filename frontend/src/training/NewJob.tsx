// The new-job form: name, base model, stage, datasets, then the trainer's settings generated from
// options.settings_schema (the editor's schema form), with "keep general skills" up front.
import { useEffect, useMemo, useState, type FormEvent } from "react";

import type { TrainingAdapter, TrainingDataset, TrainingJobDetail, TrainingOptions } from "../api/types";
import { FieldIssues } from "../panel/SchemaForm";
import type { Schema } from "../state/schema";
import { ErrorBox } from "../page/ui";
import { training } from "./api";
import { formatCount } from "./format";
import { changedSettings, datasetUsable, issuesFromError, sectionFields, slugify, stageAvailability, validateSettings, type Settings } from "./settings";
import { KeepGeneral, Setting } from "./SettingsFields";

export interface NewJobPrefill {
  datasetIds?: number[];
  from?: string; // a job id whose settings to start from
  fix?: string; // the setting the failed job asks to change
}

export function NewJob({ options, prefill }: { options: TrainingOptions; prefill: NewJobPrefill }) {
  const schema = options.settings_schema as Schema;
  const [datasets, setDatasets] = useState<TrainingDataset[] | null>(null);
  const [adapters, setAdapters] = useState<TrainingAdapter[]>([]);
  const [name, setName] = useState("");
  const [adapterName, setAdapterName] = useState("");
  const [baseModel, setBaseModel] = useState(options.base_models[0]?.id ?? "embedded");
  const [stage, setStage] = useState("sft");
  const [picked, setPicked] = useState<number[]>(prefill.datasetIds ?? []);
  const [settings, setSettings] = useState<Settings>(() => structuredClone(options.defaults));
  const [issues, setIssues] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [from, setFrom] = useState<TrainingJobDetail | null>(null);

  useEffect(() => {
    training.datasets().then((rows) => {
      setDatasets(rows);
      // the only dataset there is: ticked, unless the link or the job started from named others
      if (rows.length === 1 && !prefill.datasetIds && !prefill.from) setPicked([rows[0].id]);
    }, setError);
    training.adapters().then(setAdapters, () => setAdapters([]));
  }, []);
  useEffect(() => {
    if (!prefill.from) return;
    training.job(prefill.from).then((job) => {
      setFrom(job);
      setName(`${job.name} (2)`);
      setBaseModel(job.base_model);
      setStage(job.stage);
      setPicked(job.dataset_ids);
      setSettings({ ...structuredClone(options.defaults), ...job.settings });
      if (prefill.fix) setIssues({ [`settings.${prefill.fix}`]: job.error || "The failed job asks to change this setting." });
    }, setError);
  }, [prefill.from, prefill.fix, options.defaults]);

  const rmAdapters = adapters.filter((a) => a.stage === "rm");
  const stageInfo = options.stages.find((s) => s.id === stage);
  const available = useMemo(() => Object.fromEntries(options.stages.map((s) => [s.id, stageAvailability(s, datasets ?? [], rmAdapters.length)])), [options.stages, datasets, rmAdapters.length]);
  const sections = sectionFields(schema).filter((s) => !s.stages || s.stages.includes(stage));
  const pickedRows = (datasets ?? []).filter((d) => picked.includes(d.id));

  const toggle = (id: number) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p, id]));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const local = validateSettings(schema, settings);
    if (!name.trim()) local.name = "Give the job a name";
    if (!picked.length) local.dataset_ids = "Pick at least one dataset";
    setIssues(local);
    setError(null);
    if (Object.keys(local).length) return;
    setBusy(true);
    try {
      const job = await training.createJob({
        name: name.trim(),
        base_model: baseModel,
        stage: stage as TrainingJobDetail["stage"],
        dataset_ids: picked,
        settings: changedSettings(options.defaults, settings, stage),
        adapter_name: adapterName.trim(),
      });
      // the job's own address in place of the form's, so reload shows the job and Back the list
      window.location.replace(`#jobs/${job.id}`);
    } catch (err) {
      const found = issuesFromError(err);
      setIssues(found);
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <FieldIssues.Provider value={issues}>
      <form className="tp-new-job" onSubmit={submit} data-testid="job-form" noValidate>
        <div className="tp-view-head">
          <div>
            <a href="#jobs" className="small">← Jobs</a>
            <h2 className="tp-title">New training job</h2>
            {from && <p className="small muted">Settings of “{from.name}”{prefill.fix ? <> — change <code>{prefill.fix}</code> and start again</> : null}.</p>}
          </div>
        </div>
        <div className="tp-form-grid">
          <div className="tp-form-main">
            <section className="card tp-card">
              <h3>Job</h3>
              <div className="tp-row">
                <div className={`field${issues.name ? " field-invalid" : ""}`}>
                  <label htmlFor="job-name">Name</label>
                  <input id="job-name" data-testid="job-name" type="text" required maxLength={100} placeholder="e.g. identity-v1" value={name} onChange={(e) => setName(e.target.value)} />
                  {issues.name && <p className="field-error">{issues.name}</p>}
                </div>
                <div className={`field${issues.adapter_name ? " field-invalid" : ""}`}>
                  <label htmlFor="job-adapter-name">Adapter name</label>
                  <input id="job-adapter-name" data-testid="job-adapter-name" type="text" maxLength={60} pattern="[a-z0-9][a-z0-9_-]*" placeholder={slugify(name) || "from the job name"} value={adapterName} onChange={(e) => setAdapterName(e.target.value)} />
                  {issues.adapter_name ? <p className="field-error">{issues.adapter_name}</p> : <p className="field-help">the model name LLM nodes pick; lower case, digits, - and _</p>}
                </div>
              </div>
              <div className="tp-row">
                <div className={`field${issues.base_model ? " field-invalid" : ""}`}>
                  <label htmlFor="job-base-model">Base model</label>
                  <select id="job-base-model" data-testid="job-base-model" value={baseModel} onChange={(e) => setBaseModel(e.target.value)}>
                    {options.base_models.map((m) => (
                      <option key={m.id} value={m.id}>
                        {m.label}
                      </option>
                    ))}
                  </select>
                  {issues.base_model && <p className="field-error">{issues.base_model}</p>}
                </div>
                <div className={`field${issues.stage ? " field-invalid" : ""}`}>
                  <label htmlFor="job-stage">Stage</label>
                  <select id="job-stage" data-testid="job-stage" value={stage} onChange={(e) => setStage(e.target.value)}>
                    {options.stages.map((s) => (
                      <option key={s.id} value={s.id} disabled={!available[s.id]?.ok && s.id !== stage} title={available[s.id]?.why}>
                        {s.label}
                        {available[s.id]?.ok ? "" : " — unavailable"}
                      </option>
                    ))}
                  </select>
                  {issues.stage ? (
                    <p className="field-error">{issues.stage}</p>
                  ) : (
                    <ul className="tp-stage-why field-help" data-testid="stage-why">
                      {options.stages
                        .filter((s) => !available[s.id]?.ok)
                        .map((s) => (
                          <li key={s.id}>
                            <strong>{s.id}</strong> {available[s.id].why}
                          </li>
                        ))}
                    </ul>
                  )}
                </div>
              </div>
              <fieldset className={`field tp-datasets-pick${issues.dataset_ids ? " field-invalid" : ""}`} data-testid="job-datasets">
                <legend>Datasets</legend>
                {datasets === null && <span className="muted small">loading…</span>}
                {datasets && !datasets.length && (
                  <p className="muted small">
                    No datasets yet: <a href="#datasets">upload one or use the identity demo</a>.
                  </p>
                )}
                {(datasets ?? []).map((d) => {
                  const usable = datasetUsable(stageInfo, d);
                  return (
                    <label key={d.id} className={`tp-pick${picked.includes(d.id) ? " active" : ""}${usable ? "" : " disabled"}`} title={usable ? "" : "not preference data: this stage needs chosen / rejected rows"}>
                      <input type="checkbox" value={d.id} data-testid={`job-dataset-${d.id}`} checked={picked.includes(d.id)} disabled={!usable} onChange={() => toggle(d.id)} />
                      <span>
                        <strong>{d.name}</strong>
                        <span className="small muted">
                          {" "}
                          {d.format}
                          {d.ranking ? " · preference" : ""} · {formatCount(d.rows)} rows · {formatCount(d.tokens)} tokens
                        </span>
                      </span>
                    </label>
                  );
                })}
                {issues.dataset_ids && <p className="field-error">{issues.dataset_ids}</p>}
              </fieldset>
            </section>
            <KeepGeneral value={settings} schema={schema} onChange={setSettings} />
            {sections.map((section) => (
              <section key={section.id} className="card tp-card" data-testid={`settings-${section.id}`}>
                <h3>{section.title}</h3>
                <div className="tp-fields">
                  {section.fields.map((f) => (
                    <Setting key={f} name={f} path={`settings.${f}`} prop={schema.properties![f]} root={schema} value={settings[f]} rmAdapters={rmAdapters} onChange={(v) => setSettings((s) => ({ ...s, [f]: v }))} />
                  ))}
                </div>
              </section>
            ))}
          </div>
          <aside className="tp-form-side">
            <div className="card tp-card tp-sticky">
              <h3>Summary</h3>
              <dl className="tp-summary">
                <dt>Stage</dt>
                <dd>{stageInfo?.label}</dd>
                <dt>Data</dt>
                <dd>{pickedRows.length ? `${pickedRows.length} dataset${pickedRows.length > 1 ? "s" : ""}, ${formatCount(pickedRows.reduce((n, d) => n + d.rows, 0))} rows` : "none picked"}</dd>
                <dt>Changed settings</dt>
                <dd>
                  {Object.keys(changedSettings(options.defaults, settings, stage)).join(", ") || "defaults"}
                </dd>
              </dl>
              <ErrorBox error={error} testid="job-form-error" />
              <button className="btn btn-primary btn-block" data-testid="job-start" disabled={busy}>
                {busy && <span className="spinner spinner-sm" />} Start training
              </button>
              <button
                type="button"
                className="btn btn-ghost btn-block"
                onClick={() => {
                  setSettings(structuredClone(options.defaults));
                  setIssues({});
                }}
              >
                Reset settings to defaults
              </button>
            </div>
          </aside>
        </div>
      </form>
    </FieldIssues.Provider>
  );
}
