import { describe, expect, it } from 'vitest'
import { call, createTestAccount, dataOf, WIRE_DATE } from './helpers'

interface FeatureJson {
  id: number
  name: string
  executionCredits: number
  dateCreated: string
  dateModified: string | null
}

const seeded: [id: number, name: string, executionCredits: number][] = [
  [1, 'IncreasedNumberOfJobExecutions100KPerMonth', 100000],
  [2, 'IncreasedRetryMaxByFive', 0],
  [3, 'IncreasedJobPayloadSizeTo1MB', 0],
  [4, 'IncreasedExecutionLogs90DaysRetention', 0],
  [5, 'TeamMembers', 0],
  [6, 'IncreasedNumberOfClassifyRequests100KPerMonth', 0],
  [7, 'IncreasedNumberOfPromptRequests100KPerMonth', 0],
]

describe('GET /api/v1/features', () => {
  it('answers 200 with exactly the seven seeded features, ordered by id', async () => {
    const response = await call('GET', '/features')
    expect(response.status).toBe(200)
    expect(response.json).toEqual({
      success: true,
      data: seeded.map(([id, name, executionCredits]) => ({
        id,
        name,
        executionCredits,
        dateCreated: expect.stringMatching(WIRE_DATE),
        dateModified: null,
      })),
    })
  })

  it('is not changed by attaching features to an account', async () => {
    const before = await call('GET', '/features')
    const account = await createTestAccount()
    await call('PUT', `/accounts/${account.id}/features/all`)
    const after = await call('GET', '/features')
    expect(dataOf<FeatureJson[]>(after)).toEqual(dataOf<FeatureJson[]>(before))
  })
})
