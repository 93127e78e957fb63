/** A small JSON Schema (draft-07 subset) validator for the schemas `hostkit schema NAME` prints. */
export type Schema = Record<string, unknown>;

export function validate(schema: Schema, value: unknown, path = "$"): string[] {
  const errs: string[] = [];
  const typeOf = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v);
  const known = new Set(["$schema", "$id", "title", "description", "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems", "enum", "const", "pattern", "anyOf", "oneOf", "allOf", "propertyNames"]);
  for (const k of Object.keys(schema)) if (!known.has(k)) errs.push(`${path}: validator does not know keyword ${k}`);
  if (schema.type !== undefined) {
    const types = ([] as string[]).concat(schema.type as string);
    const t = typeOf(value);
    if (!types.includes(t) && !(t === "integer" && types.includes("number"))) return [`${path}: ${t} is not ${types.join("|")}`];
  }
  if ("const" in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) errs.push(`${path}: is not ${JSON.stringify(schema.const)}`);
  if (schema.enum && !(schema.enum as unknown[]).some((e) => JSON.stringify(e) === JSON.stringify(value))) errs.push(`${path}: ${JSON.stringify(value)} not in enum`);
  if (typeof schema.pattern === "string" && typeof value === "string" && !new RegExp(schema.pattern).test(value)) errs.push(`${path}: does not match ${schema.pattern}`);
  if (schema.anyOf && !(schema.anyOf as Schema[]).some((s) => validate(s, value, path).length === 0)) errs.push(`${path}: matches none of anyOf`);
  if (schema.oneOf && (schema.oneOf as Schema[]).filter((s) => validate(s, value, path).length === 0).length !== 1) errs.push(`${path}: does not match exactly one of oneOf`);
  for (const s of (schema.allOf as Schema[] | undefined) ?? []) errs.push(...validate(s, value, path));
  if (typeOf(value) === "object") {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const k of (schema.required as string[] | undefined) ?? []) if (!(k in obj)) errs.push(`${path}.${k}: required`);
    if (schema.propertyNames) for (const k of Object.keys(obj)) errs.push(...validate(schema.propertyNames as Schema, k, `${path}[key ${k}]`));
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) errs.push(...validate(props[k]!, v, `${path}.${k}`));
      else if (schema.additionalProperties === false) errs.push(`${path}.${k}: not allowed`);
      else if (schema.additionalProperties && typeof schema.additionalProperties === "object") errs.push(...validate(schema.additionalProperties as Schema, v, `${path}.${k}`));
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems) errs.push(`${path}: fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems) errs.push(`${path}: more than ${schema.maxItems} items`);
    if (Array.isArray(schema.items)) (schema.items as Schema[]).forEach((s, i) => errs.push(...validate(s, value[i], `${path}[${i}]`)));
    else if (schema.items) value.forEach((v, i) => errs.push(...validate(schema.items as Schema, v, `${path}[${i}]`)));
  }
  return errs;
}

