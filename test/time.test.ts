import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { addMonthsClamped, formatDate, nextResetAfter } from '../src/time'

const at = (iso: string) => Date.parse(iso)
const next = (anchor: string, now: string) => formatDate(nextResetAfter(at(anchor), at(now)))

describe('nextResetAfter', () => {
  it.each([
    [
      'month end into a leap February',
      '2024-01-31T10:00:00Z',
      '2024-01-31T10:00:00Z',
      '2024-02-29T10:00:00Z',
    ],
    [
      'leap February back to the anchor day',
      '2024-01-31T10:00:00Z',
      '2024-02-29T10:00:00Z',
      '2024-03-31T10:00:00Z',
    ],
    [
      'March into a 30-day April',
      '2024-01-31T10:00:00Z',
      '2024-03-31T10:00:00Z',
      '2024-04-30T10:00:00Z',
    ],
    [
      'month end into a common February',
      '2023-01-31T10:00:00Z',
      '2023-01-31T10:00:00Z',
      '2023-02-28T10:00:00Z',
    ],
    [
      'the 29th in a common year',
      '2023-01-29T00:00:00Z',
      '2023-02-01T00:00:00Z',
      '2023-02-28T00:00:00Z',
    ],
    [
      'the 30th into February of a leap year',
      '2024-01-30T23:59:59Z',
      '2024-02-01T00:00:00Z',
      '2024-02-29T23:59:59Z',
    ],
    [
      'December into January of the next year',
      '2024-12-15T08:00:00Z',
      '2024-12-20T00:00:00Z',
      '2025-01-15T08:00:00Z',
    ],
    [
      'December 31 into January 31',
      '2024-12-31T23:00:00Z',
      '2025-01-01T00:00:00Z',
      '2025-01-31T23:00:00Z',
    ],
    [
      'the day of a reset, before its time',
      '2024-01-15T10:30:00Z',
      '2024-02-15T10:29:59Z',
      '2024-02-15T10:30:00Z',
    ],
    [
      'the exact reset instant moves on a month',
      '2024-01-15T10:30:00Z',
      '2024-02-15T10:30:00Z',
      '2024-03-15T10:30:00Z',
    ],
    [
      'months missed while idle are skipped',
      '2024-01-15T10:30:00Z',
      '2024-06-20T00:00:00Z',
      '2024-07-15T10:30:00Z',
    ],
    [
      'years missed while idle are skipped',
      '2020-02-29T12:00:00Z',
      '2023-02-28T13:00:00Z',
      '2023-03-29T12:00:00Z',
    ],
    [
      'before the first period ends it is one month on',
      '2024-05-10T00:00:00Z',
      '2024-05-10T00:00:01Z',
      '2024-06-10T00:00:00Z',
    ],
  ])('%s', (_, anchor, now, expected) => {
    expect(next(anchor, now)).toBe(expected)
  })
})

describe('addMonthsClamped', () => {
  it('never loses the anchor day to a short month on the way', () => {
    const anchor = at('2024-01-31T10:00:00Z')
    const dates = [1, 2, 3, 4, 5, 13].map((months) => formatDate(addMonthsClamped(anchor, months)))
    expect(dates).toEqual([
      '2024-02-29T10:00:00Z',
      '2024-03-31T10:00:00Z',
      '2024-04-30T10:00:00Z',
      '2024-05-31T10:00:00Z',
      '2024-06-30T10:00:00Z',
      '2025-02-28T10:00:00Z',
    ])
  })
})

// 2,000 generated pairs of (anchor, now) between 1990 and 2090.
describe('nextResetAfter properties', () => {
  const instant = fc.integer({ min: at('1990-01-01T00:00:00Z'), max: at('2090-01-01T00:00:00Z') })
  const secondOf = (ms: number) => Math.floor(ms / 1000) * 1000
  const anchorAndNow = fc
    .tuple(instant, instant)
    .map(([a, b]) => ({ anchor: secondOf(Math.min(a, b)), now: Math.max(a, b) }))
  const lastDayOf = (d: Date) =>
    new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate()

  it('is after now, keeps the time of day, and keeps the anchor day or the month end', () => {
    fc.assert(
      fc.property(anchorAndNow, ({ anchor, now }) => {
        const result = nextResetAfter(anchor, now)
        const anchorDate = new Date(anchor)
        const resultDate = new Date(result)
        expect(result).toBeGreaterThan(now)
        expect(result).toBeGreaterThan(anchor)
        expect(resultDate.toISOString().slice(11)).toBe(anchorDate.toISOString().slice(11))
        const expectedDay = Math.min(anchorDate.getUTCDate(), lastDayOf(resultDate))
        expect(resultDate.getUTCDate()).toBe(expectedDay)
      }),
      { numRuns: 2000 },
    )
  })

  it('is the first such date: one month earlier is not after now', () => {
    fc.assert(
      fc.property(anchorAndNow, ({ anchor, now }) => {
        const result = nextResetAfter(anchor, now)
        const resultDate = new Date(result)
        const monthsFromAnchor =
          (resultDate.getUTCFullYear() - new Date(anchor).getUTCFullYear()) * 12 +
          resultDate.getUTCMonth() -
          new Date(anchor).getUTCMonth()
        if (monthsFromAnchor > 1) {
          expect(addMonthsClamped(anchor, monthsFromAnchor - 1)).toBeLessThanOrEqual(now)
        } else {
          expect(monthsFromAnchor).toBe(1)
        }
      }),
      { numRuns: 2000 },
    )
  })
})
