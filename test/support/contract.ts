import { openApiDocument } from '../../src/openapi/document'
import { validate } from './json-schema'

type Schema = { [key: string]: unknown }

const document = openApiDocument()
const paths = document.paths as Record<string, Record<string, Schema>>

const templates = Object.keys(paths).map((template) => ({
  template,
  pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
}))

/**
 * Checks one response against the OpenAPI document: its status must be documented for the
 * operation, and its body must validate against the documented schema. Returns the problem,
 * or null. Paths the document does not know may only answer with an error envelope.
 */
export function contractProblem(
  method: string,
  url: string,
  status: number,
  body: unknown,
): string | null {
  const path = new URL(url).pathname
  const template = templates.find((entry) => entry.pattern.test(path))?.template
  // HEAD is answered wherever GET is, with GET's status and no body.
  const isHead = method.toUpperCase() === 'HEAD'
  if (isHead && body !== undefined) return `${method} ${path}: HEAD answered with a body`
  const operationMethod = isHead ? 'get' : method.toLowerCase()
  const operation = template ? paths[template]?.[operationMethod] : undefined
  const label = `${method} ${path} -> ${status}`
  if (!operation) {
    if (status < 400) return `${label}: undocumented operation answered with success`
    const problem = validate(body, { $ref: '#/components/schemas/Error' }, document)
    return problem && `${label}: ${problem}`
  }
  const responses = operation.responses as Record<string, Schema>
  const response = responses[String(status)]
  if (!response) return `${label}: status not documented`
  const content = response.content as Record<string, { schema: Schema }> | undefined
  const schema = content?.['application/json']?.schema
  if (!schema || isHead) {
    return body === undefined || status === 200 ? null : `${label}: unexpected body`
  }
  const problem = validate(body, schema, document)
  return problem && `${label}: ${problem}`
}
