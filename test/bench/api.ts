/** A small client for the API's own routes, used to seed data and to check results. */
export class Api {
  readonly headers: Record<string, string>

  constructor(
    readonly baseUrl: string,
    username: string,
    password: string,
  ) {
    const token = Buffer.from(`${username}:${password}`).toString('base64')
    this.headers = { authorization: `Basic ${token}` }
  }

  async call<T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; data: T }> {
    const headers: Record<string, string> = { ...this.headers }
    if (body !== undefined) headers['content-type'] = 'application/json'
    const response = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    const envelope: unknown = text === '' ? undefined : JSON.parse(text)
    const data = (envelope as { data?: T } | undefined)?.data
    return { status: response.status, data: data as T }
  }

  /** Like call, but anything other than the expected status is an error. */
  async expect<T>(status: number, method: string, path: string, body?: unknown): Promise<T> {
    const result = await this.call<T>(method, path, body)
    if (result.status !== status) {
      throw new Error(`${method} ${path}: expected ${status}, got ${result.status}`)
    }
    return result.data
  }

  /** Follows nextCursor through every page of a list route. */
  async allPages<T>(path: string, key: string): Promise<T[]> {
    const items: T[] = []
    let cursor: string | null = null
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`
      const page: Record<string, unknown> = await this.expect(
        200,
        'GET',
        `${path}?limit=100${query}`,
      )
      const list = page[key]
      if (!Array.isArray(list)) throw new Error(`${path}: no ${key} array`)
      items.push(...(list as T[]))
      cursor = typeof page.nextCursor === 'string' ? page.nextCursor : null
    } while (cursor !== null)
    return items
  }
}

export interface AccountJson {
  id: number
  name: string
}

export interface ExecutionCountJson {
  executionCount: number
  monthlyAllowance: number
}

export interface HistoryEntryJson {
  id: number
  type: string
  delta: number
  executionCount: number
  idempotencyKey: string | null
}

/** Runs jobs with at most `limit` at a time. */
export async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  job: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await job(items[index] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
