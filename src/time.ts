// Wire dates are RFC 3339 in UTC with second precision: 2024-01-15T10:30:00Z.
export function formatDate(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

export function parseDate(value: string): number {
  return Date.parse(value)
}

function daysInMonth(year: number, monthIndex: number): number {
  return new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate()
}

/**
 * The anchor moved on by `months` whole months: same day of month and time of day, clamped to
 * the last day of a shorter month. Always computed from the anchor, never from a previous
 * clamped date, so Jan 31 gives Feb 29 and then Mar 31 again.
 */
export function addMonthsClamped(anchorMs: number, months: number): number {
  const anchor = new Date(anchorMs)
  const monthIndex = anchor.getUTCMonth() + months
  const year = anchor.getUTCFullYear() + Math.floor(monthIndex / 12)
  const month = ((monthIndex % 12) + 12) % 12
  const day = Math.min(anchor.getUTCDate(), daysInMonth(year, month))
  return Date.UTC(
    year,
    month,
    day,
    anchor.getUTCHours(),
    anchor.getUTCMinutes(),
    anchor.getUTCSeconds(),
    anchor.getUTCMilliseconds(),
  )
}

/** The first anchor date strictly after `nowMs`, at least one month after the anchor. */
export function nextResetAfter(anchorMs: number, nowMs: number): number {
  const start = new Date(anchorMs)
  const now = new Date(nowMs)
  const monthsBetween =
    (now.getUTCFullYear() - start.getUTCFullYear()) * 12 + now.getUTCMonth() - start.getUTCMonth()
  // The month difference is at most one short of the answer; step forward from just below it.
  let months = Math.max(1, monthsBetween - 1)
  while (addMonthsClamped(anchorMs, months) <= nowMs) months += 1
  return addMonthsClamped(anchorMs, months)
}
