/**
 * dashboardRouter: the dashboard page at `/` and its static files under `/dashboard/` (built into
 * dist/dashboard/ by `npm run build`; the source is src/dashboard/). The page holds no data: it
 * reads the same `/v1/*` endpoints as any client, with the bearer token the user gives it, so
 * serving it without a token weakens nothing. With auth off it keeps the loopback Host rule of
 * every other route (a page on another site cannot reach it by DNS rebinding).
 *
 * Every answer carries a strict Content-Security-Policy — scripts, styles and requests to this
 * origin only, no inline code, no framing, no forms posted elsewhere — plus `nosniff`,
 * `no-referrer` and no caching of stale builds.
 *
 * How it fails: GET / answers 404 `not_found` naming the build step when the built files are
 * missing; unknown files under /dashboard/ fall through to the app's 404; a Host refused with auth
 * off is 403 like everywhere else. It is not an API route, so it is not in the OpenAPI document.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { type AuthOptions, authorize } from '../auth.js';
import { HttpProblem } from '../problems.js';

/** CONTENT_SECURITY_POLICY is the policy every dashboard answer carries. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * dashboardDir finds the built page: next to the compiled server (`dist/dashboard/` when running
 * from `dist/`), else the repository's `dist/dashboard/` (when running from `src/`, as the tests
 * do). Undefined when neither holds a build.
 */
export function dashboardDir(): string | undefined {
  const candidates = [
    new URL('../../dashboard/', import.meta.url),
    new URL('../../../dist/dashboard/', import.meta.url),
  ];
  return candidates
    .map((u) => fileURLToPath(u))
    .find((dir) => existsSync(`${dir}index.html`) && existsSync(`${dir}app.js`));
}

/** dashboardRouter serves the page; `auth` is the server's, for the loopback Host rule. */
export function dashboardRouter(auth: AuthOptions): Router {
  const router = express.Router();
  const dir = dashboardDir();
  const guard = (req: Request, res: Response, next: NextFunction) => {
    authorize(auth, req, { kind: 'public' }, {});
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'no-cache');
    next();
  };
  router.get('/', guard, (_req, res, next) => {
    if (!dir) {
      throw new HttpProblem('not_found', 'the dashboard is not built: run `npm run build`');
    }
    res.sendFile('index.html', { root: dir, dotfiles: 'deny' }, (err) => {
      if (err) next(err);
    });
  });
  if (dir) {
    router.use(
      '/dashboard',
      guard,
      express.static(dir, {
        index: false,
        redirect: false,
        dotfiles: 'ignore',
        etag: true,
        lastModified: false,
      }),
    );
  }
  return router;
}
