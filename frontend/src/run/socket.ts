// The editor's WebSocket to the run consumer (builder/consumers.py): connects on the first send,
// reconnects on the next send after a drop, and hands every server message to one callback.
import { decodeServerMessage, type ClientMessage, type ServerMessage } from "../api/messages";

/** The part of the browser's WebSocket this client uses (tests pass a fake). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number): void;
  onopen: (() => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number }) => void) | null;
  onerror: (() => void) | null;
}

export type SocketFactory = (url: string) => SocketLike;

const OPEN = 1;

export const browserSocket: SocketFactory = (url) => new WebSocket(url) as unknown as SocketLike;

/** ws(s)://host/ws/apps/<id>/runs/ for the page's own origin. */
export function runSocketUrl(appId: number, loc: Pick<Location, "protocol" | "host"> = window.location): string {
  return `${loc.protocol === "https:" ? "wss" : "ws"}://${loc.host}/ws/apps/${appId}/runs/`;
}

/** Raised by send() when the socket closes before it opens (server down, or access refused). */
export class SocketClosedError extends Error {
  constructor(readonly code: number) {
    super(`the run socket closed before it opened (code ${code})`);
  }
}

export interface SocketHandlers {
  onMessage: (msg: ServerMessage) => void;
  /** The open socket dropped (not called for close()). */
  onClose: (code: number) => void;
  /** A message this client does not understand (an unknown type or event kind): shown, not dropped. */
  onProtocolError: (reason: string) => void;
}

export class RunSocket {
  private ws: SocketLike | null = null;
  private opening: Promise<SocketLike> | null = null;

  constructor(
    readonly url: string,
    private readonly handlers: SocketHandlers,
    private readonly factory: SocketFactory = browserSocket,
  ) {}

  get connected(): boolean {
    return this.ws !== null && this.ws.readyState === OPEN;
  }

  /** Send one message, opening the socket first if it is not open. */
  async send(msg: ClientMessage): Promise<void> {
    const ws = await this.connect();
    ws.send(JSON.stringify(msg));
  }

  close(): void {
    const ws = this.ws;
    this.ws = null;
    this.opening = null;
    if (ws) {
      ws.onclose = null;
      ws.onmessage = null;
      ws.close();
    }
  }

  private connect(): Promise<SocketLike> {
    if (this.ws && this.ws.readyState === OPEN) return Promise.resolve(this.ws);
    if (this.opening) return this.opening;
    const opening = new Promise<SocketLike>((resolve, reject) => {
      const ws = this.factory(this.url);
      let opened = false;
      ws.onopen = () => {
        opened = true;
        this.ws = ws;
        this.opening = null;
        resolve(ws);
      };
      ws.onmessage = (ev) => {
        const decoded = decodeServerMessage(ev.data);
        if (decoded.ok) this.handlers.onMessage(decoded.message);
        else this.handlers.onProtocolError(decoded.error);
      };
      ws.onerror = () => {
        /* a close event always follows; that is where it is handled */
      };
      ws.onclose = (ev) => {
        if (this.ws === ws) this.ws = null;
        if (!opened) {
          if (this.opening === opening) this.opening = null;
          reject(new SocketClosedError(ev.code));
        } else {
          this.handlers.onClose(ev.code);
        }
      };
    });
    this.opening = opening;
    return opening;
  }
}
