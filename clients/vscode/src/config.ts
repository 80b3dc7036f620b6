import type { InputBoxOptionsLike, VscodeApi } from './api';

/** The part of a JSON Schema property the config prompt reads. */
export interface SchemaProperty {
  type?: string | string[];
  description?: string;
  writeOnly?: boolean;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  format?: string;
}

interface ObjectSchema {
  type?: string;
  properties?: Record<string, SchemaProperty>;
  required?: string[];
}

function typeOf(p: SchemaProperty): string {
  const t = Array.isArray(p.type) ? p.type.find((x) => x !== 'null') : p.type;
  return t ?? 'string';
}

/** Parses what the user typed for property p; returns [value] or an error message. */
export function parseValue(p: SchemaProperty, raw: string): { value?: unknown; error?: string } {
  const t = typeOf(p);
  switch (t) {
    case 'integer':
    case 'number': {
      const n = Number(raw);
      if (!Number.isFinite(n) || (t === 'integer' && !Number.isInteger(n))) return { error: `not ${t === 'integer' ? 'an integer' : 'a number'}` };
      if (p.minimum !== undefined && n < p.minimum) return { error: `at least ${p.minimum}` };
      if (p.maximum !== undefined && n > p.maximum) return { error: `at most ${p.maximum}` };
      return { value: n };
    }
    case 'boolean':
      if (raw === 'true' || raw === 'false') return { value: raw === 'true' };
      return { error: 'true or false' };
    case 'object':
    case 'array':
      try {
        return { value: JSON.parse(raw) };
      } catch (e) {
        return { error: `not JSON: ${(e as Error).message}` };
      }
  }
  if (p.enum && !p.enum.includes(raw)) return { error: `one of ${p.enum.join(', ')}` };
  return { value: raw };
}

/**
 * Asks for a provider's config, one input box per property of its JSON
 * Schema: secrets (writeOnly) as password boxes, numbers validated, empty
 * answers left out unless required. Resolves undefined when the user
 * dismisses a box.
 */
export async function askConfig(vscode: VscodeApi, provider: string, schema: unknown): Promise<Record<string, unknown> | undefined> {
  const s = (schema ?? {}) as ObjectSchema;
  const props = Object.entries(s.properties ?? {});
  const required = new Set(s.required ?? []);
  const config: Record<string, unknown> = {};
  for (const [i, [name, p]] of props.entries()) {
    const req = required.has(name);
    const opts: InputBoxOptionsLike = {
      title: `${provider} config (${i + 1}/${props.length}): ${name}${req ? '' : ' (optional)'}`,
      prompt: p.description ?? name,
      placeHolder: p.default !== undefined ? `default ${JSON.stringify(p.default)}` : typeOf(p),
      password: p.writeOnly === true,
      ignoreFocusOut: true,
      validateInput: (raw: string) => {
        if (raw === '') return req ? `${name} is required` : undefined;
        return parseValue(p, raw).error;
      },
    };
    const raw = await vscode.window.showInputBox(opts);
    if (raw === undefined) return undefined;
    if (raw === '') continue;
    const { value, error } = parseValue(p, raw);
    if (error) {
      // showInputBox validates already; a fake or an old host may not.
      throw new Error(`${name}: ${error}`);
    }
    config[name] = value;
  }
  return config;
}
