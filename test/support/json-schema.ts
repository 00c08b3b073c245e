// A validator for the subset of JSON Schema the OpenAPI document uses: type (one or a list),
// const, enum, properties, required, additionalProperties: false, items, minimum, maximum,
// minLength, maxLength, pattern and local $ref. Returns the first problem found, or null.

type Schema = { [key: string]: unknown }

function typeOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}

function resolve(schema: Schema, root: Schema): Schema {
  const ref = schema.$ref
  if (typeof ref !== 'string') return schema
  let target: unknown = root
  for (const part of ref.replace(/^#\//, '').split('/')) {
    target = (target as Schema | undefined)?.[part]
  }
  if (typeof target !== 'object' || target === null) throw new Error(`unresolved $ref ${ref}`)
  return target as Schema
}

export function validate(value: unknown, input: Schema, root: Schema, at = '$'): string | null {
  const schema = resolve(input, root)
  const actual = typeOf(value)
  if (schema.type !== undefined) {
    const allowed = Array.isArray(schema.type) ? schema.type : [schema.type]
    const matches = allowed.some((t) => t === actual || (t === 'number' && actual === 'integer'))
    if (!matches) return `${at}: expected ${allowed.join(' or ')}, got ${actual}`
  }
  if ('const' in schema && value !== schema.const) return `${at}: expected ${String(schema.const)}`
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
    return `${at}: ${JSON.stringify(value)} is not one of ${schema.enum.join(', ')}`
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) return `${at}: below minimum`
    if (typeof schema.maximum === 'number' && value > schema.maximum) return `${at}: above maximum`
  }
  if (typeof value === 'string') {
    const length = [...value].length
    if (typeof schema.minLength === 'number' && length < schema.minLength) return `${at}: too short`
    if (typeof schema.maxLength === 'number' && length > schema.maxLength) return `${at}: too long`
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) {
      return `${at}: does not match ${schema.pattern}`
    }
  }
  if (actual === 'array' && schema.items) {
    const items = value as unknown[]
    for (const [i, item] of items.entries()) {
      const problem = validate(item, schema.items as Schema, root, `${at}[${i}]`)
      if (problem) return problem
    }
  }
  if (actual === 'object') {
    const record = value as Record<string, unknown>
    const properties = (schema.properties ?? {}) as Record<string, Schema>
    for (const key of (schema.required ?? []) as string[]) {
      if (!(key in record)) return `${at}: missing ${key}`
    }
    for (const [key, field] of Object.entries(record)) {
      const property = properties[key]
      if (property) {
        const problem = validate(field, property, root, `${at}.${key}`)
        if (problem) return problem
      } else if (schema.additionalProperties === false) {
        return `${at}: unexpected property ${key}`
      }
    }
  }
  return null
}
