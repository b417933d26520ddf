// The editor's top bar: where you are, whether the draft is saved, and the commands.
import { useReactFlow } from "@xyflow/react";
import type { RefObject } from "react";

import { useEditor, type SaveState, type SidePanel } from "../state/store";
import { PublishButton } from "../versions/PublishButton";
import { NodeSearch } from "./NodeSearch";

// Short labels: the save state sits in a box of one fixed width (styles.css .save-state), so the
// tools beside it never move when it changes; the banner under the bar says more.
export const SAVE_LABEL: Record<SaveState, string> = {
  loading: "Loading…",
  saved: "Saved",
  dirty: "Unsaved changes",
  saving: "Saving…",
  conflict: "Not saved (conflict)",
  error: "Save failed",
  readonly: "Read only",
};

/** Where the saved draft downloads as a Dify DSL file (builder/dsl_api.py). */
export function dslUrl(appId: number): string {
  return `/api/apps/${appId}/dsl`;
}

function PanelButton({ panel, label, testid }: { panel: SidePanel; label: string; testid: string }) {
  const current = useEditor((s) => s.panel);
  return (
    <button
      type="button"
      className={`btn${current === panel ? " btn-active" : ""}`}
      aria-pressed={current === panel}
      data-testid={testid}
      onClick={() => useEditor.getState().setPanel(current === panel ? null : panel)}
    >
      {label}
    </button>
  );
}

export function Toolbar({ searchRef, appUrl }: { searchRef: RefObject<HTMLInputElement | null>; appUrl: string }) {
  const appName = useEditor((s) => s.appName);
  const mode = useEditor((s) => s.mode);
  const save = useEditor((s) => s.save);
  const canUndo = useEditor((s) => s.history.past.length > 0);
  const canRedo = useEditor((s) => s.history.future.length > 0);
  const canEdit = useEditor((s) => s.canEdit);
  const theme = useEditor((s) => s.theme);
  const appId = useEditor((s) => s.appId);
  const { fitView } = useReactFlow();
  const s = useEditor.getState;
  return (
    <header className="ed-top">
      <a className="ed-back" href={appUrl} title="Back to the app page">
        ←
      </a>
      <div className="ed-app">
        <strong>{appName}</strong>
        <span className={`badge badge-${mode}`}>{mode === "chat" ? "Chat" : "Workflow"}</span>
      </div>
      <span className={`save-state save-${save.state}`} data-testid="save-state" data-state={save.state} title={save.message ?? SAVE_LABEL[save.state]}>
        {SAVE_LABEL[save.state]}
      </span>
      <NodeSearch ref={searchRef} />
      <div className="ed-tools" role="toolbar" aria-label="Editor tools">
        <button type="button" className="btn" onClick={() => s().undo()} disabled={!canUndo} title="Undo (Ctrl+Z)" aria-label="Undo">
          ↶
        </button>
        <button type="button" className="btn" onClick={() => s().redo()} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)" aria-label="Redo">
          ↷
        </button>
        <button type="button" className="btn" onClick={() => { s().layout(); setTimeout(() => void fitView({ padding: 0.2, duration: 300 }), 50); }} disabled={!canEdit} title="Arrange the graph left to right" data-testid="auto-layout">
          Auto-layout
        </button>
        <button type="button" className="btn" onClick={() => void fitView({ padding: 0.2, duration: 300 })} title="Fit the graph in view">
          Fit
        </button>
        <button
          type="button"
          className="btn"
          onClick={() => s().setTheme(theme === "dark" ? "light" : "dark")}
          title="Switch theme"
          aria-label={theme === "dark" ? "Light theme" : "Dark theme"}
          data-testid="theme-toggle"
        >
          {theme === "dark" ? "☀" : "☾"}
        </button>
      </div>
      <div className="ed-actions">
        <PanelButton panel="env" label="Env" testid="open-env" />
        {mode === "chat" && <PanelButton panel="conversation" label="Conversation" testid="open-conversation" />}
        <PanelButton panel="versions" label="Versions" testid="open-versions" />
        <a className="btn" href={dslUrl(appId)} download data-testid="export-dsl" title="Download the saved draft as a Dify DSL file (YAML, without secret values)">
          Export DSL
        </a>
        <PanelButton panel="run" label={mode === "chat" ? "Preview" : "Run"} testid="open-run" />
        {canEdit && <PublishButton />}
      </div>
    </header>
  );
}
