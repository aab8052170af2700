import type { RouteModule } from '../context';
import { createRouter } from '../context';

export const healthRoutes: RouteModule = (ctx) => {
  const r = createRouter();
  r.get('/api/health', async (_req, res) => {
    let db = 'ok';
    try {
      await ctx.storage.db.selectFrom('runs').select('id').limit(1).execute();
    } catch {
      db = 'error';
    }
    res
      .status(db === 'ok' ? 200 : 503)
      .json({ status: db === 'ok' ? 'ok' : 'degraded', db, dialect: ctx.storage.dialect, version: '0.1.0' });
  });
  return r;
};
