// Secrets are not in wrangler.toml, so `wrangler types` cannot see them.
declare namespace Cloudflare {
  interface Env {
    SCHEDULER0_AUTH_USERNAME?: string
    SCHEDULER0_AUTH_PASSWORD?: string
  }
}
