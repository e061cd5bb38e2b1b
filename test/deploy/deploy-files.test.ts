/*
 * deploy/ is documentation-grade (no container runtime here), so this test is what keeps it true: the compose
 * file parses and its services, volumes, env and proxy config refer to things that exist; every `serve` flag
 * used in the compose file, the Dockerfile and KUBERNETES.md is one `voiceagent serve --help` lists; the
 * Dockerfile uses only real instructions, copies files that exist, runs as a non-root user and checks /healthz;
 * the Kubernetes manifests parse and drain within their grace period.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ROOT, runCli } from '../server/serve-process.js';

const DEPLOY = join(ROOT, 'deploy');
const read = (name: string) => readFileSync(join(DEPLOY, name), 'utf8');

/** The flags `voiceagent serve --help` lists. */
let serveFlags: Set<string>;
beforeAll(async () => {
  const help = await runCli(['serve', '--help'], { timeoutMs: 30_000 });
  expect(help.code).toBe(0);
  serveFlags = new Set(help.stdout.match(/--[a-z][a-z-]*/g) ?? []);
  expect(serveFlags.has('--drain-timeout-ms')).toBe(true);
}, 40_000);

/** The `--flag value` pairs of an argument list (a flag followed by another flag, or by nothing, has no value). */
function flagsOf(args: readonly string[]): Map<string, string | undefined> {
  const flags = new Map<string, string | undefined>();
  args.forEach((arg, i) => {
    if (!arg.startsWith('--')) return;
    const next = args[i + 1];
    flags.set(arg, next !== undefined && !next.startsWith('--') ? next : undefined);
  });
  return flags;
}

function expectRealServeFlags(args: readonly string[], where: string): Map<string, string | undefined> {
  expect(args[0], `${where}: the command is serve`).toBe('serve');
  const flags = flagsOf(args);
  const unknown = [...flags.keys()].filter((flag) => !serveFlags.has(flag));
  expect(unknown, `${where}: flags voiceagent serve --help does not list`).toEqual([]);
  return flags;
}

interface ComposeService {
  build?: { context: string; dockerfile: string };
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: string[];
  ports?: string[];
  volumes?: string[];
  stop_grace_period?: string;
}

