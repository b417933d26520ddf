// The editor's calls to the JSON API (/api/). Same-origin, session cookie plus Django's CSRF token.

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly data: Record<string, unknown>,
  ) {
    super(message);
  }
}

export function csrfToken(): string {
  const input = document.querySelector<HTMLInputElement>("input[name=csrfmiddlewaretoken]");
  if (input) return input.value;
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", "X-CSRFToken": csrfToken() };
  const init: RequestInit = { method, credentials: "same-origin", headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`/api${path}`, init);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // Not our JSON (a proxy's page, or a debug traceback): never show its text, which may hold
    // server paths and code.
    data = { message: `the server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ""}` };
  }
  if (!response.ok) {
    const d = (data ?? {}) as Record<string, unknown>;
    const detail = Array.isArray(d.detail) ? JSON.stringify(d.detail) : undefined;
    throw new ApiFailure(
      response.status,
      String(d.code ?? `http_${response.status}`),
      String(d.message ?? detail ?? response.statusText),
      d,
    );
  }
  return data as T;
}

/** Send a multipart form to /api`path` (POST, or PUT), reporting the share of bytes sent (0..1):
 * through XMLHttpRequest, since fetch cannot report upload progress. */
export function uploadForm<T>(path: string, form: FormData, onProgress: (sent: number) => void, method: "POST" | "PUT" = "POST"): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, `/api${path}`);
    xhr.withCredentials = true;
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.upload.onload = () => onProgress(1);
    xhr.onerror = () => reject(new ApiFailure(0, "network", "the upload failed: no answer from the server", {}));
    xhr.onload = () => {
      let data: Record<string, unknown> = {};
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : {};
      } catch {
        // not our JSON (a proxy's page): never shown, as in api()
        data = { message: `the server answered ${xhr.status}${xhr.statusText ? ` ${xhr.statusText}` : ""}` };
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data as T);
      else reject(new ApiFailure(xhr.status, String(data.code ?? `http_${xhr.status}`), String(data.message ?? xhr.statusText), data));
    };
    xhr.send(form);
  });
}
