// One job, live: status, step / total with ETA and throughput, the loss and learning-rate curves
// growing from the WebSocket, notes, the log tail, Stop / Resume, the error and the setting to
// change, and once finished the evaluation and the registered adapter.
import { useEffect, useRef, useState } from "react";

import type { TrainingEval, TrainingJobDetail } from "../api/types";
import { ago, ErrorBox, ProgressBar, Stat } from "../page/ui";
import { training } from "./api";
import { LineChart } from "./charts";
import { formatCount, formatEta, percent } from "./format";
import { curveSeries, fractionDone, isActive } from "./live";
import { LABELS } from "./settings";
import { UseInApp } from "./UseInApp";
import { useJob, type JobSource } from "./useJob";
import { formatNumber, StatusPill, useBaseLabel } from "./ui";

const ERROR_HINTS: Record<string, string> = {
  bad_dataset: "A dataset has rows the trainer cannot read.",
  row_too_long: "Rows are longer than the cutoff length.",
  empty_dataset: "No rows are left to train on (all dropped, or max samples is 0).",
  bad_base_model: "The base model could not be loaded.",
  out_of_memory: "The model, batch and sequence length do not fit in memory.",
  disk_full: "The disk is full: free space, then resume.",
  crash: "The trainer stopped unexpectedly; the log tail shows the last lines.",
};

function LogTail({ lines, active, folder }: { lines: string[]; active: boolean; folder: string }) {
  const box = useRef<HTMLPreElement>(null);
  const stick = useRef(true);
  useEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lines]);
  return (
    <details className="card tp-card tp-log" open>
      <summary>
        <h3>Log</h3>
        <span className="small muted" data-testid="job-folder">
          last {lines.length} lines of trainer.log in <code>{folder}</code> under the server's data folder{active ? " · following" : ""}
        </span>
      </summary>
      <pre
        ref={box}
        className="code tp-log-box"
        data-testid="job-log"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {lines.length ? lines.join("\n") : "(nothing logged yet)"}
      </pre>
    </details>
  );
}

/** Green from 70 %, amber from 30 %, else red. */
export function scoreClass(v: number | null | undefined): string {
  if (v == null) return "";
  return v >= 0.7 ? "tp-good" : v >= 0.3 ? "tp-warn" : "tp-bad";
}

