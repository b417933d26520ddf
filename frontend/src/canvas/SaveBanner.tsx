// The banner over the canvas when the draft is not saved: someone else saved it (a conflict), or
// saving failed. It says what failed in words, never the server's traceback, and keeps the work.
import { useEditor } from "../state/store";
import { loadDraft, saveNow } from "../state/sync";

export function SaveBanner() {
  const save = useEditor((s) => s.save);
  if (save.state !== "conflict" && save.state !== "error") return null;
  const reload = () => void loadDraft(useEditor.getState().appId);
  return (
    <div className={`banner banner-${save.state}`} role="alert" data-testid="conflict-banner">
      {save.state === "conflict" ? (
        <>
          <span>
            Someone else saved this draft{save.conflictRevision ? ` (revision ${save.conflictRevision})` : ""} since you opened it. Your
            latest edits are not saved.
          </span>
          <button type="button" className="btn btn-primary" onClick={reload}>
            Reload their version
          </button>
        </>
      ) : (
        <>
          <span data-testid="save-error">Saving failed: {save.message}. Your edits are kept here and are sent again with your next change.</span>
          <button type="button" className="btn" onClick={() => void saveNow()}>
            Save again
          </button>
        </>
      )}
    </div>
  );
}
