// A node's logged steps in its trace (runtime NodeLog events, or its stored metadata's `log`):
// an agent's thoughts, the tools it called with their arguments, and what they returned.
import { stepLine, type LogStep } from "./metadata";

export function Steps({ steps }: { steps: LogStep[] }) {
  if (!steps.length) return null;
  return (
    <div className="run-block">
      <div className="run-block-label">Steps</div>
      <ol className="run-steps" data-testid="run-node-steps">
        {steps.map((s, k) => {
          const { head, body, failed } = stepLine(s);
          return (
            <li key={k} className={`run-step run-step-${s.label}${failed ? " run-step-error" : ""}`} data-label={s.label}>
              <span className="run-step-head">
                {s.step ? `${s.step}. ` : ""}
                {head}
              </span>
              {body && <pre className="run-text run-step-body">{body}</pre>}
            </li>
          );
        })}
      </ol>
    </div>
  );
}
