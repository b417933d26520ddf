// Mounts the knowledge-base page on the page Django renders (templates/portal/knowledge.html),
// which tells the upload limits the server keeps.
import "./knowledge.css";

import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { KnowledgeApp } from "./KnowledgeApp";

const root = document.getElementById("weft-knowledge");
if (root) {
  const rules = {
    maxBytes: Number(root.dataset.maxFileBytes) || 15 * 2 ** 20,
    suffixes: (root.dataset.suffixes ?? ".txt,.md,.html,.pdf,.docx,.csv,.json").split(","),
  };
  createRoot(root).render(
    <StrictMode>
      <KnowledgeApp canEdit={root.dataset.canEdit === "1"} rules={rules} />
    </StrictMode>,
  );
}
