// A form generated from a provider's config schema (JSON Schema): string,
// integer, number, boolean and enum fields; descriptions as help text;
// writeOnly (secret) fields as password inputs; required fields marked.

import { h } from './dom.js';

/** Returns the schema's fields in order: [{name, schema, required}]. */
export function schemaFields(schema) {
  if (!schema || typeof schema !== 'object' || !schema.properties) return [];
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  return Object.entries(schema.properties).map(([name, s]) => ({ name, schema: s || {}, required: required.has(name) }));
}

function typeOf(s) {
  let t = s.type;
  if (Array.isArray(t)) t = t.find((x) => x !== 'null') || t[0];
  if (!t && Array.isArray(s.enum)) t = typeof s.enum[0] === 'number' ? 'number' : 'string';
  return t || 'string';
}

/** A readable label from a camelCase name: "paymentsPerAccount" -> "Payments per account". */
export function labelOf(name, s) {
  if (s && s.title) return s.title;
  const acronyms = { api: 'API', url: 'URL', id: 'ID', iban: 'IBAN', bic: 'BIC', http: 'HTTP', uri: 'URI' };
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase()
    .split(' ').map((w) => acronyms[w] || w).join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * Builds the inputs of a config schema into a container and returns
 * {element, read()}; read() returns {config, errors} with only the fields
 * the user filled in.
 */
export function configForm(schema) {
  const fields = schemaFields(schema);
  const inputs = [];
  const element = h('div.schema-fields');
  if (fields.length === 0) {
    element.append(h('p.muted', 'This provider takes no configuration.'));
  }
  for (const f of fields) {
    const s = f.schema;
    const t = typeOf(s);
    const id = 'cfg-' + f.name;
    let input;
    if (Array.isArray(s.enum)) {
      input = h('select', { id, name: f.name },
        f.required ? null : h('option', { value: '' }, '(default)'),
        s.enum.map((v) => h('option', { value: String(v), selected: s.default === v }, String(v))));
    } else if (t === 'boolean') {
      input = h('input', { id, name: f.name, type: 'checkbox', checked: s.default === true });
    } else if (t === 'integer' || t === 'number') {
      input = h('input', {
        id, name: f.name, type: 'number', inputmode: 'numeric',
        step: t === 'integer' ? '1' : 'any',
        min: s.minimum, max: s.maximum,
        placeholder: s.default !== undefined ? String(s.default) : '',
      });
    } else {
      input = h('input', {
        id, name: f.name,
        type: s.writeOnly ? 'password' : (s.format === 'uri' ? 'url' : 'text'),
        autocomplete: s.writeOnly ? 'new-password' : 'off',
        spellcheck: 'false',
        placeholder: s.default !== undefined ? String(s.default) : (s.format === 'uri' ? 'https://' : ''),
      });
    }
    if (f.required && t !== 'boolean') input.required = true;
    inputs.push({ f, t, input });
    const label = h('label', { for: id }, labelOf(f.name, s),
      f.required ? h('span.req', { title: 'required' }, ' *') : null,
      s.writeOnly ? h('span.tag.secret', 'secret') : null);
    const help = s.description ? h('div.help', s.description) : null;
    const row = t === 'boolean'
      ? h('div.field.check', h('div.check-row', input, label), help)
      : h('div.field', label, input, help);
    row.dataset.field = f.name;
    element.append(row);
  }
  function read() {
    const config = {};
    const errors = [];
    for (const { f, t, input } of inputs) {
      const label = labelOf(f.name, f.schema);
      if (t === 'boolean') {
        if (input.checked || f.required) config[f.name] = input.checked;
        continue;
      }
      const raw = input.value.trim();
      if (raw === '') {
        if (f.required) errors.push(`${label} is required`);
        continue;
      }
      if (Array.isArray(f.schema.enum)) {
        const v = f.schema.enum.find((e) => String(e) === raw);
        config[f.name] = v === undefined ? raw : v;
      } else if (t === 'integer' || t === 'number') {
        const n = Number(raw);
        if (!Number.isFinite(n) || (t === 'integer' && !Number.isInteger(n))) { errors.push(`${label} must be ${t === 'integer' ? 'a whole number' : 'a number'}`); continue; }
        if (f.schema.minimum !== undefined && n < f.schema.minimum) { errors.push(`${label} must be at least ${f.schema.minimum}`); continue; }
        if (f.schema.maximum !== undefined && n > f.schema.maximum) { errors.push(`${label} must be at most ${f.schema.maximum}`); continue; }
        config[f.name] = n;
      } else {
        config[f.name] = input.type === 'password' ? input.value : raw;
      }
    }
    return { config, errors };
  }
  return { element, read };
}
