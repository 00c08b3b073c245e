// The few runtime types this Worker uses. The bench is type-checked with Node's types, which
// conflict with the Workers types, so the surface used here is declared by hand.

declare module 'cloudflare:workers' {
  export class DurableObject<Env = unknown> {
    protected readonly ctx: DurableObjectState
    protected readonly env: Env
    constructor(ctx: DurableObjectState, env: Env)
  }
}

interface DurableObjectState {
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>
}

interface D1Statement {
  bind(...values: unknown[]): D1Statement
  first<T>(): Promise<T | null>
  run(): Promise<unknown>
}

interface D1Like {
  prepare(query: string): D1Statement
  batch(statements: D1Statement[]): Promise<unknown[]>
}

/** What a Durable Object stub offers: each public method of the object, over RPC. */
type StubOf<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never
}

interface NamespaceLike<T> {
  getByName(name: string): StubOf<T>
}