describe('deploy/docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
  const services = compose.services;
  const voiceagents = Object.entries(services).filter(([, s]) => s.command?.[0] === 'serve');

  it('runs three voiceagent servers, Redis and a reverse proxy', () => {
    expect(voiceagents.map(([name]) => name)).toEqual(['voiceagent-1', 'voiceagent-2', 'voiceagent-3']);
    expect(services.redis?.image).toMatch(/^redis:/);
    expect(services.proxy?.ports).toEqual(['8080:80']);
  });

  it("each server's command uses real serve flags, the compose Redis, its own advertise URL, and its own volume", () => {
    const volumes = new Set<string>();
    for (const [name, service] of voiceagents) {
      const flags = expectRealServeFlags(service.command!, `compose ${name}`);
      expect(flags.get('--host')).toBe('0.0.0.0');
      expect(flags.get('--port')).toBe('8080');
      const redisHost = new URL(flags.get('--registry')!).hostname;
      expect(services[redisHost], `--registry names the compose service ${redisHost}`).toBeDefined();
      expect(new URL(flags.get('--advertise-url')!).host).toBe(`${name}:8080`);
      const [volume, mount] = service.volumes![0]!.split(':');
      expect(mount).toBe(flags.get('--data'));
      expect(compose.volumes).toHaveProperty(volume!);
      volumes.add(volume!);
      // The drain must end before the orchestrator's SIGKILL.
      expect(Number(flags.get('--drain-timeout-ms')) / 60_000).toBeLessThan(parseInt(service.stop_grace_period!, 10));
    }
    expect(volumes.size).toBe(3);
  });

  it('builds from the Dockerfile, needs the tokens, and depends only on services that exist', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const dependency of service.depends_on ?? []) expect(services[dependency], `${name} depends on ${dependency}`).toBeDefined();
      if (!service.build) continue;
      expect(existsSync(join(DEPLOY, service.build.context, service.build.dockerfile))).toBe(true);
      expect(service.environment?.VOICEAGENT_TOKEN).toMatch(/^\$\{VOICEAGENT_TOKEN:\?/);
      expect(service.environment?.TWILIO_AUTH_TOKEN).toMatch(/^\$\{TWILIO_AUTH_TOKEN:\?/);
    }
  });

  it("the proxy's config file exists and sends traffic to exactly the compose servers, on their port, WebSockets included", () => {
    const mount = services.proxy!.volumes!.find((v) => v.includes('nginx.conf'))!;
    const source = mount.split(':')[0]!;
    expect(existsSync(join(DEPLOY, source))).toBe(true);
    const conf = readFileSync(join(DEPLOY, source), 'utf8').replace(/#.*$/gm, '');
    expect(conf.split('{').length).toBe(conf.split('}').length);
    const upstreams = [...conf.matchAll(/^\s*server\s+([\w.-]+):(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`);
    expect(upstreams).toEqual(voiceagents.map(([name]) => `${name}:8080`));
    const upstreamName = /upstream\s+([\w-]+)\s*\{/.exec(conf)![1];
    expect(conf).toContain(`proxy_pass http://${upstreamName};`);
    expect(conf).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(conf).toMatch(/proxy_next_upstream[^;]*http_503/);
  });
});

describe('deploy/Dockerfile', () => {
  const KEYWORDS = new Set(['FROM', 'RUN', 'CMD', 'LABEL', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME', 'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL']);
  // One instruction per logical line: comments dropped, backslash continuations joined.
  const instructions = read('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => ({ keyword: line.split(/\s+/)[0]!, rest: line.slice(line.split(/\s+/)[0]!.length).trim() }));
  const all = (keyword: string) => instructions.filter((i) => i.keyword === keyword);

  it('uses only real instructions, from node:20-slim, and ends as a non-root user', () => {
    expect(instructions.filter((i) => !KEYWORDS.has(i.keyword)).map((i) => i.keyword)).toEqual([]);
    expect(all('FROM').map((i) => i.rest.split(/\s+/)[0])).toEqual(['node:20-slim', 'node:20-slim']);
    const user = all('USER').at(-1)?.rest;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(all('RUN').some((i) => i.rest.includes('npm ci --omit=dev'))).toBe(true);
  });

  it('copies only files that exist in the repository (the build context is its root)', () => {
    for (const copy of all('COPY')) {
      if (copy.rest.startsWith('--from=')) continue;
      const sources = copy.rest.split(/\s+/).slice(0, -1);
      for (const source of sources) expect(existsSync(join(ROOT, source)), `COPY ${source}`).toBe(true);
    }
  });

  it('checks /healthz on the port it serves, and its CMD uses real serve flags through the real launcher', () => {
    const health = all('HEALTHCHECK')[0]!.rest;
    const cmd = JSON.parse(all('CMD')[0]!.rest) as string[];
    const entrypoint = JSON.parse(all('ENTRYPOINT')[0]!.rest) as string[];
    expect(existsSync(join(ROOT, entrypoint[1]!))).toBe(true);
    const flags = expectRealServeFlags(cmd, 'Dockerfile CMD');
    expect(flags.get('--host')).toBe('0.0.0.0');
    expect(health).toContain(`127.0.0.1:${flags.get('--port')}/healthz`);
    expect(all('EXPOSE')[0]!.rest).toBe(flags.get('--port'));
    expect(all('STOPSIGNAL')[0]!.rest).toBe('SIGTERM');
  });
});

describe('deploy/KUBERNETES.md', () => {
  const text = read('KUBERNETES.md');
  const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].flatMap((m) => parseAllDocuments(m[1]!).map((doc) => doc.toJS() as Record<string, any>));
  const deployment = blocks.find((b) => b.kind === 'Deployment')!;

  it('has a Deployment, a Service selecting its pods, and a Secret with the tokens', () => {
    expect(blocks.map((b) => b.kind).sort()).toEqual(['Deployment', 'Secret', 'Service']);
    const service = blocks.find((b) => b.kind === 'Service')!;
    expect(service.spec.selector).toEqual(deployment.spec.template.metadata.labels);
    expect(Object.keys(blocks.find((b) => b.kind === 'Secret')!.stringData)).toEqual(expect.arrayContaining(['VOICEAGENT_TOKEN', 'TWILIO_AUTH_TOKEN']));
  });

  it('drains within the grace period, probes /healthz, and uses real serve flags', () => {
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    const flags = expectRealServeFlags(container.args, 'KUBERNETES.md Deployment');
    const preStopSeconds = Number(container.lifecycle.preStop.exec.command[1]);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds + Number(flags.get('--drain-timeout-ms')) / 1000);
    expect(container.readinessProbe.httpGet.path).toBe('/healthz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    // Liveness must outlast a drain (503 all along) or the kubelet kills a draining pod.
    expect(container.livenessProbe.periodSeconds * container.livenessProbe.failureThreshold).toBeGreaterThan(Number(flags.get('--drain-timeout-ms')) / 1000);
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    expect(container.ports[0].containerPort).toBe(Number(flags.get('--port')));
  });
});
