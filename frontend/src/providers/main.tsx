// Mounts the Model providers page on the page Django renders (templates/portal/providers.html).
import "./providers.css";

import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { ProvidersApp } from "./ProvidersApp";

const root = document.getElementById("weft-providers");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <ProvidersApp canAdmin={root.dataset.canAdmin === "1"} canEdit={root.dataset.canEdit === "1"} />
    </StrictMode>,
  );
}
