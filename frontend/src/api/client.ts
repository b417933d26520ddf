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
