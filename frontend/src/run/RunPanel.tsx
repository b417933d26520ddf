// The run panel (toolbar's Run / Preview): for workflow apps an inputs form, Run/Stop, the live
// result and the per-node trace; for chat apps the chat preview (ChatPreview.tsx).
import type { FormEvent } from "react";

import { useEditor } from "../state/store";
import { resumeRun, startRun, stopRun } from "./actions";
import { ChatPreview } from "./ChatPreview";
import { InputsForm } from "./InputsForm";
import { JsonBlock, RunErrorBox, RunFailure, RunStatusLine } from "./parts";
import { RecentRuns } from "./RecentRuns";
import { useRunSession } from "./session";
import { useStartForm } from "./startForm";
import { Trace } from "./Trace";
import { WaitingForm } from "./WaitingForm";

export function RunPanel() {
  const mode = useEditor((s) => s.mode);
  const canEdit = useEditor((s) => s.canEdit);
  return (
    <div className="run-panel" data-testid="run-panel" data-mode={mode}>
      <div className="panel-head">
        <span className="panel-title">{mode === "chat" ? "Preview" : "Test run"}</span>
      </div>
      <p className="muted panel-sub">
        {mode === "chat" ? "Chat with the saved draft." : "Runs the saved draft."} Unsaved edits are saved first; the canvas shows each node as it runs.
      </p>
      {!canEdit && <p className="run-note">You can look at past runs here; running the draft needs the editor role.</p>}
      {mode === "chat" ? <ChatPreview /> : <WorkflowRun />}
      <RecentRuns />
    </div>
  );
}

function WorkflowRun() {
  const form = useStartForm();
  const canEdit = useEditor((s) => s.canEdit);
  const run = useEditor((s) => s.run);
  const phase = useRunSession((s) => s.phase);
  const stopping = useRunSession((s) => s.stopping);
  const error = useRunSession((s) => s.error);

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const inputs = form.submit();
    if (inputs) void startRun({ inputs, query: "" });
  };

  return (
    <>
      <form className="run-form" onSubmit={onSubmit} noValidate>
        <div className="run-section-title">Inputs</div>
        {form.vars.length ? (
          <InputsForm vars={form.vars} typed={form.typed} errors={form.errors} onChange={form.onChange} disabled={!canEdit} />
        ) : (
          <p className="muted run-small">This workflow takes no inputs. Add variables on its Start node to ask for some.</p>
        )}
        <div className="run-actions">
          {phase === "idle" ? (
            <button type="submit" className="btn btn-primary run-go" data-testid="run-start" disabled={!canEdit}>
              ▶ Run
            </button>
          ) : (
            <button type="button" className="btn run-go run-stop" data-testid="run-stop" onClick={stopRun} disabled={phase !== "running" || stopping}>
              ■ {stopping ? "Stopping…" : "Stop"}
            </button>
          )}
          {phase === "saving" && <span className="muted run-small">Saving the draft…</span>}
          {phase === "connecting" && <span className="muted run-small">Starting…</span>}
        </div>
      </form>
      {error && <RunErrorBox error={error} />}
      {run.status !== "idle" && (
        <section className="run-result" data-testid="run-result">
          <RunStatusLine />
          <RunFailure run={run} />
          {run.answer && (
            <div className="run-block">
              <div className="run-block-label">Output</div>
              <pre className="run-text run-answer" data-testid="run-output">
                {run.answer}
                {run.status === "running" && <span className="run-caret" aria-hidden="true" />}
              </pre>
            </div>
          )}
          {run.status === "waiting" &&
            run.waiting.map((f) => <WaitingForm key={f.node_id} form={f} disabled={!canEdit || phase !== "idle"} onSubmit={(answers) => void resumeRun(f.node_id, answers)} />)}
          {run.status !== "running" && Object.keys(run.outputs).length > 0 && <JsonBlock label="Outputs" value={run.outputs} testid="run-outputs" />}
          <div className="run-section-title">
            Trace <span className="muted">· {run.order.length} node{run.order.length === 1 ? "" : "s"}</span>
          </div>
          <Trace />
        </section>
      )}
    </>
  );
}
