// The training panel: datasets, jobs (with live progress) and adapters, one tab each; the URL
// hash keeps the tab and the open job so a reload lands on the same view.
import { useEffect, useState } from "react";

export type Tab = "jobs" | "datasets" | "adapters";

export function parseHash(hash: string): { tab: Tab; id: string | null } {
  const [tab, id] = hash.replace(/^#/, "").split("/");
  const known: Tab[] = ["jobs", "datasets", "adapters"];
  return { tab: known.includes(tab as Tab) ? (tab as Tab) : "jobs", id: id || null };
}

export function TrainingApp({ canEdit }: { canEdit: boolean }) {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseHash(window.location.hash));
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  const tabs: [Tab, string][] = [
    ["jobs", "Jobs"],
    ["datasets", "Datasets"],
    ["adapters", "Adapters"],
  ];
  return (
    <div className="tp" data-can-edit={canEdit ? "1" : "0"}>
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
      <section className="tp-body" data-tab={route.tab} />
    </div>
  );
}
