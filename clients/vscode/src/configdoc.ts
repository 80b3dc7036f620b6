import * as fs from 'node:fs';
import * as path from 'node:path';

/** The part of a provider's config JSON Schema the extension reads. */
interface ObjectSchema {
  properties?: Record<string, { default?: unknown }>;
  required?: string[];
}

/** Whether a provider needs config before a session can start (a required property without a default). */
export function needsConfig(schema: unknown): boolean {
  const s = (schema ?? {}) as ObjectSchema;
  return (s.required ?? []).some((r) => s.properties?.[r]?.default === undefined);
}

/**
 * Config documents: a provider's config as a JSON file whose $schema is the
 * provider's config schema, so VS Code's JSON support validates and
 * completes it as the author types. Saving the file creates a session.
 */
export class ConfigFiles {
  constructor(private readonly dir: string) {}

  /** Writes the schema and the config file of provider; returns the config file's path. */
  write(provider: string, schema: unknown, config: Record<string, unknown>): string {
    const schemas = path.join(this.dir, 'schemas');
    const configs = path.join(this.dir, 'config');
    fs.mkdirSync(schemas, { recursive: true });
    fs.mkdirSync(configs, { recursive: true });
    const schemaFile = path.join(schemas, `${safe(provider)}.schema.json`);
    // $schema itself is allowed even where the provider's schema admits no
    // other properties.
    const s = { ...((schema ?? {}) as Record<string, unknown>) };
    s.properties = { $schema: { type: 'string' }, ...((s.properties as object | undefined) ?? {}) };
    fs.writeFileSync(schemaFile, JSON.stringify(s, null, 2) + '\n');
    const file = path.join(configs, `${safe(provider)}.json`);
    fs.writeFileSync(file, JSON.stringify({ $schema: `file://${schemaFile}`, ...config }, null, 2) + '\n');
    return file;
  }

  /** The provider of a config file of this directory, or undefined. */
  providerOf(file: string): string | undefined {
    if (path.dirname(path.resolve(file)) !== path.join(path.resolve(this.dir), 'config') || !file.endsWith('.json')) return undefined;
    return path.basename(file, '.json');
  }
}

/** Parses a saved config document: the config without $schema, or an error. */
export function parseConfig(text: string): { config?: Record<string, unknown>; error?: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { error: `not JSON: ${(e as Error).message}` };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { error: 'the config must be a JSON object' };
  const { $schema: _, ...config } = v as Record<string, unknown>;
  return { config };
}

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}
