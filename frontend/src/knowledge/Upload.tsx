// Adding documents: drop files on the zone or pick them (many at once). The knowledge base's limits
// are said before anything is sent and checked on each file first; the rest go up one request each, so every file
// shows its own progress and, when the server refuses it, its own reason.
import { useRef, useState, type DragEvent } from "react";

import { ApiFailure } from "../api/client";
import { ProgressBar } from "../page/ui";
import { knowledge } from "./api";
import { checkFiles, megabytes, suffixList } from "./format";
import type { Limits } from "./types";

type UploadState = "refused" | "waiting" | "uploading" | "stored" | "unchanged" | "failed";

interface Entry {
  key: number;
  name: string;
  state: UploadState;
  sent: number;
  message: string;
}

const STATE_WORDS: Record<UploadState, string> = {
  refused: "not sent",
  waiting: "waiting",
  uploading: "uploading",
  stored: "added",
  unchanged: "unchanged: already indexed, nothing to do",
  failed: "refused",
};

function reasonOf(err: unknown): string {
  if (err instanceof ApiFailure) return err.message;
  return err instanceof Error ? err.message : String(err);
}

export function UploadZone({ kbId, limits, onUploaded }: { kbId: string; limits: Limits; onUploaded: () => void }) {
  const [entries, setEntries] = useState<Entry[]>([]);
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const nextKey = useRef(0);
  const queue = useRef<Promise<void>>(Promise.resolve());

  const patch = (key: number, p: Partial<Entry>) => setEntries((es) => es.map((e) => (e.key === key ? { ...e, ...p } : e)));

  const send = async (key: number, file: File) => {
    patch(key, { state: "uploading" });
    try {
      const [doc] = await knowledge.upload(kbId, file, (sent) => patch(key, { sent }));
      patch(key, { state: doc?.unchanged ? "unchanged" : "stored", sent: 1 });
    } catch (err) {
      patch(key, { state: "failed", message: reasonOf(err) });
    }
    onUploaded();
  };

  const add = (files: File[]) => {
    if (!files.length) return;
    const { accepted, refused } = checkFiles(files, limits.file_bytes, limits.suffixes);
    const fresh: Entry[] = [];
    for (const r of refused) fresh.push({ key: nextKey.current++, name: r.name, state: "refused", sent: 0, message: r.reason });
    const jobs = accepted.map((file) => {
      const key = nextKey.current++;
      fresh.push({ key, name: file.name, state: "waiting", sent: 0, message: "" });
      return () => send(key, file);
    });
    setEntries((es) => [...fresh, ...es].slice(0, 100)); // newest first
    for (const job of jobs) queue.current = queue.current.then(job);
  };

  const drop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    add([...e.dataTransfer.files]);
  };

  return (
    <div className="card tp-card kb-upload">
      <div
        className={`kb-drop${over ? " kb-drop-over" : ""}`}
        data-testid="kb-drop"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={drop}
      >
        <strong>Drop files here</strong> or{" "}
        <button type="button" className="btn btn-sm" onClick={() => input.current?.click()}>
          Choose files…
        </button>
        <input
          ref={input}
          type="file"
          multiple
          hidden
          data-testid="kb-file-input"
          accept={limits.suffixes.join(",")}
          onChange={(e) => {
            add([...(e.target.files ?? [])]);
            e.target.value = "";
          }}
        />
        <p className="small muted" data-testid="kb-upload-rules">
          {suffixList(limits.suffixes)} · up to {megabytes(limits.file_bytes)} each · many at once. A file uploaded again unchanged is not indexed twice.
        </p>
      </div>
      {entries.length > 0 && (
        <ul className="kb-uploads" data-testid="kb-uploads">
          {entries.map((e) => (
            <li key={e.key} className={`kb-upload-item kb-upload-${e.state}`} data-testid="kb-upload" data-state={e.state} data-name={e.name}>
              <span className="kb-upload-name">{e.name}</span>
              {e.state === "uploading" ? <ProgressBar fraction={e.sent} active label={`Uploading ${e.name}`} /> : <span className="kb-upload-state">{STATE_WORDS[e.state]}</span>}
              {e.message && <span className="kb-upload-why">{e.message}</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
