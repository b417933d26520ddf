// A chat app's conversation variables ({{#conversation.name#}}): kept per conversation across its
// turns, written by variable assigner nodes; each starts from its default in a new conversation.
import type { ConversationVar } from "../api/spec";
import { useEditor } from "../state/store";

const TYPES: ConversationVar["type"][] = ["string", "number", "boolean", "object", "array[string]", "array[number]", "array[boolean]", "array[object]"];
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The empty value of a type: what a new variable, or one whose type changed, starts from. */
export function emptyOf(type: ConversationVar["type"]): ConversationVar["default"] {
  if (type.startsWith("array")) return [];
  return { string: "", number: 0, boolean: false, object: {} }[type as "string"];
}

/** The default as the user types it: text for strings, JSON for the other types. */
export function defaultText(v: ConversationVar): string {
  return v.type === "string" ? String(v.default ?? "") : JSON.stringify(v.default ?? emptyOf(v.type));
}

/** The typed text as a default, or undefined when it is not JSON (strings take any text). */
export function parseDefault(type: ConversationVar["type"], text: string): ConversationVar["default"] | undefined {
  if (type === "string") return text;
  try {
    return JSON.parse(text) as ConversationVar["default"];
  } catch {
    return undefined;
  }
}

/** What is wrong with row `i`'s name, or null. */
export function nameProblem(vars: ConversationVar[], i: number): string | null {
  const name = vars[i].name;
  if (!name) return "fill in a name";
  if (!NAME.test(name)) return "use letters, digits and _, starting with a letter or _";
  if (vars.findIndex((v) => v.name === name) !== i) return `${name} is already taken; rename one`;
  return null;
}

export function ConversationPanel() {
  const vars = useEditor((s) => s.conversation);
  const mode = useEditor((s) => s.mode);
  const canEdit = useEditor((s) => s.canEdit);
  const set = useEditor((s) => s.setConversation);
  const change = (i: number, patch: Partial<ConversationVar>) => set(vars.map((v, j) => (j === i ? { ...v, ...patch } : v)));
  const fresh = () => {
    let n = vars.length + 1;
    while (vars.some((v) => v.name === `var_${n}`)) n += 1;
    set([...vars, { name: `var_${n}`, type: "string", default: "", description: "" }]);
  };
  return (
    <div className="env-panel" data-testid="conversation-panel">
      <h2>Conversation variables</h2>
      <p className="muted">
        Read them as <code>{"{{#conversation.name#}}"}</code>; a Variable assigner node changes them. Each conversation keeps its own values across its turns.
      </p>
      {mode !== "chat" && <p className="field-error">Only chat apps keep conversation variables.</p>}
      {vars.map((v, i) => {
        const problem = nameProblem(vars, i);
        return (
          <div key={i}>
            <div className="env-row">
              <input className="ed-input" aria-label="Name" value={v.name} disabled={!canEdit} onChange={(e) => change(i, { name: e.target.value })} />
              <select
                className="ed-input"
                aria-label="Type"
                value={v.type}
                disabled={!canEdit}
                onChange={(e) => {
                  const type = e.target.value as ConversationVar["type"];
                  change(i, { type, default: emptyOf(type) });
                }}
              >
                {TYPES.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
              <DefaultInput v={v} canEdit={canEdit} onChange={(value) => change(i, { default: value })} />
              {canEdit && (
                <button type="button" className="icon-button" aria-label={`Remove ${v.name}`} onClick={() => set(vars.filter((_, j) => j !== i))}>
                  ×
                </button>
              )}
            </div>
            {problem && (
              <p className="field-error" data-testid={`conversation-problem-${i}`}>
                Name (conversation variable {i + 1}): {problem}
              </p>
            )}
          </div>
        );
      })}
      {canEdit && (
        <button type="button" className="btn btn-xs" onClick={fresh}>
          + Add variable
        </button>
      )}
    </div>
  );
}

function DefaultInput({ v, canEdit, onChange }: { v: ConversationVar; canEdit: boolean; onChange: (value: ConversationVar["default"]) => void }) {
  return (
    <input
      className="ed-input"
      aria-label="Default"
      defaultValue={defaultText(v)}
      key={v.type}
      disabled={!canEdit}
      placeholder={v.type === "string" ? "" : "JSON"}
      onChange={(e) => {
        const value = parseDefault(v.type, e.target.value);
        if (value !== undefined) onChange(value);
      }}
    />
  );
}
