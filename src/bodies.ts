import { integer, name, object } from './schema'

// Request bodies of the API. The same objects validate requests and describe them in the
// OpenAPI document.

export const accountNameBody = object({
  name: name({ field: 'name', required: 'account name is required', maxLength: 255 }),
})

export const featureIdBody = object({
  featureId: integer({
    field: 'featureId',
    min: 1,
    required: 'feature id is required',
    zeroIsMissing: true,
    description: 'Id of a feature in the catalog',
  }),
})

export const increaseBody = object({
  count: integer({
    field: 'count',
    min: 0,
    required: 'count is required',
    description: 'Credits to add; 0 changes nothing',
  }),
})

export const consumeBody = object({
  count: integer({
    field: 'count',
    min: 1,
    required: 'count is required',
    description: 'Credits to take',
  }),
})
