/*
 * The playground's pages and files as `voiceagent serve` serves them (in this process, offline, on a free
 * loopback port), without a browser: a person opening `/` finds the receptionist and a link to its playground;
 * the playground page loads only files this server serves, each with its content type, none referring to
 * anything on the internet; an agent the server does not serve is 404; a file name that tries to climb out of
 * the folder is 404. With VOICEAGENT_TOKEN set the pages need the token (as the calls do) and hand it on to
 * links; the files, the same for every installation, do not.
 */
import { transform } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, startServer, type RunningServer } from '../../runtime/server/index.js';
import { ROOT } from './serve-process.js';

const TOKEN = 's3cret-playground';

let open: RunningServer;
let guarded: RunningServer;

function start(env: Record<string, string>): Promise<RunningServer> {
  return startServer({ paths: ['agents/receptionist.yaml'], cwd: ROOT, host: '127.0.0.1', port: 0, dataDir: '/tmp/voiceagent-playground-routes', offline: true, recordWav: false, drainTimeoutMs: 1000, env, log: silentLogger });
}

beforeAll(async () => {
  [open, guarded] = await Promise.all([start({}), start({ VOICEAGENT_TOKEN: TOKEN })]);
}, 30_000);

afterAll(async () => {
  await Promise.all([open?.close(), guarded?.close()]);
});

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; body: string; headers: Headers }> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text(), headers: response.headers };
}

/** What a page or a module loads from this server: `src`/`href` of the HTML, `import … from`, worklet modules. */
function referencesOf(text: string, base: string): string[] {
  const found = new Set<string>();
  for (const match of text.matchAll(/\s(?:src|href)="([^"]+)"/g)) found.add(match[1]!);
  for (const match of text.matchAll(/(?:^|\s)(?:import|export)\s[^'";]*?from\s*'([^']+)'/gm)) found.add(match[1]!);
  for (const match of text.matchAll(/'(\/assets\/[^']+)'/g)) found.add(match[1]!);
  return [...found].filter((ref) => !ref.startsWith('data:') && !ref.startsWith('#')).map((ref) => new URL(ref, base).href);
}

describe('the playground served by voiceagent serve', () => {
  it('GET / lists the served agents, each linking to its playground', async () => {
    const page = await get(`${open.url}/`);
    expect(page.status).toBe(200);
    expect(page.type).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<a class="agent-card" href="/play/receptionist">');
    expect(page.body).toContain('Front desk of Bright Smile Dental');
    // The browser itself refuses anything not from this server.
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('GET /play/:agent is the playground of that agent; an agent not served is 404', async () => {
    const page = await get(`${open.url}/play/receptionist`);
    expect(page.status).toBe(200);
    expect(page.type).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('data-agent="receptionist"');
    expect(page.body).toContain('data-typed-lines="true"');
    expect(page.body).toContain('<script type="module" src="/assets/playground.js"></script>');
    for (const id of ['call-button', 'mute-button', 'download-button', 'activity', 'waves', 'conversation', 'say-input', 'waterfall', 'barge-ins']) expect(page.body).toContain(`id="${id}"`);

    const missing = await get(`${open.url}/play/nobody`);
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('no agent named "nobody"');
  });

  it('everything the pages load is served here, with its content type, and nothing refers to the internet', async () => {
    const seen = new Map<string, { status: number; type: string }>();
    const queue = [`${open.url}/`, `${open.url}/play/receptionist`];
    while (queue.length > 0) {
      const url = queue.shift()!;
      if (seen.has(url)) continue;
      const response = await get(url);
      seen.set(url, { status: response.status, type: response.type });
      expect(response.body, `${url} refers to the internet`).not.toMatch(/https?:\/\//);
      expect(new URL(url).origin, `${url} is not on this server`).toBe(open.url);
      if (response.type.startsWith('text/html') || response.type.startsWith('text/javascript')) queue.push(...referencesOf(response.body, url));
    }
    const assets = Object.fromEntries([...seen].filter(([url]) => url.includes('/assets/')).map(([url, r]) => [new URL(url).pathname, `${r.status} ${r.type}`]));
    expect(assets).toEqual({
      '/assets/playground.css': '200 text/css; charset=utf-8',
      '/assets/playground.js': '200 text/javascript; charset=utf-8',
      '/assets/call-client.js': '200 text/javascript; charset=utf-8',
      '/assets/call-audio-worklet.js': '200 text/javascript; charset=utf-8',
      '/assets/dom.js': '200 text/javascript; charset=utf-8',
      '/assets/observe.js': '200 text/javascript; charset=utf-8',
      '/assets/render-conversation.js': '200 text/javascript; charset=utf-8',
      '/assets/render-status.js': '200 text/javascript; charset=utf-8',
      '/assets/render-waterfall.js': '200 text/javascript; charset=utf-8',
      '/assets/render-waves.js': '200 text/javascript; charset=utf-8',
    });
  });

  it('every script is a module that parses (a syntax error is caught here, not only in a browser)', async () => {
    for (const name of ['playground.js', 'call-client.js', 'call-audio-worklet.js', 'dom.js', 'render-conversation.js', 'render-status.js', 'render-waterfall.js', 'render-waves.js', 'observe.js']) {
      const { body } = await get(`${open.url}/assets/${name}`);
      await expect(transform(body, { loader: 'js', format: 'esm', logLevel: 'silent' }), name).resolves.toBeDefined();
    }
  });

  it('a file that is not there, or a name that climbs out of the folder, is 404', async () => {
    expect((await get(`${open.url}/assets/nope.js`)).status).toBe(404);
    expect((await get(`${open.url}/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
    expect((await get(`${open.url}/assets/.hidden.js`)).status).toBe(404);
    expect((await get(`${open.url}/assets/../package.json`)).status).toBe(404);
  });

  it('with VOICEAGENT_TOKEN set, the pages need the token and hand it on; the files do not', async () => {
    for (const path of ['/', '/play/receptionist']) {
      const refused = await get(`${guarded.url}${path}`);
      expect(refused.status, path).toBe(401);
      expect(refused.type).toBe('text/html; charset=utf-8');
      expect(refused.body).toContain('?token=');
      expect((await get(`${guarded.url}${path}?token=wrong`)).status, path).toBe(401);
      expect((await get(`${guarded.url}${path}`, { authorization: `Bearer ${TOKEN}` })).status, path).toBe(200);
    }
    const index = await get(`${guarded.url}/?token=${TOKEN}`);
    expect(index.status).toBe(200);
    expect(index.body).toContain(`href="/play/receptionist?token=${TOKEN}"`);
    const play = await get(`${guarded.url}/play/receptionist?token=${TOKEN}`);
    expect(play.status).toBe(200);
    expect(play.body).toContain(`href="/?token=${TOKEN}"`);
    expect((await get(`${guarded.url}/assets/playground.js`)).status).toBe(200);
    expect((await get(`${guarded.url}/assets/observe.js`)).status).toBe(200);
  });

  it('a name in the page is escaped: markup in a query cannot reach the HTML', async () => {
    const page = await get(`${open.url}/play/receptionist?token=%22%3E%3Cscript%3Ealert(1)%3C/script%3E`);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('<script>alert(1)</script>');
  });
});
