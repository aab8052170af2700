import { providerStatus } from '../../services';
import type { RouteModule } from '../context';
import { createRouter } from '../context';

export const providersRoutes: RouteModule = (ctx) => {
  const r = createRouter();
  // Names and env var names only: never keys or base URLs.
  r.get('/api/providers', (_req, res) => {
    res.json({ providers: providerStatus(ctx.config) });
  });
  return r;
};