function Evaluation({ ev }: { ev: TrainingEval }) {
  const d = ev.details as Record<string, unknown>;
  const held = (Array.isArray(d.held_out) ? d.held_out : []) as { prompt: string; reference?: string; answer: string; ok: boolean; score?: number }[];
  const general = (Array.isArray(d.general) ? d.general : []) as { prompt: string; answer: string; base: string; ok: boolean }[];
  return (
    <section className="card tp-card tp-eval" data-testid="job-eval">
      <h3>Evaluation</h3>
      <div className="tp-eval-grid">
        <div className="tp-big" data-testid="eval-learned" data-value={ev.learned ?? ""}>
          <div className={`tp-big-value ${scoreClass(ev.learned)}`}>{percent(ev.learned)}</div>
          <div className="tp-big-label">learned</div>
          <p className="small muted">Share of the held-out rows (never trained on) that the adapter answers like your data does.</p>
        </div>
        <div className="tp-big" data-testid="eval-preserved" data-value={ev.preserved ?? ""}>
          <div className={`tp-big-value ${scoreClass(ev.preserved)}`}>{percent(ev.preserved)}</div>
          <div className="tp-big-label">preserved</div>
          <p className="small muted">Share of general questions it still answers like the base model: the skills the training kept.</p>
        </div>
      </div>
      {(held.length > 0 || general.length > 0) && (
        <details className="tp-eval-details">
          <summary>Details: {held.length} held-out rows, {general.length} general probes{typeof d.factual_total === "number" && d.factual_total ? `, ${d.factual_correct}/${d.factual_total} factual answers right (base: ${d.factual_base_correct})` : ""}</summary>
          {held.length > 0 && (
            <table className="table tp-table">
              <thead>
                <tr>
                  <th>Held-out prompt</th>
                  <th>Adapter's answer</th>
                  <th>Reference</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {held.slice(0, 20).map((r, i) => (
                  <tr key={i}>
                    <td>{r.prompt}</td>
                    <td>{r.answer}</td>
                    <td className="muted">{r.reference}</td>
                    <td>{r.ok ? "✓" : "✗"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {general.length > 0 && (
            <table className="table tp-table">
              <thead>
                <tr>
                  <th>General probe</th>
                  <th>Adapter</th>
                  <th>Base model</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {general.slice(0, 20).map((r, i) => (
                  <tr key={i}>
                    <td>{r.prompt}</td>
                    <td>{r.answer}</td>
                    <td className="muted">{r.base}</td>
                    <td>{r.ok ? "✓" : "✗"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </details>
      )}
    </section>
  );
}

function AdapterCard({ job, canEdit }: { job: TrainingJobDetail; canEdit: boolean }) {
  const base = useBaseLabel()(job.base_model).replace(/ \(embedded\)$/, "");
  const [registered, setRegistered] = useState("");
  const [picking, setPicking] = useState(false);
  useEffect(() => {
    training.adapters().then((all) => setRegistered(all.find((a) => a.name === job.adapter)?.label ?? ""), () => undefined);
  }, [job.adapter]);
  const label = registered || `${base} + ${job.adapter}`;
  return (
    <section className="card tp-card tp-adapter-card" data-testid="job-adapter" data-adapter={job.adapter ?? ""}>
      <div>
        <div className="tp-card-kicker">Adapter registered</div>
        <h3>
          <code>{job.adapter}</code>
        </h3>
        <p className="small muted">
          Every LLM node of this workspace can use it now: in the node's model, pick <strong>“{label}”</strong> (provider {job.base_model === "embedded" ? "embedded" : "vllm"}).
        </p>
      </div>
      <div className="form-actions">
        {canEdit && (
          <button type="button" className="btn btn-primary" data-testid="use-in-app" aria-expanded={picking} onClick={() => setPicking(!picking)}>
            Use it in an app
          </button>
        )}
        <a className="btn" href={`#adapters/${encodeURIComponent(job.adapter ?? "")}`} data-testid="try-adapter">
          Try it
        </a>
      </div>
      {picking && job.adapter && <UseInApp adapter={{ name: job.adapter, base_model: job.base_model, label }} onClose={() => setPicking(false)} />}
    </section>
  );
}

function FailureCard({ job }: { job: TrainingJobDetail }) {
  const setting = job.error_setting;
  return (
    <section className="card tp-card tp-failure" data-testid="job-error" data-code={job.error_code} data-setting={setting}>
      <h3>
        Training failed <code className="err-code">{job.error_code}</code>
      </h3>
      <p>{job.error || ERROR_HINTS[job.error_code] || "The trainer reported an error."}</p>
      {job.error && ERROR_HINTS[job.error_code] && <p className="small muted">{ERROR_HINTS[job.error_code]}</p>}
      {setting && (
        <p className="tp-fix">
          Change <strong>{LABELS[setting.split(".").pop() ?? setting] ?? setting}</strong> <code>{setting}</code>
          {job.settings[setting] !== undefined && <> (now {JSON.stringify(job.settings[setting])})</>} and start again.{" "}
          <a className="btn btn-sm" href={`#jobs/new?from=${job.id}&fix=${encodeURIComponent(setting)}`}>
            New job with this setting changed
          </a>
        </p>
      )}
      {!setting && (
        <p className="small muted">
          Earlier checkpoints are intact: Resume continues from the last one, or <a href={`#jobs/new?from=${job.id}`}>start a new job with these settings</a>.
        </p>
      )}
    </section>
  );
}

export function JobView({ id, canEdit, source }: { id: string; canEdit: boolean; source?: JobSource }) {
  const { job, error, live, protocolError, replace } = useJob(id, source);
  const baseLabel = useBaseLabel();
  const [acting, setActing] = useState<"" | "stop" | "resume">("");
  const [actionError, setActionError] = useState<unknown>(null);
  if (!job) return error ? <ErrorBox error={error} /> : <div className="tp-loading"><span className="spinner" /> Loading the job…</div>;
  const p = job.progress;
  const active = isActive(job.status);
  const stopping = job.stop_requested && active;
  const act = async (what: "stop" | "resume") => {
    setActing(what);
    setActionError(null);
    try {
      replace(await (what === "stop" ? training.stopJob(job.id) : training.resumeJob(job.id)));
    } catch (e) {
      setActionError(e);
    } finally {
      setActing("");
    }
  };
  const loss = curveSeries(job.curve, "loss");
  const lr = curveSeries(job.curve, "lr");
  return (
    <div className="tp-job" data-testid="job-view" data-job={job.id}>
      <div className="tp-view-head">
        <div>
          <a href="#jobs" className="small">← Jobs</a>
          <h2 className="tp-title">
            {job.name} <StatusPill job={job} large />
          </h2>
          <div className="small muted">
            {job.stage} · {baseLabel(job.base_model)} · adapter <code>{job.adapter_name}</code> · created {ago(job.created_at)}
            {job.created_by && ` by ${job.created_by}`}
            {job.attempts > 1 && ` · attempt ${job.attempts}`}
            <span className={`tp-live${live ? " on" : ""}`} title={live ? "receiving live progress" : "refreshing every few seconds"}>
              {live ? "live" : "polling"}
            </span>
          </div>
          <ErrorBox error={protocolError} testid="job-protocol-error" />
        </div>
        {canEdit && (
          <div className="form-actions">
            {active && (
              <button className="btn btn-danger" data-testid="job-stop" disabled={stopping || acting !== ""} onClick={() => act("stop")}>
                {stopping || acting === "stop" ? (
                  <>
                    <span className="spinner spinner-sm" /> stopping… saving a checkpoint
                  </>
                ) : (
                  "Stop"
                )}
              </button>
            )}
            {job.resumable && (
              <button className="btn btn-primary" data-testid="job-resume" disabled={acting !== ""} onClick={() => act("resume")}>
                {acting === "resume" && <span className="spinner spinner-sm" />} Resume{job.progress.checkpoint ? " from the checkpoint" : ""}
              </button>
            )}
          </div>
        )}
      </div>
      <ErrorBox error={actionError} />
      {job.status === "failed" && <FailureCard job={job} />}
      {job.status === "interrupted" && (
        <div className="alert tp-alert tp-info">The worker running this job went away. Its checkpoints are kept: Resume continues from the last one.</div>
      )}
      {job.status === "stopped" && (
        <div className="alert tp-alert tp-info">
          Stopped{p.checkpoint?.step ? ` at step ${p.checkpoint.step}` : ""}; the checkpoint is saved. Resume continues with the same data order and optimizer state.
        </div>
      )}
      <section className="card tp-card tp-progress" data-testid="job-progress">
        <div className="tp-progress-top">
          <div className="tp-step" data-testid="job-step" data-step={p.step ?? 0} data-total={p.total_steps ?? 0}>
            <span className="tp-step-now">{p.step ?? 0}</span>
            <span className="muted"> / {p.total_steps ?? "?"} steps</span>
          </div>
          <div className="muted">{Math.round(fractionDone(job) * 100)} %</div>
        </div>
        <ProgressBar fraction={fractionDone(job)} active={active} label="Training progress" />
        <div className="tp-stats tp-stats-6">
          <Stat label="Epoch" value={p.epoch != null ? `${formatNumber(p.epoch, 3)} / ${p.epochs ?? "?"}` : "–"} />
          <Stat label="Loss" value={formatNumber(p.loss)} />
          <Stat label="Tokens / s" value={formatCount(p.tokens_per_s)} />
          <Stat label="ETA" value={active ? formatEta(p.eta_s) : "–"} />
          <Stat label="Memory" value={p.memory_mb != null ? `${formatCount(p.memory_mb)} MB` : "–"} />
          <Stat label="Compute" value={p.compute_type ?? "–"} sub={p.device ?? undefined} />
        </div>
        {(p.train_rows != null || p.val_rows != null) && (
          <p className="small muted tp-rows">
            {formatCount(p.train_rows)} training rows · {formatCount(p.val_rows)} held out for the evaluation
            {p.replay_rows ? ` · ${formatCount(p.replay_rows)} general (replay) rows mixed in` : ""}
          </p>
        )}
        {job.status === "queued" && <p className="small muted tp-phase">Waiting for the training worker (<code>manage.py db_worker</code>) to pick the job up…</p>}
        {job.status === "running" && p.total_steps == null && (
          <p className="small muted tp-phase" data-testid="job-preparing">
            <span className="spinner spinner-sm" /> Preparing: loading the base model, tokenizing the data and, to keep general skills, writing the general examples it mixes in. The first step follows.
          </p>
        )}
      </section>
      {(p.notes ?? []).length > 0 && (
        <section className="tp-notes" data-testid="job-notes">
          {(p.notes ?? []).map((n, i) => (
            <div key={i} className="tp-note">
              ℹ {n}
            </div>
          ))}
        </section>
      )}
      <div className="tp-grid-2">
        <div className="card tp-card">
          <LineChart points={loss} label="Training loss" color="#155eef" testid="loss-chart" xEnd={p.total_steps} smooth />
        </div>
        <div className="card tp-card">
          <LineChart points={lr} label="Learning rate" color="#7a5af8" testid="lr-chart" xEnd={p.total_steps} />
        </div>
      </div>
      {job.eval && (job.eval.learned != null || job.eval.preserved != null) && <Evaluation ev={job.eval} />}
      {job.status === "succeeded" && job.adapter && <AdapterCard job={job} canEdit={canEdit} />}
      <LogTail lines={job.log_tail} active={active} folder={job.output_dir} />
      {error && <p className="small muted">Last refresh failed: {error}</p>}
    </div>
  );
}
