// A job kept live: the WebSocket's snapshot and events folded in as they come, plus a GET every
// few seconds while it runs (the log tail is not streamed, and a snapshot's curve can lag). Without
// a socket (viewers get close code 4403, or no WebSocket at all) the GET alone keeps it current.
import { useCallback, useEffect, useRef, useState } from "react";

import type { TrainingJobDetail } from "../api/types";
import { jobSocketUrl, training } from "./api";
import { decodeJobMessage, foldMessage, isActive, mergeDetail } from "./live";

export interface SocketLike {
  onmessage: ((e: { data: unknown }) => void) | null;
  onclose: ((e: { code: number }) => void) | null;
  close(): void;
}

export interface JobSource {
  openSocket: (url: string) => SocketLike;
  fetchJob: (id: string) => Promise<TrainingJobDetail>;
  pollMs: number; // while active with a socket
  fallbackPollMs: number; // while active without one
}

export const browserSource: JobSource = {
  openSocket: (url) => new WebSocket(url) as unknown as SocketLike,
  fetchJob: training.job,
  pollMs: 4000,
  fallbackPollMs: 1500,
};

export function useJob(id: string, source: JobSource = browserSource) {
  const [job, setJob] = useState<TrainingJobDetail | null>(null);
  const [error, setError] = useState("");
  const [live, setLive] = useState(false);
  const [protocolError, setProtocolError] = useState("");
  const status = job?.status;
  const stopRequested = job?.stop_requested;
  const sourceRef = useRef(source);

  const refresh = useCallback(async () => {
    try {
      const fresh = await sourceRef.current.fetchJob(id);
      setJob((ours) => (ours && ours.id === fresh.id ? mergeDetail(ours, fresh) : fresh));
      setError("");
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }, [id]);

  /** Replace the job with an action's answer (stop, resume). */
  const replace = useCallback((fresh: TrainingJobDetail) => {
    setJob((ours) => (ours && ours.id === fresh.id ? mergeDetail(ours, fresh) : fresh));
  }, []);

  useEffect(() => {
    setJob(null);
    void refresh();
  }, [refresh]);

  // The socket, reopened after a drop (not after a refusal) with a growing delay.
  useEffect(() => {
    let socket: SocketLike | null = null;
    let closed = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let delay = 1000;
    const open = () => {
      try {
        socket = sourceRef.current.openSocket(jobSocketUrl(id));
      } catch {
        setLive(false);
        return;
      }
      socket.onmessage = (e) => {
        const decoded = decodeJobMessage(e.data);
        if (!decoded.ok) {
          // Said on the page (the polled GET keeps the job current); the socket stays open.
          setProtocolError(`${decoded.error}. Reload the page to get the editor that matches the server.`);
          return;
        }
        delay = 1000;
        setLive(true);
        setJob((ours) => foldMessage(ours, decoded.message));
      };
      socket.onclose = (e) => {
        setLive(false);
        if (closed || e.code === 4403 || e.code === 1000) return;
        retry = setTimeout(open, delay);
        delay = Math.min(delay * 2, 15000);
      };
    };
    open();
    return () => {
      closed = true;
      clearTimeout(retry);
      socket?.close();
    };
  }, [id]);

  // Polling while the job is queued, running or stopping; once more when it ends.
  const active = isActive(status) || Boolean(stopRequested);
  const wasActive = useRef(false);
  useEffect(() => {
    if (!active) {
      if (wasActive.current) void refresh(); // the adapter, the final log and eval
      wasActive.current = false;
      return;
    }
    wasActive.current = true;
    const every = live ? sourceRef.current.pollMs : sourceRef.current.fallbackPollMs;
    const timer = setInterval(() => void refresh(), every);
    return () => clearInterval(timer);
  }, [active, live, refresh]);

  return { job, error, live, protocolError, refresh, replace };
}
