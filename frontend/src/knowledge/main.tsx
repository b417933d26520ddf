// Mounts the knowledge-base page on the page Django renders (templates/portal/knowledge.html).
import "./knowledge.css";

import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { KnowledgeApp } from "./KnowledgeApp";

const root = document.getElementById("weft-knowledge");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <KnowledgeApp canEdit={root.dataset.canEdit === "1"} />
    </StrictMode>,
  );
}
