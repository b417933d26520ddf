// The editor: toolbar on top, palette left, canvas in the middle, the side panel right. The side
// panel sits beside the canvas (the canvas area shrinks; it never covers it), closes with its ×
// or Escape, and a palette item let go over it lands on the canvas.
import { ReactFlowProvider } from "@xyflow/react";
import { useEffect, useRef, useState } from "react";

import { api } from "./api/client";
import type { NodeTypeInfo, Provider } from "./api/types";
import { Canvas } from "./canvas/Canvas";
import { useNodeDrop } from "./canvas/drop";
import { IssueList } from "./canvas/IssueList";
import { onKeyDown } from "./canvas/keyboard";
import { Palette } from "./canvas/Palette";
import { SaveBanner } from "./canvas/SaveBanner";
import { Toolbar } from "./canvas/Toolbar";
import { EnvPanel } from "./panel/EnvPanel";
import { NodePanel } from "./panel/NodePanel";
import { loadLastRun } from "./run/actions";
import { RunPanel } from "./run/RunPanel";
import { useEditor } from "./state/store";
import { failureText, loadDraft, startSync } from "./state/sync";
import { VersionsPanel } from "./versions/VersionsPanel";

export interface EditorProps {
  appId: number;
  appName: string;
  mode: "chat" | "workflow";
  canEdit: boolean;
  appUrl: string;
}

function SidePanel() {
  const panel = useEditor((s) => s.panel);
  const { onDragOver, onDrop } = useNodeDrop();
  if (!panel) return null;
  return (
    <aside className="ed-side" aria-label="Side panel" data-panel={panel} onDragOver={onDragOver} onDrop={onDrop}>
      <button
        type="button"
        className="icon-button side-close"
        aria-label="Close panel"
        title="Close the panel (Esc)"
        data-testid="close-panel"
        onClick={() => useEditor.getState().setPanel(null)}
      >
        ×
      </button>
      {panel === "node" && <NodePanel />}
      {panel === "run" && <RunPanel />}
      {panel === "versions" && <VersionsPanel />}
      {panel === "env" && <EnvPanel />}
    </aside>
  );
}

function Toast() {
  const toast = useEditor((s) => s.toast);
  useEffect(() => {
    if (!toast) return;
    // Long enough to read: a note that names what was left out is a sentence or two.
    const t = setTimeout(() => useEditor.setState({ toast: null }), 2500 + 40 * toast.text.length);
    return () => clearTimeout(t);
  }, [toast]);
  return toast ? (
    <div className={`toast toast-${toast.kind}`} role="status">
      {toast.text}
    </div>
  ) : null;
}

/** ?node=<id> (the training panel's "Use it in an app" links so) opens with that node selected. */
function openNodeFromUrl(): void {
  const nodeId = new URLSearchParams(window.location.search).get("node");
  const s = useEditor.getState();
  if (!nodeId || !s.nodes.some((n) => n.id === nodeId)) return;
  s.select([nodeId]);
  s.setPanel("node");
}

export function EditorApp(props: EditorProps) {
  const [error, setError] = useState<string | null>(null);
  const [ready, setReady] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const saved = (() => {
      try {
        return localStorage.getItem("weft.theme");
      } catch {
        return null;
      }
    })();
    useEditor.setState({
      appId: props.appId,
      appName: props.appName,
      mode: props.mode,
      canEdit: props.canEdit,
      theme: saved === "dark" ? "dark" : "light",
    });
    let stop = () => {};
    (async () => {
      const [catalog, providers] = await Promise.all([
        api<NodeTypeInfo[]>("GET", "/node-types"),
        api<Provider[]>("GET", "/providers").catch(() => [] as Provider[]),
      ]);
      useEditor.setState({ providers });
      useEditor.getState().setCatalog(catalog);
      await loadDraft(props.appId);
      openNodeFromUrl();
      void loadLastRun(props.appId);
      stop = startSync();
      setReady(true);
    })().catch((e: unknown) => setError(failureText(e)));
    const keys = (e: KeyboardEvent) => onKeyDown(e, () => searchRef.current?.focus());
    window.addEventListener("keydown", keys);
    return () => {
      stop();
      window.removeEventListener("keydown", keys);
    };
  }, [props.appId, props.appName, props.mode, props.canEdit]);

  return (
    <ReactFlowProvider>
      <div className="editor" data-ready={ready ? "1" : "0"}>
        <Toolbar searchRef={searchRef} appUrl={props.appUrl} />
        <SaveBanner />
        {error && (
          <div className="banner banner-error" role="alert">
            The editor could not load: {error}
          </div>
        )}
        <div className="ed-main">
          <Palette />
          <div className="ed-center">
            {ready && <Canvas />}
            <IssueList />
          </div>
          <SidePanel />
        </div>
        <Toast />
      </div>
    </ReactFlowProvider>
  );
}
