import { historyTypes } from '../db/schema'
import { errorCodes } from '../errors'
import { MAX_SAFE_COUNT, type JsonSchema } from '../schema'

// Response shapes of the API as JSON Schema. The contract test validates every response the
// test suite sees against these, so they cannot drift from what the handlers return.

const id: JsonSchema = { type: 'integer', minimum: 1, maximum: MAX_SAFE_COUNT }
const count: JsonSchema = { type: 'integer', minimum: 0, maximum: MAX_SAFE_COUNT }
const date: JsonSchema = {
  type: 'string',
  format: 'date-time',
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$',
}
const nullableDate: JsonSchema = { ...date, type: ['string', 'null'] }
const cursor: JsonSchema = {
  type: ['string', 'null'],
  description: 'Pass as `cursor` to get the next page; null on the last page',
}

const record = (properties: Record<string, JsonSchema>): JsonSchema => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
})

export const schemas = {
  AccountFeature: record({ accountId: id, featureId: id, feature: { type: 'string' } }),
  Account: record({
    id,
    name: { type: 'string', minLength: 1, maxLength: 255 },
    features: { type: 'array', items: { $ref: '#/components/schemas/AccountFeature' } },
    dateCreated: date,
    dateModified: nullableDate,
  }),
  AccountPage: record({
    accounts: { type: 'array', items: { $ref: '#/components/schemas/Account' } },
    nextCursor: cursor,
  }),
  Feature: record({
    id,
    name: { type: 'string' },
    executionCredits: count,
    dateCreated: date,
    dateModified: nullableDate,
  }),
  FeatureList: { type: 'array', items: { $ref: '#/components/schemas/Feature' } },
  FeatureId: record({ featureId: id }),
  Message: record({ message: { type: 'string' } }),
  ExecutionCount: record({
    id,
    accountId: id,
    executionCount: count,
    monthlyAllowance: count,
    dateCreated: date,
    dateModified: nullableDate,
    nextResetDate: date,
  }),
  NewExecutionCount: record({ newExecutionCount: count }),
  Consumed: record({ executionCount: count, consumed: { ...count, minimum: 1 } }),
  HistoryEntry: record({
    id,
    type: { type: 'string', enum: [...historyTypes] },
    delta: { type: 'integer', minimum: -MAX_SAFE_COUNT, maximum: MAX_SAFE_COUNT },
    executionCount: count,
    idempotencyKey: { type: ['string', 'null'] },
    dateCreated: date,
  }),
  HistoryPage: record({
    entries: { type: 'array', items: { $ref: '#/components/schemas/HistoryEntry' } },
    nextCursor: cursor,
  }),
  Health: record({ status: { const: 'ok' } }),
  Error: {
    type: 'object',
    properties: {
      success: { const: false },
      data: { type: 'string', description: 'Human readable message' },
      code: { type: 'string', enum: errorCodes },
      requestId: { type: 'string', description: 'Only on 500: quote it when reporting' },
    },
    required: ['success', 'data', 'code'],
    additionalProperties: false,
  },
} satisfies Record<string, JsonSchema>

export type SchemaName = keyof typeof schemas

/** The success envelope around a named schema. */
export const envelope = (name: SchemaName): JsonSchema => ({
  type: 'object',
  properties: { success: { const: true }, data: { $ref: `#/components/schemas/${name}` } },
  required: ['success', 'data'],
  additionalProperties: false,
})
