// A small schema kit: each schema validates untrusted input with the exact messages the API
// contract names, and describes itself as JSON Schema for the OpenAPI document, so the
// validation and the documentation cannot drift apart.

export const MAX_SAFE_COUNT = Number.MAX_SAFE_INTEGER

export type JsonSchema = { [key: string]: unknown }
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string }

export interface Schema<T> {
  readonly json: JsonSchema
  /** A short description for error messages, naming the fields. */
  readonly describe: string
  parse(input: unknown): Parsed<T>
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value })
const fail = (message: string): Parsed<never> => ({ ok: false, message })

interface IntegerOptions {
  field: string
  min: number
  /** Message for a missing or null value, and for 0 when `zeroIsMissing` is set. */
  required: string
  zeroIsMissing?: boolean
  description?: string
}

export function integer(options: IntegerOptions): Schema<number> {
  const { field, min, required, zeroIsMissing = false } = options
  return {
    describe: `${field} as an integer`,
    json: {
      type: 'integer',
      minimum: min,
      maximum: MAX_SAFE_COUNT,
      ...(options.description ? { description: options.description } : {}),
    },
    parse(input) {
      if (input === undefined || input === null) return fail(required)
      if (typeof input !== 'number' || !Number.isFinite(input)) {
        return fail(`${field} must be an integer`)
      }
      if (input === 0 && zeroIsMissing) return fail(required)
      if (!Number.isInteger(input)) return fail(`${field} must be an integer`)
      if (input < min) return fail(`${field} must be at least ${min}`)
      if (input > MAX_SAFE_COUNT) return fail(`${field} must be at most ${MAX_SAFE_COUNT}`)
      return ok(input)
    },
  }
}

// C0 and C1 control characters, DEL included. Line breaks and tabs are controls too: a name is
// one line of text.
const controlCharacters = /[\u0000-\u001f\u007f-\u009f]/

interface NameOptions {
  field: string
  required: string
  maxLength: number
}

/** A trimmed single-line name; length counts Unicode code points, not UTF-16 units. */
export function name(options: NameOptions): Schema<string> {
  const { field, required, maxLength } = options
  return {
    describe: `${field} as a string`,
    json: {
      type: 'string',
      minLength: 1,
      maxLength,
      description: 'Trimmed; no control characters',
    },
    parse(input) {
      if (input === undefined || input === null) return fail(required)
      if (typeof input !== 'string') return fail(`${field} must be a string`)
      const trimmed = input.trim()
      if (trimmed.length === 0) return fail(required)
      if ([...trimmed].length > maxLength) {
        return fail(`${field} must be at most ${maxLength} characters`)
      }
      if (controlCharacters.test(trimmed))
        return fail(`${field} must not contain control characters`)
      if (!trimmed.isWellFormed()) return fail(`${field} must be valid Unicode`)
      return ok(trimmed)
    },
  }
}

type Shape = Record<string, Schema<unknown>>
type Infer<S extends Shape> = { [K in keyof S]: S[K] extends Schema<infer T> ? T : never }

/** A JSON object body; unknown fields are ignored, fields are checked in declaration order. */
export function object<S extends Shape>(shape: S): Schema<Infer<S>> {
  const properties: Record<string, JsonSchema> = {}
  for (const [key, schema] of Object.entries(shape)) properties[key] = schema.json
  const fields = Object.values(shape).map((schema) => schema.describe)
  return {
    describe: `an object with ${fields.join(' and ')}`,
    json: { type: 'object', properties, required: Object.keys(shape) },
    parse(input) {
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        return fail('request body must be a JSON object')
      }
      const record = input as Record<string, unknown>
      const value: Record<string, unknown> = {}
      for (const [key, schema] of Object.entries(shape)) {
        const field = schema.parse(Object.hasOwn(record, key) ? record[key] : undefined)
        if (!field.ok) return field
        value[key] = field.value
      }
      return ok(value as Infer<S>)
    },
  }
}
