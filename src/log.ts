// One JSON object per line, so the Workers log viewer and any log pipeline can query fields.
// Callers pass only what is safe to keep: never credentials, headers or bodies.
export type LogLevel = 'info' | 'warn' | 'error'

export function logEvent(level: LogLevel, fields: Record<string, unknown>): void {
  const line = JSON.stringify({ level, time: new Date().toISOString(), ...fields })
  if (level === 'error') console.error(line)
  else if (level === 'warn') console.warn(line)
  else console.log(line)
}

export function describeError(error: unknown): { error: string; stack?: string } {
  if (error instanceof Error)
    return { error: `${error.name}: ${error.message}`, stack: error.stack }
  return { error: String(error) }
}
