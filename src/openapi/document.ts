import { accountNameBody, consumeBody, featureIdBody, increaseBody } from '../bodies'
import { MAX_BODY_BYTES, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE } from '../request'
import type { JsonSchema, Schema } from '../schema'
import { envelope, type SchemaName, schemas } from './schemas'

interface Operation {
  method: 'get' | 'post' | 'put' | 'delete'
  path: string
  summary: string
  public?: boolean
  body?: Schema<unknown>
  paged?: boolean
  idempotent?: boolean
  /** Success statuses and their payload schema; null for a response without a body. */
  success: Record<number, SchemaName | null>
  errors: number[]
}

const account = '/api/v1/accounts/{id}'
const onAccount = [400, 404]

// Every route the app serves. The contract test checks this list against the router.
export const operations: Operation[] = [
  {
    method: 'get',
    path: '/api/v1/healthcheck',
    summary: 'Liveness check',
    public: true,
    success: { 200: 'Health' },
    errors: [],
  },
  {
    method: 'get',
    path: '/api/v1/openapi.json',
    summary: 'This document',
    public: true,
    success: { 200: null },
    errors: [],
  },
  {
    method: 'post',
    path: '/api/v1/accounts',
    summary: 'Create an account with its execution count',
    body: accountNameBody,
    success: { 201: 'Account' },
    errors: [400],
  },
  {
    method: 'get',
    path: '/api/v1/accounts',
    summary: 'List accounts by id ascending',
    paged: true,
    success: { 200: 'AccountPage' },
    errors: [400],
  },
  {
    method: 'get',
    path: account,
    summary: 'Get an account',
    success: { 200: 'Account' },
    errors: onAccount,
  },
  {
    method: 'put',
    path: account,
    summary: 'Rename an account',
    body: accountNameBody,
    success: { 200: 'Account' },
    errors: onAccount,
  },
  {
    method: 'get',
    path: '/api/v1/features',
    summary: 'The feature catalog by id',
    success: { 200: 'FeatureList' },
    errors: [],
  },
  {
    method: 'put',
    path: `${account}/feature`,
    summary: 'Attach a feature (201 when newly attached, 200 when it already was)',
    body: featureIdBody,
    success: { 201: 'FeatureId', 200: 'FeatureId' },
    errors: onAccount,
  },
  {
    method: 'delete',
    path: `${account}/feature`,
    summary: 'Detach a feature; credits already granted stay until the next reset',
    body: featureIdBody,
    success: { 204: null },
    errors: onAccount,
  },
  {
    method: 'put',
    path: `${account}/features/all`,
    summary: 'Attach every feature of the catalog; any body is ignored',
    success: { 200: 'Message' },
    errors: onAccount,
  },
  {
    method: 'delete',
    path: `${account}/features/all`,
    summary: 'Detach every feature',
    success: { 200: 'Message' },
    errors: onAccount,
  },
  {
    method: 'get',
    path: `${account}/execution-count`,
    summary: 'The execution count of the current period',
    success: { 200: 'ExecutionCount' },
    errors: onAccount,
  },
  {
    method: 'put',
    path: `${account}/execution-count`,
    summary: 'Add execution credits',
    body: increaseBody,
    idempotent: true,
    success: { 200: 'NewExecutionCount' },
    errors: [...onAccount, 422, 503],
  },
  {
    method: 'post',
    path: `${account}/execution-count/consume`,
    summary: 'Take execution credits if enough remain',
    body: consumeBody,
    idempotent: true,
    success: { 200: 'Consumed' },
    errors: [...onAccount, 409, 422, 503],
  },
  {
    method: 'get',
    path: `${account}/execution-count/history`,
    summary: 'Balance changes, newest first',
    paged: true,
    success: { 200: 'HistoryPage' },
    errors: onAccount,
  },
]

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
        'A repeat with the same key and body replays the first response (header Idempotent-Replayed: true)',
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
