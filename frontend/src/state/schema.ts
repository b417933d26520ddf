// Reading the JSON Schemas (pydantic's) that node types publish: $ref resolution, nullables and
// the default value of a fresh config. The editor's forms are generated from these.

export type Schema = {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  allOf?: Schema[];
  $ref?: string;
  $defs?: Record<string, Schema>;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  pattern?: string;
  widget?: string;
  [key: string]: unknown;
};

/** Follow `$ref` (and a single-element allOf) against the root schema's `$defs`. */
export function resolve(schema: Schema, root: Schema): Schema {
  let s = schema;
  for (let i = 0; i < 8; i++) {
    if (s.$ref) {
      const name = s.$ref.split("/").pop() ?? "";
      const target = root.$defs?.[name];
      if (!target) return s;
      const { $ref: _ref, ...rest } = s;
      const { title: _title, ...body } = target; // a model's class name is not a field label
      s = { ...body, ...rest };
    } else if (s.allOf && s.allOf.length === 1) {
      const { allOf, ...rest } = s;
      s = { ...allOf[0], ...rest };
    } else {
      return s;
    }
  }
  return s;
}

/** The schema without its `null` alternative, and whether null was allowed. */
export function unwrapNullable(schema: Schema, root: Schema): { schema: Schema; nullable: boolean } {
  const s = resolve(schema, root);
  if (s.anyOf) {
    const rest = s.anyOf.filter((a) => a.type !== "null");
    if (rest.length === 1 && rest.length < s.anyOf.length) {
      const { anyOf: _a, ...outer } = s;
      return { schema: { ...resolve(rest[0], root), ...outer }, nullable: true };
    }
  }
  return { schema: s, nullable: false };
}

export function schemaType(schema: Schema): string {
  if (schema.enum) return "enum";
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== "null") ?? "string";
  if (schema.type) return schema.type;
  if (schema.properties) return "object";
  return "any";
}

/** A config filled with every default the schema declares (objects recursively). */
export function defaultsFor(schema: Schema, root: Schema = schema): unknown {
  const { schema: s, nullable } = unwrapNullable(schema, root);
  if ("default" in s) return structuredClone(s.default);
  if (nullable) return null;
  switch (schemaType(s)) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [name, prop] of Object.entries(s.properties ?? {})) {
        out[name] = defaultsFor(prop, root);
      }
      return out;
    }
    case "array":
      return [];
    case "string":
      return "";
    case "number":
    case "integer":
      return s.minimum ?? 0;
    case "boolean":
      return false;
    case "enum":
      return s.enum?.[0] ?? null;
    default:
      return null;
  }
}
