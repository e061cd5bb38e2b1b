import type { ServedAgent } from '../agent-catalog.js';
import { checkToken, type EndpointOptions } from '../endpoint.js';
import type { HttpReply, HttpRequest, HttpRoute } from '../http-server.js';
import { createObserveBundleCache, type ObserveBundle } from './observe-bundle.js';
import { renderIndexPage, renderPlayPage, renderRefusalPage, type PageContext } from './pages.js';
import { isAssetName, loadStaticAssets, type StaticAsset } from './static-assets.js';

/*
 * The browser playground of `voiceagent serve`: `GET /` lists the agents, `GET /play/:agent` calls one over
 * the native WebSocket, `GET /assets/*` serves what those pages load (nothing comes from anywhere else).
 * The pages follow the token rules of `/calls`: they name the agents, and the page hands its `?token=` on to
 * the WebSocket. The assets need no token: they are the same files for every installation (the npm package's
 * `web/playground/` and runtime/observe), and a `<script src>` could not carry one anyway.
 */

/** What the playground needs beyond the shared endpoint options. */
export interface PlaygroundOptions {
  /** The agents served (for the index page). */
  readonly agents: () => ReadonlyMap<string, ServedAgent>;
  /** The static files (default: `web/playground/` of this package, read once). */
  readonly assets?: ReadonlyMap<string, StaticAsset>;
  /** The runtime/observe bundle (default: built by esbuild on first request, then cached). */
  readonly observeBundle?: () => Promise<ObserveBundle>;
}

/**
 * Everything the browser may load: only this server (`'self'`, and its own WebSocket). A page edited to pull a
 * script from a CDN would be refused by the browser, not only caught by the tests.
 */
const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'self'";

const HTML_HEADERS: Readonly<Record<string, string>> = { 'content-security-policy': CONTENT_SECURITY_POLICY, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
// no-cache, not a long max-age: the files change with the installed version, and a revalidation on loopback is free.
const ASSET_HEADERS: Readonly<Record<string, string>> = { 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };

/** The playground's routes, to mount beside the other routes of `serve`. */
export function playgroundRoutes(options: Pick<EndpointOptions, 'env' | 'loopback' | 'offline' | 'log'>, playground: PlaygroundOptions): HttpRoute[] {
  let assets = playground.assets;
  const bundle = playground.observeBundle ?? createObserveBundleCache();
  const page = (request: HttpRequest, render: (context: PageContext) => string): HttpReply => {
    const denied = checkToken(options, request);
    if (denied) return { status: denied.status, type: 'text/html; charset=utf-8', body: renderRefusalPage(denied.status, denied.body ?? ''), headers: HTML_HEADERS };
    const token = request.url.searchParams.get('token') ?? undefined;
    return { status: 200, type: 'text/html; charset=utf-8', body: render({ offline: options.offline, ...(token ? { token } : {}) }), headers: HTML_HEADERS };
  };
  return [
    { method: 'GET', path: '/', handle: (request) => page(request, (context) => renderIndexPage([...playground.agents().values()], context)) },
    { method: 'GET', path: '/play/:agent', handle: (request) => page(request, (context) => renderPlayPage(request.agent!, context)) },
    {
      method: 'GET',
      path: '/assets/observe.js',
      handle: async () => {
        const built = await bundle();
        if (!built.ok) {
          options.log.error('playground: observe bundle failed', { message: built.message });
          return { status: 500, type: 'text/plain; charset=utf-8', body: `${built.message}\n` };
        }
        return { status: 200, type: 'text/javascript; charset=utf-8', body: built.code, headers: ASSET_HEADERS };
      },
    },
    {
      method: 'GET',
      path: '/assets/:file',
      handle: (request) => {
        const name = request.params.file ?? '';
        try {
          // Read on first use, not at start: a server that nobody opens in a browser never touches the files.
          assets ??= loadStaticAssets();
        } catch (error) {
          options.log.error('playground: files missing', { message: (error as Error).message });
          return { status: 500, type: 'text/plain; charset=utf-8', body: `${(error as Error).message}\n` };
        }
        const asset = isAssetName(name) ? assets.get(name) : undefined;
        if (!asset) return { status: 404, type: 'text/plain; charset=utf-8', body: `no such playground file: ${name}\n` };
        return { status: 200, type: asset.type, body: asset.body, headers: ASSET_HEADERS };
      },
    },
  ];
}
