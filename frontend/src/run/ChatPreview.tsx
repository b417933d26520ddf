// The chat preview of a chat app: messages streaming token by token, the start node's extra
// inputs, a conversation kept across turns until "New conversation", and the last turn's trace.
// A turn that pauses for a person shows the node's form as the assistant's turn; the answer
// resumes the run and the rest of the reply streams into the same turn.
import { useEffect, useRef, useState } from "react";

import type { PauseForm } from "../api/messages";
import type { WNode } from "../state/graph";
import { useEditor } from "../state/store";
import { newConversation, resumeRun, sendChat, stopRun } from "./actions";
import { formatMs, formatTokens } from "./format";
import { InputsForm } from "./InputsForm";
import { Citations } from "./Citations";
import { RunErrorBox, RunFailure, RunStatusLine } from "./parts";
import { patchSession, useRunSession, type ChatMessage } from "./session";
import { useStartForm } from "./startForm";
import { Trace } from "./Trace";
import { WaitingForm } from "./WaitingForm";

interface BubbleProps {
  m: ChatMessage;
  forms: PauseForm[]; // what the turn's run asks now (none unless it is the run shown, waiting)
  canAnswer: boolean;
}

function Bubble({ m, forms, canAnswer }: BubbleProps) {
  if (m.role === "user") {
    return (
      <div className="chat-msg chat-user" data-testid="chat-user">
        <div className="chat-bubble">{m.text}</div>
      </div>
    );
  }
  const running = m.status === "running";
  const meta = [formatMs(m.elapsedMs), m.tokens ? formatTokens(m.tokens, 0) : ""].filter(Boolean).join(" · ");
  return (
    <div className={`chat-msg chat-assistant chat-${m.status ?? "succeeded"}`} data-testid="chat-assistant" data-status={m.status}>
      <div className="chat-bubble">
        {m.text}
        {running && !m.text && <span className="chat-typing" aria-label="Thinking">•••</span>}
        {running && m.text && <span className="run-caret" aria-hidden="true" />}
        {!running && !m.text && !m.error && m.status !== "waiting" && <span className="muted">(no answer)</span>}
        {m.error && m.status !== "succeeded" && <div className="chat-error">{m.error}</div>}
        {m.status === "stopped" && !m.error && <div className="muted run-small">Stopped.</div>}
        {forms.map((f) => (
          <WaitingForm key={f.node_id} form={f} disabled={!canAnswer} onSubmit={(answers) => void resumeRun(f.node_id, answers)} />
        ))}
        {m.status === "waiting" && !forms.length && <div className="muted run-small">Waiting for an answer.</div>}
      </div>
      {!!m.citations?.length && (
        <div className="chat-citations">
          <Citations items={m.citations} testid="chat-citations" />
        </div>
      )}
      {meta && <div className="chat-meta">{meta}</div>}
    </div>
  );
}

/** Whether a node of the draft sends its model the conversation's earlier turns (an LLM node's
 * memory): what "Remembering this conversation" promises. */
export function remembers(nodes: WNode[]): boolean {
  return nodes.some((n) => (n.data.config as { memory?: { enabled?: unknown } } | null)?.memory?.enabled === true);
}

export function ChatPreview() {
  const form = useStartForm();
  const canEdit = useEditor((s) => s.canEdit);
  const run = useEditor((s) => s.run);
  const messages = useRunSession((s) => s.messages);
  const draft = useRunSession((s) => s.chatDraft);
  const phase = useRunSession((s) => s.phase);
  const stopping = useRunSession((s) => s.stopping);
  const error = useRunSession((s) => s.error);
  const conversationId = useRunSession((s) => s.conversationId);
  const memory = useEditor((s) => remembers(s.nodes));
  const [showInputs, setShowInputs] = useState(false);
  const listRef = useRef<HTMLDivElement>(null);
  const busy = phase !== "idle";

  useEffect(() => {
    const el = listRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [messages]);

  const send = () => {
    const query = draft.trim();
    if (!query || busy || !canEdit) return;
    const inputs = form.submit();
    if (!inputs) {
      setShowInputs(true);
      return;
    }
    void sendChat(query, inputs);
  };
  const inputErrors = Object.keys(form.errors).length;

  return (
    <div className="chat" data-testid="chat-preview">
      <div className="chat-bar">
        {form.vars.length > 0 && (
          <button
            type="button"
            className={`btn btn-xs${inputErrors ? " chat-inputs-bad" : ""}`}
            aria-expanded={showInputs}
            data-testid="chat-inputs-toggle"
            onClick={() => setShowInputs(!showInputs)}
          >
            {showInputs ? "▾" : "▸"} Inputs ({form.vars.length})
          </button>
        )}
        <span className="muted run-small chat-conv" data-testid="chat-conversation">
          {conversationId ? (memory ? "Remembering this conversation" : "Same conversation, memory off") : "New conversation"}
        </span>
        <button type="button" className="btn btn-xs" data-testid="chat-new" disabled={busy || (!messages.length && !conversationId)} onClick={newConversation}>
          ↺ New conversation
        </button>
      </div>
      {showInputs && form.vars.length > 0 && (
        <div className="chat-inputs">
          <InputsForm vars={form.vars} typed={form.typed} errors={form.errors} onChange={form.onChange} disabled={!canEdit} />
        </div>
      )}
      {error && <RunErrorBox error={error} />}
      <div className="chat-messages" ref={listRef} data-testid="chat-messages" aria-live="polite">
        {messages.length ? (
          messages.map((m) => (
            <Bubble
              key={m.id}
              m={m}
              forms={m.status === "waiting" && run.status === "waiting" && m.runId === run.runId ? run.waiting : []}
              canAnswer={canEdit && !busy}
            />
          ))
        ) : (
          <p className="chat-empty">
            Send a message to try the app.{" "}
            {memory
              ? "The conversation is remembered until you start a new one."
              : "Its LLM nodes have memory off: each message is answered on its own."}
          </p>
        )}
      </div>
      <form
        className="chat-compose"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        <textarea
          className="ed-input"
          data-testid="chat-input"
          aria-label="Message"
          rows={2}
          placeholder={canEdit ? "Type a message (Enter sends, Shift+Enter adds a line)" : "Running needs the editor role"}
          value={draft}
          disabled={!canEdit}
          onChange={(e) => patchSession({ chatDraft: e.target.value })}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault();
              send();
            }
          }}
        />
        {busy ? (
          <button type="button" className="btn run-stop" data-testid="run-stop" onClick={stopRun} disabled={phase !== "running" || stopping}>
            ■ Stop
          </button>
        ) : (
          <button type="submit" className="btn btn-primary" data-testid="chat-send" disabled={!draft.trim() || !canEdit}>
            Send
          </button>
        )}
      </form>
      {run.status !== "idle" && (
        <details className="panel-section chat-trace" data-testid="chat-trace">
          <summary>Trace of the last turn</summary>
          <RunStatusLine />
          <RunFailure run={run} />
          <Trace />
        </details>
      )}
    </div>
  );
}
