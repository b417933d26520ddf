// A value loaded from the API and fetched again about once a second while `busy(value)` says
// something is in progress (a document being ingested, an evaluation running); the page has no
// socket for these. A failed fetch keeps the last value and says why.
import { useCallback, useEffect, useRef, useState } from "react";

export const POLL_MS = 1000;

export function usePolled<T>(load: () => Promise<T>, busy: (value: T) => boolean, pollMs: number = POLL_MS) {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [kick, setKick] = useState(0); // a refresh restarts the timer (after an action)
  const loadRef = useRef(load);
  loadRef.current = load;

  const refresh = useCallback(async () => {
    try {
      setValue(await loadRef.current());
      setError(null);
    } catch (err) {
      setError(err);
    }
    setKick((k) => k + 1);
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const active = value !== null && busy(value);
  useEffect(() => {
    if (!active) return;
    const timer = setTimeout(() => void refresh(), pollMs);
    return () => clearTimeout(timer);
  }, [active, kick, pollMs, refresh]);

  return { value, error, refresh, setValue };
}
