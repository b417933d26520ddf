// Editor shortcuts: delete, undo/redo, copy/paste (across apps, through localStorage), select all,
// save, find, and Escape to close the side panel. Keys typed into form fields are left alone.
import { isClipboard } from "../state/graph";
import { useEditor } from "../state/store";
import { saveNow } from "../state/sync";
import { pointerInFlow } from "./pointer";

export const CLIPBOARD_KEY = "weft.clipboard";

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
}

/** Escape inside a menu or a dialog closes that, not the side panel. */
function inOverlay(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el?.closest?.("[role=dialog], [role=listbox], .var-menu");
}

export function copyToClipboard(): boolean {
  const clip = useEditor.getState().copySelection();
  if (!clip) return false;
  const text = JSON.stringify(clip);
  localStorage.setItem(CLIPBOARD_KEY, text);
  void navigator.clipboard?.writeText(text).catch(() => undefined);
  useEditor.getState().notify(`Copied ${clip.nodes.length} node${clip.nodes.length === 1 ? "" : "s"}`);
  return true;
}

export function pasteFromClipboard(): boolean {
  let clip: unknown = null;
  try {
    clip = JSON.parse(localStorage.getItem(CLIPBOARD_KEY) ?? "null");
  } catch {
    return false;
  }
  if (!isClipboard(clip)) return false;
  useEditor.getState().paste(clip, pointerInFlow());
  return true;
}

export function onKeyDown(e: KeyboardEvent, focusSearch: () => void): void {
  if (typing(e.target)) return;
  const mod = e.metaKey || e.ctrlKey;
  const s = useEditor.getState();
  const key = e.key.toLowerCase();
  if ((e.key === "Delete" || e.key === "Backspace") && !mod) {
    s.deleteSelection();
  } else if (mod && key === "z" && !e.shiftKey) {
    s.undo();
  } else if (mod && ((key === "z" && e.shiftKey) || key === "y")) {
    s.redo();
  } else if (mod && key === "c") {
    if (!copyToClipboard()) return;
  } else if (mod && key === "v") {
    if (!pasteFromClipboard()) return;
  } else if (mod && key === "a") {
    s.select(s.nodes.map((n) => n.id));
  } else if (mod && key === "s") {
    void saveNow();
  } else if (mod && key === "f") {
    focusSearch();
  } else if (e.key === "Escape" && s.panel && !inOverlay(e.target)) {
    s.setPanel(null);
  } else {
    return;
  }
  e.preventDefault();
}
