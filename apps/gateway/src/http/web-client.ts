import { existsSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';

/**
 * The web client (apps/web), built by `npm run build` into dist/apps/web beside this app's code. The
 * gateway serves it from `/` so the page, the HTTP API and the WebSocket share one origin: no CORS, and
 * the page finds the gateway at `location.origin`. A build without the web client serves nothing here.
 */
const WEB_CLIENT_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));

export function serveWebClient(app: INestApplication): boolean {
  if (!existsSync(`${WEB_CLIENT_DIR}index.html`)) return false;
  // Static files only (no directory listing, no dotfiles); the API under /v1 is matched by Nest first.
  (app as NestExpressApplication).useStaticAssets(WEB_CLIENT_DIR, {
    index: 'index.html',
    dotfiles: 'ignore',
    fallthrough: true,
    maxAge: 0,
    setHeaders: (res, path) => {
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('X-Frame-Options', 'DENY');
      res.setHeader('Referrer-Policy', 'no-referrer');
      // Vite names built assets by content hash: they never change, so browsers may keep them.
      if (path.includes(`${sep}assets${sep}`))
        res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    },
  });
  return true;
}
