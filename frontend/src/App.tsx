// The editor: toolbar on top, palette left, canvas in the middle with the issue list under it, the
// side panel right (panel/SidePanel.tsx). Nothing covers the canvas: what sits beside or under it
// takes its room, so fit and auto-layout leave that room.
import { ReactFlowProvider } from "@xyflow/react";
import { useEffect, useRef, useState } from "react";

import { api } from "./api/client";
import type { NodeTypeInfo, Provider } from "./api/types";
import { Canvas } from "./canvas/Canvas";
import { IssueList } from "./canvas/IssueList";
import { onKeyDown } from "./canvas/keyboard";
import { Palette } from "./canvas/Palette";
import { SaveBanner } from "./canvas/SaveBanner";
import { Toolbar } from "./canvas/Toolbar";
import { SidePanel } from "./panel/SidePanel";
import { loadLastRun } from "./run/actions";
import { readPref } from "./state/prefs";
import { THEME_KEY, useEditor } from "./state/store";
import { failureText, loadDraft, startSync } from "./state/sync";

export interface EditorProps {
  appId: number;
  appName: string;
  mode: "chat" | "workflow";
  canEdit: boolean;
  appUrl: string;
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
    const saved = readPref(THEME_KEY);
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
