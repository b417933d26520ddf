// Calls to /api/training/ (JSON and, through the shared client's uploadForm, file uploads), and the
// job WebSocket's address.
import { api } from "../api/client";
import type { components } from "../api/schema";
import type { WorkflowSpec } from "../api/spec";
import type {
  Draft,
  DraftSaved,
  TrainingAdapter,
  TrainingDataset,
  TrainingDatasetDetail,
  TrainingIdentityIn,
  TrainingJob,
  TrainingJobDetail,
  TrainingJobIn,
  TrainingMerge,
  TrainingOptions,
  TrainingPlaygroundIn,
  TrainingPlaygroundOut,
} from "../api/types";

export const training = {
  options: () => api<TrainingOptions>("GET", "/training/options"),
  datasets: () => api<TrainingDataset[]>("GET", "/training/datasets"),
  dataset: (id: number | string) => api<TrainingDatasetDetail>("GET", `/training/datasets/${id}`),
  deleteDataset: (id: number) => api<void>("DELETE", `/training/datasets/${id}`),
  identity: (body: TrainingIdentityIn) => api<TrainingDatasetDetail>("POST", "/training/datasets/identity", body),
  jobs: () => api<TrainingJob[]>("GET", "/training/jobs"),
  job: (id: string) => api<TrainingJobDetail>("GET", `/training/jobs/${id}`),
  createJob: (body: TrainingJobIn) => api<TrainingJobDetail>("POST", "/training/jobs", body),
  stopJob: (id: string) => api<TrainingJobDetail>("POST", `/training/jobs/${id}/stop`),
  resumeJob: (id: string) => api<TrainingJobDetail>("POST", `/training/jobs/${id}/resume`),
  deleteJob: (id: string) => api<void>("DELETE", `/training/jobs/${id}`),
  adapters: () => api<TrainingAdapter[]>("GET", "/training/adapters"),
  deleteAdapter: (id: number) => api<void>("DELETE", `/training/adapters/${id}`),
  mergeAdapter: (id: number) => api<TrainingMerge>("POST", `/training/adapters/${id}/merge`),
  exportUrl: (id: number) => `/api/training/adapters/${id}/export`,
  playground: (body: TrainingPlaygroundIn) => api<TrainingPlaygroundOut>("POST", "/training/playground", body),
};

export type AppSummary = components["schemas"]["AppOut"];

/** The editor's API, for putting an adapter into an app's LLM node (training never imports
 * builder: it goes through the same HTTP API the editor saves with). */
export const apps = {
  list: () => api<AppSummary[]>("GET", "/apps"),
  draft: (appId: number) => api<Draft>("GET", `/apps/${appId}/draft`),
  saveDraft: (appId: number, spec: WorkflowSpec, revision: number) => api<DraftSaved>("PUT", `/apps/${appId}/draft`, { spec, revision }),
};

export interface Me {
  current_workspace_id: number | null;
  workspaces: { id: number; role: string }[];
}

/** The signed-in user's role in the current workspace ("" when unknown). */
export async function currentRole(): Promise<string> {
  const me = await api<Me>("GET", "/me");
  return me.workspaces.find((w) => w.id === me.current_workspace_id)?.role ?? "";
}

export const ROLE_RANK: Record<string, number> = { viewer: 0, editor: 1, admin: 2, owner: 3 };

/** The job's live socket address on this page's host. */
export function jobSocketUrl(jobId: string, location: Pick<Location, "protocol" | "host"> = window.location): string {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/ws/training/jobs/${jobId}/`;
}
