import { execFile } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { REPO_ROOT, WRANGLER, wranglerEnv } from './worker-process'

const run = promisify(execFile)

export interface BundleSize {
  files: string[]
  bytes: number
  gzipBytes: number
}

/** Builds the deployable bundle exactly as `wrangler deploy` would, and weighs its JavaScript. */
export async function measureBundle(outdir: string): Promise<BundleSize> {
  await run(WRANGLER, ['deploy', '--dry-run', '--outdir', outdir], {
    cwd: REPO_ROOT,
    env: wranglerEnv(),
    maxBuffer: 16 * 1024 * 1024,
  })
  const files = (await readdir(outdir)).filter((file) => /\.m?js$/.test(file)).sort()
  let bytes = 0
  let gzipBytes = 0
  for (const file of files) {
    const content = await readFile(path.join(outdir, file))
    bytes += content.byteLength
    gzipBytes += gzipSync(content, { level: 9 }).byteLength
  }
  return { files, bytes, gzipBytes }
}
