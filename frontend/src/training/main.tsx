// Mounts the training panel on the page Django renders (templates/portal/training.html).
import "./training.css";

import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { TrainingApp } from "./TrainingApp";

const root = document.getElementById("weft-training");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <TrainingApp canEdit={root.dataset.canEdit === "1"} />
    </StrictMode>,
  );
}
