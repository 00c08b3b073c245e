import { accountNameBody, consumeBody, featureIdBody, increaseBody } from '../bodies'
import type { Schema } from '../schema'
import type { SchemaName } from './schemas'

export interface Operation {
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
