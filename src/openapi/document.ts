import { MAX_BODY_BYTES, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE } from '../request'
import type { JsonSchema } from '../schema'
import { type Operation, operations } from './operations'
import { envelope, schemas } from './schemas'

const errorDescriptions: Record<number, string> = {
  400: 'Invalid input; `data` names the field',
  401: 'Missing or wrong credentials',
  404: 'Unknown account or feature',
  405: 'Method not allowed on this path; see the Allow header',
  409: 'Not enough execution credits; nothing changed',
  413: `Body over ${MAX_BODY_BYTES} bytes`,
  422: 'Idempotency-Key already used with a different request',
  429: 'Too many failed authentication attempts from this address; see Retry-After',
  500: 'Internal error or server misconfiguration',
  503: 'The change was not saved; retry it, with the same Idempotency-Key',
}

const errorResponse = (status: number) => ({
  description: errorDescriptions[status] ?? 'Error',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
})

function parameters(operation: Operation): JsonSchema[] {
  const list: JsonSchema[] = []
  if (operation.path.includes('{id}')) {
    list.push({
      name: 'id',
      in: 'path',
      required: true,
      description: 'Account id: decimal digits, 1 to 2^53 - 1',
      schema: { type: 'string', pattern: '^[0-9]+$' },
    })
  }
  if (operation.paged) {
    list.push(
      {
        name: 'limit',
        in: 'query',
        schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
      },
      { name: 'cursor', in: 'query', schema: { type: 'string' } },
    )
  }
  if (operation.idempotent) {
    list.push({
      name: 'Idempotency-Key',
      in: 'header',
      description:
        'A repeat with the same key and body replays the first response ' +
        '(header Idempotent-Replayed: true)',
      schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7e]+$' },
    })
  }
  return list
}

function describe(operation: Operation): JsonSchema {
  const responses: Record<string, unknown> = {}
  for (const [status, name] of Object.entries(operation.success)) {
    responses[status] =
      name === null
        ? { description: status === '204' ? 'No content' : 'OK' }
        : { description: 'OK', content: { 'application/json': { schema: envelope(name) } } }
  }
  const common = operation.public ? [405, 500] : [401, 405, 413, 429, 500]
  for (const status of [...operation.errors, ...common].sort((a, b) => a - b)) {
    responses[String(status)] = errorResponse(status)
  }
  return {
    summary: operation.summary,
    ...(operation.public ? { security: [] } : {}),
    parameters: parameters(operation),
    ...(operation.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: operation.body.json } },
          },
        }
      : {}),
    responses,
  }
}

let built: JsonSchema | undefined

export function openApiDocument(): JsonSchema {
  if (built) return built
  const paths: Record<string, Record<string, JsonSchema>> = {}
  for (const operation of operations) {
    paths[operation.path] = { ...paths[operation.path], [operation.method]: describe(operation) }
  }
  built = {
    openapi: '3.1.0',
    info: {
      title: 'Scheduler0 account management API',
      version: '1.0.0',
      description:
        'Accounts, features and monthly job-execution credits of a self-hosted Scheduler0.',
    },
    servers: [{ url: '/' }],
    security: [{ basicAuth: [] }],
    paths,
    components: {
      securitySchemes: { basicAuth: { type: 'http', scheme: 'basic' } },
      schemas,
    },
  }
  return built
}
