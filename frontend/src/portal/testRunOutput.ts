// Where the app page's test run shows its answer: a chat app's turn in the transcript (the
// person's message, then the bot's, streaming in), or a workflow's output box (the text of the
// node that is writing, then the run's outputs). testRun.ts starts one per run.
import { citationsOf } from "../run/metadata";
import { byId, el, ms, must, pretty } from "./dom";
import type { Finished } from "./outcome";
import { citationList } from "./trace";

export abstract class Output {
  answer = ""; // what the run has answered so far

  constructor(protected readonly answerNode: HTMLElement) {}

  append(text: string): void {
    this.answer += text;
    this.answerNode.textContent = this.answer;
  }

  /** Bring the answer shown up to the run's stored one: a run followed after its pause stores the
   * whole turn's answer, and the page has its start. */
  catchUp(answer: string): void {
    if (!answer || answer === this.answer) return;
    if (!answer.startsWith(this.answer)) this.answer = "";
    this.append(answer.slice(this.answer.length));
  }

  /** A node streamed `text` (all of it so far) on one of its ports. */
  abstract preview(nodeId: string, text: string): void;
  /** The run ended, or waits for an answer. */
  abstract end(ev: Finished): void;
  /** The waiting run was answered elsewhere and runs on. */
  abstract resume(): void;
  /** The run could not start, or the page lost it. */
  abstract fail(message: string): void;
}

/** A chat app's turn: the person's message and the bot's, which streams the answer. */
export class ChatTurn extends Output {
  private extras: HTMLElement[] = []; // what the end of the run added under the bubble (citations, tokens)

  private constructor(
    private readonly transcript: HTMLElement,
    private readonly bubble: HTMLElement,
    answerNode: HTMLElement,
  ) {
    super(answerNode);
  }

  static start(transcript: HTMLElement, query: string): ChatTurn {
    byId("transcript-empty")?.remove();
    transcript.append(el("div", "msg msg-user", query));
    const bubble = el("div", "msg msg-bot streaming");
    const answerNode = el("div", "msg-text", "");
    bubble.append(answerNode);
    transcript.append(bubble);
    transcript.scrollTop = transcript.scrollHeight;
    return new ChatTurn(transcript, bubble, answerNode);
  }

  override append(text: string): void {
    super.append(text);
    this.transcript.scrollTop = this.transcript.scrollHeight;
  }

  preview(): void {
    // a chat turn shows its answer only
  }

  end(ev: Finished): void {
    this.bubble.classList.remove("streaming");
    if (ev.status === "waiting") {
      if (!this.answer) this.answerNode.textContent = "Waiting for an answer.";
    } else if (ev.status !== "succeeded") {
      this.bubble.classList.add("failed");
      if (!this.answer) this.answerNode.textContent = ev.error || ev.status;
    }
    for (const extra of this.extras.splice(0)) extra.remove(); // those of the pause, when followed
    const cited = citationsOf(ev.metadata);
    if (cited.length) this.extras.push(el("div", "msg-cite-label", "Citations"), citationList(cited));
    this.extras.push(el("div", "msg-meta", `${ms(ev.elapsed_ms)} · ${ev.prompt_tokens + ev.completion_tokens} tokens`));
    this.bubble.append(...this.extras);
  }

  resume(): void {
    this.bubble.classList.add("streaming");
    if (!this.answer) this.answerNode.textContent = "";
  }

  fail(message: string): void {
    this.bubble.classList.remove("streaming");
    this.bubble.classList.add("failed");
    if (!this.answer) this.answerNode.textContent = message;
  }
}

/** A workflow's output box: workflows stream no answer, so it previews the node that is writing
 * until the run's outputs come. */
export class WorkflowOutput extends Output {
  static start(): WorkflowOutput {
    must("workflow-output").hidden = false;
    const answerNode = must("workflow-text");
    answerNode.hidden = false;
    answerNode.textContent = "";
    answerNode.classList.add("streaming");
    must("workflow-label").textContent = "Output";
    must("workflow-json").hidden = true;
    return new WorkflowOutput(answerNode);
  }

  preview(nodeId: string, text: string): void {
    if (this.answer) return;
    this.answerNode.textContent = text;
    must("workflow-label").textContent = `Streaming from ${nodeId}…`;
  }

  end(ev: Finished): void {
    this.answerNode.classList.remove("streaming");
    const waiting = ev.status === "waiting";
    const jsonBox = must("workflow-json");
    const values = Object.values(ev.outputs);
    const single = values.length === 1 && typeof values[0] === "string" ? values[0] : null;
    const text = this.answer || single;
    must("workflow-label").textContent = waiting ? "Waiting for an answer" : "Output";
    this.answerNode.textContent = text || "";
    this.answerNode.hidden = !text;
    jsonBox.textContent = pretty(ev.outputs);
    jsonBox.hidden = waiting; // a waiting run has no outputs yet
  }

  resume(): void {
    must("workflow-label").textContent = "Output";
    if (!this.answer) this.answerNode.textContent = "";
  }

  fail(): void {
    this.answerNode.classList.remove("streaming");
  }
}
