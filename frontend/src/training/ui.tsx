// Pieces only the training tabs use: the status pill, numbers of a run, the base model's label.
// (The progress bar, error box, stat and empty state are the pages' shared ones: ../page/ui.tsx.)
import { createContext, useContext } from "react";

import type { TrainingJob } from "../api/types";
import { statusWords } from "./live";

export function StatusPill({ job, large }: { job: Pick<TrainingJob, "status" | "stop_requested" | "resumable">; large?: boolean }) {
  const stopping = job.stop_requested && (job.status === "running" || job.status === "queued");
  return (
    <span className={`status tp-status-${stopping ? "stopping" : job.status}${large ? " status-lg" : ""}`} data-testid="job-status" data-status={job.status}>
      {statusWords(job)}
    </span>
  );
}

/** A loss or learning rate, short. */
export function formatNumber(v: number | null | undefined, digits = 4): string {
  if (v == null || !Number.isFinite(v)) return "–";
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) return v.toExponential(2);
  return String(Number(v.toPrecision(digits)));
}

/** A base model's label ("smollm2-135m-instruct (embedded)") from its id, as options list them. */
export const BaseModelLabel = createContext<(id: string) => string>((id) => id);

export function useBaseLabel(): (id: string) => string {
  return useContext(BaseModelLabel);
}
