// The app's published versions, shared by the versions panel and the Publish button (which
// refreshes the list after publishing), and the calls that change them.
import { create } from "zustand";

import { api, ApiFailure } from "../api/client";
import type { Issue, Version } from "../api/types";
import { useEditor } from "../state/store";
import { loadDraft, saveNow } from "../state/sync";
import type { VersionDiff } from "./diff";

interface VersionsState {
  list: Version[] | null;
  error: string | null;
}

export const useVersions = create<VersionsState>()(() => ({ list: null, error: null }));

export async function refreshVersions(): Promise<void> {
  try {
    const list = await api<Version[]>("GET", `/apps/${useEditor.getState().appId}/versions`);
    useVersions.setState({ list, error: null });
  } catch (err) {
    useVersions.setState({ error: err instanceof Error ? err.message : String(err) });
  }
}

/** Why the draft could not be used as it is on the screen, or null when it is saved. */
function unsaved(): string | null {
  const save = useEditor.getState().save;
  if (save.state === "conflict") return "Someone else saved this draft since you opened it. Reload it first.";
  if (save.state === "error") return `The draft could not be saved (${save.message ?? "unknown error"}).`;
  return null;
}

export type PublishResult = { ok: true; version: Version } | { ok: false; message: string; issues: Issue[] };

/** Save, then publish the saved draft with a note. */
export async function publishDraft(note: string): Promise<PublishResult> {
  await saveNow();
  const problem = unsaved();
  if (problem) return { ok: false, message: problem, issues: [] };
  try {
    const version = await api<Version>("POST", `/apps/${useEditor.getState().appId}/publish`, { note });
    void refreshVersions();
    return { ok: true, version };
  } catch (err) {
    if (err instanceof ApiFailure) {
      const issues = Array.isArray(err.data.issues) ? (err.data.issues as Issue[]) : [];
      return { ok: false, message: err.code === "graph_invalid" ? "Fix these problems, then publish again:" : err.message, issues };
    }
    return { ok: false, message: err instanceof Error ? err.message : String(err), issues: [] };
  }
}

export type RestoreResult = { ok: true } | { ok: false; conflict: boolean; message: string };

/** Replace the draft with version `n`; on success the editor reloads the draft. */
export async function restoreVersion(n: number): Promise<RestoreResult> {
  await saveNow();
  const problem = unsaved();
  if (problem) return { ok: false, conflict: useEditor.getState().save.state === "conflict", message: problem };
  const { appId, revision } = useEditor.getState();
  try {
    await api("POST", `/apps/${appId}/versions/${n}/restore`, { revision });
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 409) {
      const current = err.data.current_revision;
      return {
        ok: false,
        conflict: true,
        message: `The draft changed on the server${typeof current === "number" ? ` (now revision ${current})` : ""} since you loaded it. Reload it, look it over, then restore again.`,
      };
    }
    return { ok: false, conflict: false, message: err instanceof Error ? err.message : String(err) };
  }
  await loadDraft(appId);
  return { ok: true };
}

export function fetchDiff(n: number, against: string): Promise<VersionDiff> {
  return api<VersionDiff>("GET", `/apps/${useEditor.getState().appId}/versions/${n}/diff?against=${encodeURIComponent(against)}`);
}
