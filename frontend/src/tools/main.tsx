// Mounts the Tools page on the page Django renders (templates/portal/tools.html).
import "./tools.css";

import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { ToolsApp } from "./ToolsApp";

const root = document.getElementById("weft-tools");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <ToolsApp canAdmin={root.dataset.canAdmin === "1"} canEdit={root.dataset.canEdit === "1"} />
    </StrictMode>,
  );
}
