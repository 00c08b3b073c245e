import { createApp } from './app'
import { runResetSweep } from './cron'

export { AccountObject } from './durable/account-object'
export { AuthGuard } from './durable/auth-guard'

const app = createApp()

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(runResetSweep(env, controller.scheduledTime))
  },
} satisfies ExportedHandler<Cloudflare.Env>
