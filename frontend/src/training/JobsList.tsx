// The Jobs tab: every job of the workspace with its status, progress and scores; refreshed every
// few seconds while any is queued or running.
import { useEffect, useState } from "react";

import type { TrainingAdapter, TrainingJob } from "../api/types";
import { ago, Empty, ErrorBox, ProgressBar } from "../page/ui";
import { metric } from "./Adapters";
import { training } from "./api";
import { percent } from "./format";
import { fractionDone, isActive } from "./live";
import { StatusPill } from "./ui";

/** Learned / preserved of each adapter (its metrics), by adapter name. */
export type Scores = Record<string, { learned: number | null; preserved: number | null }>;

export function scoresOf(adapters: TrainingAdapter[]): Scores {
  return Object.fromEntries(adapters.map((a) => [a.name, { learned: metric(a, "learned"), preserved: metric(a, "preserved") }]));
}

export function JobsList({ canEdit }: { canEdit: boolean }) {
  const [jobs, setJobs] = useState<TrainingJob[] | null>(null);
  const [scores, setScores] = useState<Scores>({});
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout>;
    const load = async () => {
      try {
        const [rows, adapters] = await Promise.all([training.jobs(), training.adapters()]);
        if (stop) return;
        setJobs(rows);
        setScores(scoresOf(adapters));
        setError(null);
        if (rows.some((j) => isActive(j.status))) timer = setTimeout(load, 3000);
      } catch (e) {
        if (!stop) setError(e);
      }
    };
    void load();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, []);
  return (
    <div className="card tp-card" data-testid="jobs-list">
      <div className="tp-card-head">
        <h2>Jobs</h2>
        {canEdit && (
          <a className="btn btn-primary" href="#jobs/new" data-testid="new-job">
            + New job
          </a>
        )}
      </div>
      <ErrorBox error={error} />
      {jobs && !jobs.length && (
        <Empty title="No training jobs yet">
          {canEdit ? (
            <>
              Start with a dataset (<a href="#datasets">the identity demo</a> takes a minute), then <a href="#jobs/new">a new job</a>.
            </>
          ) : (
            "Editors can start jobs."
          )}
        </Empty>
      )}
      {jobs && jobs.length > 0 && (
        <table className="table tp-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Stage</th>
              <th>Status</th>
              <th style={{ width: "22%" }}>Progress</th>
              <th className="num">Learned</th>
              <th className="num">Preserved</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((j) => {
              const { learned, preserved } = scores[j.adapter ?? ""] ?? { learned: null, preserved: null };
              return (
                <tr key={j.id} className="tp-click" data-testid={`job-row-${j.id}`} data-status={j.status} onClick={() => (window.location.hash = `#jobs/${j.id}`)}>
                  <td>
                    <a href={`#jobs/${j.id}`}>{j.name}</a>
                    {j.adapter && <div className="small muted">adapter {j.adapter}</div>}
                  </td>
                  <td>
                    <span className="pill">{j.stage}</span>
                  </td>
                  <td>
                    <StatusPill job={j} />
                  </td>
                  <td>
                    <div className="tp-mini-progress">
                      <ProgressBar fraction={fractionDone(j)} active={isActive(j.status)} />
                      <span className="small muted">
                        {j.progress.step ?? 0}/{j.progress.total_steps ?? "?"}
                      </span>
                    </div>
                  </td>
                  <td className="num">{percent(learned)}</td>
                  <td className="num">{percent(preserved)}</td>
                  <td title={j.created_at}>{ago(j.created_at)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
