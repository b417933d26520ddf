// The training panel: datasets, jobs (with live progress) and adapters, one tab each; the URL
// hash keeps the tab and the open item (#jobs/<id>, #jobs/new?dataset=3, #datasets/<id>,
// #adapters/<name>) so a reload lands on the same view.
import { useCallback, useEffect, useState } from "react";

import type { TrainingOptions } from "../api/types";
import { ErrorBox } from "../page/ui";
import { AdaptersTab } from "./Adapters";
import { currentRole, ROLE_RANK, training } from "./api";
import { DatasetsTab, DatasetView } from "./Datasets";
import { JobsList } from "./JobsList";
import { JobView } from "./JobView";
import { NewJob } from "./NewJob";
import { BaseModelLabel } from "./ui";

export type Tab = "jobs" | "datasets" | "adapters";

export interface Route {
  tab: Tab;
  id: string | null;
  query: Record<string, string>;
}

export function parseHash(hash: string): Route {
  const [path, search = ""] = hash.replace(/^#/, "").split("?");
  const [tab, ...rest] = path.split("/");
  const known: Tab[] = ["jobs", "datasets", "adapters"];
  const id = rest.join("/");
  return {
    tab: known.includes(tab as Tab) ? (tab as Tab) : "jobs",
    id: id ? decodeURIComponent(id) : null,
    query: Object.fromEntries(new URLSearchParams(search)),
  };
}

export function TrainingApp({ canEdit }: { canEdit: boolean }) {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  const [options, setOptions] = useState<TrainingOptions | null>(null);
  const [optionsError, setOptionsError] = useState<unknown>(null);
  const [role, setRole] = useState("");
  useEffect(() => {
    const onHash = () => {
      setRoute(parseHash(window.location.hash));
      window.scrollTo({ top: 0 });
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    training.options().then(setOptions, setOptionsError);
    currentRole().then(setRole, () => setRole(""));
  }, []);
  const isAdmin = (ROLE_RANK[role] ?? 0) >= ROLE_RANK.admin;
  const baseLabel = useCallback((id: string) => options?.base_models.find((m) => m.id === id)?.label ?? id, [options]);
  const tabs: [Tab, string][] = [
    ["jobs", "Jobs"],
    ["datasets", "Datasets"],
    ["adapters", "Adapters"],
  ];
  let body;
  if (route.tab === "jobs" && route.id === "new") {
    body = options ? (
      <NewJob
        key={window.location.hash}
        options={options}
        prefill={{
          datasetIds: route.query.dataset ? route.query.dataset.split(",").map(Number).filter(Boolean) : undefined,
          from: route.query.from,
          fix: route.query.fix,
        }}
      />
    ) : (
      <ErrorBox error={optionsError} />
    );
  } else if (route.tab === "jobs" && route.id) {
    body = <JobView key={route.id} id={route.id} canEdit={canEdit} />;
  } else if (route.tab === "jobs") {
    body = <JobsList canEdit={canEdit} />;
  } else if (route.tab === "datasets" && route.id) {
    body = <DatasetView key={route.id} id={route.id} canEdit={canEdit} isAdmin={isAdmin} />;
  } else if (route.tab === "datasets") {
    body = <DatasetsTab canEdit={canEdit} formats={options?.formats ?? ["auto", "alpaca", "sharegpt"]} />;
  } else {
    body = <AdaptersTab canEdit={canEdit} isAdmin={isAdmin} selected={route.id} />;
  }
  return (
    <div className="tp" data-can-edit={canEdit ? "1" : "0"} data-role={role}>
      <div className="tp-head">
        <h1>Training</h1>
        <p className="muted">Fine-tune LoRA adapters on your data; a finished adapter is a model every LLM node can use.</p>
      </div>
      <nav className="tp-tabs" role="tablist">
        {tabs.map(([id, label]) => (
          <a key={id} role="tab" aria-selected={route.tab === id} className={route.tab === id ? "active" : ""} href={`#${id}`} data-testid={`tab-${id}`}>
            {label}
          </a>
        ))}
      </nav>
      <section className="tp-body" data-tab={route.tab}>
        <BaseModelLabel.Provider value={baseLabel}>{body}</BaseModelLabel.Provider>
      </section>
    </div>
  );
}
