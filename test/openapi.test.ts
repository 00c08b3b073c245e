import { describe, expect, it } from 'vitest'
import { createApp } from '../src/app'
import { accountNameBody, consumeBody, featureIdBody, increaseBody } from '../src/bodies'
import { call } from './helpers'
import { contractProblem } from './support/contract'

type Document = {
  openapi: string
  paths: Record<string, Record<string, { parameters: { name: string }[]; security?: unknown[] }>>
  components: { securitySchemes: Record<string, unknown> }
}

async function fetchDocument() {
  const response = await call('GET', '/openapi.json', { auth: null })
  expect(response.status).toBe(200)
  return response.json as Document
}

const operationsOf = (doc: Document) =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
  )

describe('GET /api/v1/openapi.json', () => {
  it('is an OpenAPI 3.1 document served without authentication', async () => {
    const doc = await fetchDocument()
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.components.securitySchemes).toEqual({ basicAuth: { type: 'http', scheme: 'basic' } })
  })

  it('describes exactly the routes the app serves', async () => {
    const served = createApp()
      .routes.filter((route) => route.method !== 'ALL')
      .map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`)
    expect(operationsOf(await fetchDocument()).sort()).toEqual([...new Set(served)].sort())
  })

  it('takes request bodies from the schemas that validate them', async () => {
    const doc = (await fetchDocument()) as unknown as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>
      >
    }
    const bodyOf = (path: string, method: string) =>
      doc.paths[path]?.[method]?.requestBody?.content['application/json']?.schema
    expect(bodyOf('/api/v1/accounts', 'post')).toEqual(accountNameBody.json)
    expect(bodyOf('/api/v1/accounts/{id}/feature', 'put')).toEqual(featureIdBody.json)
    expect(bodyOf('/api/v1/accounts/{id}/execution-count', 'put')).toEqual(increaseBody.json)
    expect(bodyOf('/api/v1/accounts/{id}/execution-count/consume', 'post')).toEqual(
      consumeBody.json,
    )
  })

  it.each([
    ['put', '/api/v1/accounts/{id}/execution-count'],
    ['post', '/api/v1/accounts/{id}/execution-count/consume'],
  ])('documents the Idempotency-Key header on %s %s', async (method, path) => {
    const parameters = (await fetchDocument()).paths[path]?.[method]?.parameters ?? []
    expect(parameters.map((parameter) => parameter.name)).toContain('Idempotency-Key')
  })

  it('marks only the healthcheck and the document itself as public', async () => {
    const doc = await fetchDocument()
    const publicOperations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(
          ([, operation]) => Array.isArray(operation.security) && operation.security.length === 0,
        )
        .map(([method]) => `${method} ${path}`),
    )
    expect(publicOperations.sort()).toEqual(['get /api/v1/healthcheck', 'get /api/v1/openapi.json'])
  })
})

describe('contract checker', () => {
  it('refuses a body that does not match the documented schema', () => {
    const problem = contractProblem('GET', 'http://x/api/v1/accounts/1', 200, {
      success: true,
      data: { id: 1, name: 'a', features: [], dateCreated: 'yesterday', dateModified: null },
    })
    expect(problem).toMatch(/dateCreated/)
  })

  it('refuses an undocumented status', () => {
    expect(contractProblem('GET', 'http://x/api/v1/features', 409, {})).toMatch(/not documented/)
  })

  it('accepts a documented error envelope', () => {
    const body = { success: false, data: "account doesn't exist", code: 'NOT_FOUND' }
    expect(contractProblem('GET', 'http://x/api/v1/accounts/5', 404, body)).toBeNull()
  })
})
