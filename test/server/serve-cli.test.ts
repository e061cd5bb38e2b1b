/*
 * `voiceagent serve` as a user meets it on the command line. It refuses to start, with exit code 2, one clear
 * message and no stack trace, when an agent file is broken (each problem at its file:line:col), when an
 * agent's keys are missing and --offline is not given (the message `validate --online` gives, once per key at
 * the field that names it), and when --port is taken (say which, and how to pick another). Each refusal holds
 * with the default worker count (the cluster's primary) as with `--workers 1`. Once listening, `--json`
 * prints one JSON object with every agent's endpoints, and without it a `listening on` line then one line per
 * agent. `--help` lists every endpoint.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { get, killServes, makeDataDir, removeDataDirs, runCli, startServe, until } from './serve-process.js';

const BROKEN = 'test/fixtures/invalid-agents/40-several-errors.yaml';

afterAll(async () => {
  await killServes();
  removeDataDirs();
});

/** Expects a refusal: exit 2, nothing on stdout, `voiceagent: <message>` on stderr and no stack trace. */
function expectRefusal(result: { code: number | null; stdout: string; stderr: string }, message: RegExp): void {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/internal error|\n\s+at |worker \d+ exited/);
}

describe.concurrent('voiceagent serve refuses to start', () => {
  it('with a broken agent file: every problem at file:line:col, exit 2', { timeout: 30_000 }, async () => {
    const data = makeDataDir();
    const [inProcess, cluster] = await Promise.all([
      runCli(['serve', '--offline', '--port', '0', '--workers', '1', '--data', data, 'agents/receptionist.yaml', BROKEN]),
      runCli(['serve', '--offline', '--port', '0', '--data', data, BROKEN]),
    ]);
    for (const result of [inProcess, cluster]) {
      expectRefusal(result, /^voiceagent: 10 errors in the agent files; the server did not start:$/m);
      expect(result.stderr).toMatch(/40-several-errors\.yaml:19:13: error: `apiVersion` must be "voiceagent\/v1"/);
      expect(result.stderr).toMatch(/40-several-errors\.yaml:37:32: error: unknown key `minWord` in `bargeIn\.confirm`\n  hint: did you mean `minWords`\?/);
    }
  });

  it('without keys and without --offline: the message of validate --online, at each key, exit 2', { timeout: 30_000 }, async () => {
    const data = makeDataDir();
    const [serveInProcess, serveCluster, validate] = await Promise.all([
      runCli(['serve', '--port', '0', '--workers', '1', '--data', data, 'agents/receptionist.yaml']),
      runCli(['serve', '--port', '0', '--data', data, 'agents/receptionist.yaml']),
      runCli(['validate', '--online', 'agents/receptionist.yaml']),
    ]);
    // What validate --online says about the keys, file:line:col first.
    const keyLines = validate.stdout
      .split('\n')
      .concat(validate.stderr.split('\n'))
      .filter((line) => line.includes('is not set'))
      .map((line) => line.replace(/^agents\/receptionist\.yaml/, ''));
    expect(keyLines).toHaveLength(2);
    for (const result of [serveInProcess, serveCluster]) {
      expectRefusal(result, /^voiceagent: missing keys; the server did not start:$/m);
      const lines = result.stderr.split('\n').filter((line) => line.includes('is not set'));
      expect(lines.map((line) => line.replace(/^.*agents\/receptionist\.yaml/, ''))).toEqual(keyLines);
      // file:line:col of the reference in the example agent (found in the file, so editing the agent moves it here too).
      const keyLine = readFileSync('agents/receptionist.yaml', 'utf8').split('\n').findIndex((line) => line.includes('${env:OPENAI_API_KEY}')) + 1;
      expect(result.stderr).toContain(`:${keyLine}:11: error: openai-realtime: environment variable OPENAI_API_KEY is not set`);
      expect(result.stderr).toContain('ELEVENLABS_API_KEY is not set');
      expect(result.stderr).toContain('or run with --offline');
    }
  });

  it('when --port is in use: which port, and how to pick another, exit 2', { timeout: 30_000 }, async () => {
    const taken: Server = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const port = String((taken.address() as AddressInfo).port);
    try {
      const data = makeDataDir();
      const results = await Promise.all([
        runCli(['serve', '--offline', '--port', port, '--workers', '1', '--data', data, 'agents/receptionist.yaml']),
        runCli(['serve', '--offline', '--port', port, '--workers', '2', '--data', data, 'agents/receptionist.yaml']),
      ]);
      for (const result of results) expectRefusal(result, new RegExp(`^voiceagent: port ${port} on 127\\.0\\.0\\.1 is in use: pick another with --port, or --port 0 for a free one$`, 'm'));
    } finally {
      taken.close();
    }
  });
});

describe.concurrent('voiceagent serve, listening', () => {
  it('--json prints one object with every agent endpoint; without it, a listening line and a line per agent', { timeout: 30_000 }, async () => {
    const data = makeDataDir();
    const agents = ['agents/receptionist.yaml', 'agents/dispatch.yaml'];
    const [json, plain] = await Promise.all([
      startServe(['--offline', '--port', '0', '--workers', '2', '--data', data, ...agents]),
      startServe(['--offline', '--port', '0', '--workers', '1', '--data', data, ...agents], { plain: true }),
    ]);
    // The --json line.
    const { url, workers } = json.listening;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(json.stdout().split('\n')[0]).toBe(JSON.stringify(json.listening));
    expect(json.listening).toEqual({
      url,
      workers: 2,
      agents: ['receptionist', 'dispatch'].map((agent) => ({
        agent,
        file: expect.stringMatching(new RegExp(`agents/${agent}\\.yaml$`)),
        twilio: `${url.replace('http', 'ws')}/twilio/${agent}`,
        twiml: `${url}/twilio/${agent}/twiml`,
        websocket: `${url.replace('http', 'ws')}/calls/${agent}`,
      })),
    });
    expect(workers).toBe(2);
    expect((await get(`${url}/healthz`)).status).toBe(200);
    // Drained and stopped: exit 0, workers and all.
    json.signal('SIGTERM');
    expect(await json.exited).toEqual({ code: 0, signal: null });
    // The plain form: the listening line, then one line per agent.
    await until('the agent lines', () => plain.stdout().split('\n').length >= 4, 2000);
    expect(plain.stdout()).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+\n {2}receptionist: twilio ws:\/\/\S+\/twilio\/receptionist {2}websocket ws:\/\/\S+\/calls\/receptionist {2}twiml http:\/\/\S+\/twilio\/receptionist\/twiml\n {2}dispatch: /);
    expect(plain.stdout()).toMatch(/\nplayground http:\/\/127\.0\.0\.1:\d+\/ /);
  });

  it('--help lists every endpoint', { timeout: 20_000 }, async () => {
    const help = await runCli(['serve', '--help']);
    expect(help.code).toBe(0);
    for (const endpoint of ['GET|POST /twilio/AGENT/twiml', 'WS       /twilio/AGENT ', 'WS       /calls/AGENT', 'WS       /v1/events', 'GET      /metrics', 'GET      /healthz']) {
      expect(help.stdout).toContain(endpoint);
    }
    for (const option of ['--host', '--port', '--workers', '--public-url', '--data', '--offline', '--drain-timeout-ms', '--json']) expect(help.stdout).toContain(option);
  });
});
