// Mounts the editor on the page Django renders (templates/portal/editor.html).
import "@xyflow/react/dist/style.css";
import "./styles.css";

import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { EditorApp } from "./App";

const root = document.getElementById("weft-editor");
if (root) {
  const d = root.dataset;
  createRoot(root).render(
    <StrictMode>
      <EditorApp
        appId={Number(d.appId)}
        appName={d.appName ?? ""}
        mode={d.appMode === "workflow" ? "workflow" : "chat"}
        canEdit={d.canEdit === "1"}
        appUrl={d.appUrl ?? "/"}
      />
    </StrictMode>,
  );
}
